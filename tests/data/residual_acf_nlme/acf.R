# Empirical autocorrelation of within-subject residuals (nlme's ACF for an lme fit),
# the reference for tests/test_residual_autocorrelation.py. Run from the repository root:
#   Rscript tests/data/residual_acf_nlme/acf.R > tests/data/residual_acf_nlme/acf.out
suppressMessages(library(nlme))
sleep <- read.csv("engine/sample_data/sleepstudy.csv")
sleep <- sleep[order(sleep$Subject, sleep$Days), ]
m1 <- lme(Reaction ~ Days, random = ~ Days | Subject, data = sleep, method = "REML")
a1 <- ACF(m1, resType = "response")
cat("sleepstudy_slope", format(a1$ACF, digits = 15), "\n")
m2 <- lme(Reaction ~ Days, random = ~ 1 | Subject, data = sleep, method = "REML")
a2 <- ACF(m2, resType = "response")
cat("sleepstudy_intercept", format(a2$ACF, digits = 15), "\n")
pain <- read.csv("engine/sample_data/pain_trial.csv")
pain <- pain[!is.na(pain$pain_score), ]
pain <- pain[order(pain$patient, pain$time), ]
m3 <- lme(pain_score ~ time + treatment, random = ~ 1 | patient, data = pain, method = "REML")
a3 <- ACF(m3, resType = "response")
cat("pain_intercept", format(a3$ACF, digits = 15), "\n")
cat("pain_lag_counts", sapply(0:3, function(k) sum(pmax(table(pain$patient) - k, 0))), "\n")
