# Cross-check for engine/missingness_by.py (tests/test_missingness_by.py).
# The pain_trial sample as CSV (python -c "from engine.samples import load_sample;
# load_sample('pain_trial').to_csv('pain.csv', index=False)"), then: Rscript missingness_by.R
# Printed with R 4.x: 0.8176076; 0.8185098; 0.9497696 72.7880457 0.3453723;
# 0.5506697 62.3414934 0.5838281; 0.9555296 2 0.6201680.
d <- read.csv("pain.csv")
obs <- d[!is.na(d$pain_score) & !is.na(d$treatment) & !is.na(d$time), ]
times <- sort(unique(d$time))
pat <- unique(d$patient)
complete <- sapply(pat, function(p) all(times %in% obs$time[obs$patient == p]))
sub <- d[!duplicated(d$patient), ]
sub <- sub[match(pat, sub$patient), ]
print(fisher.test(table(sub$treatment, complete))$p.value)
print(fisher.test(table(sub$sex, complete))$p.value)
welch <- t.test(sub$age[!complete], sub$age[complete])
print(c(welch$statistic, welch$parameter, welch$p.value))
base <- d[d$time == 0, ]
baseline <- base$pain_score[match(pat, base$patient)]
welch <- t.test(baseline[!complete], baseline[complete])
print(c(welch$statistic, welch$parameter, welch$p.value))
band <- cut(sub$age, c(0, 48, 58, 100))
chi <- chisq.test(table(band, complete))
print(c(chi$statistic, chi$parameter, chi$p.value))
