# lmerTest's contest1D(model, L, rhs = threshold) for the threshold tests of
# tests/test_effect_threshold.py; its output is results.txt. pain_trial.csv is the built-in
# sample: python -c "from engine.samples import load_sample;
#   load_sample('pain_trial').to_csv('pain_trial.csv', index=False)"
# Run here with R 4 and lmerTest: Rscript threshold_tests.R > results.txt
suppressMessages(library(lmerTest))
d <- read.csv("pain_trial.csv")
d$patient <- factor(d$patient); d$treatment <- factor(d$treatment)
m <- lmer(pain_score ~ time + treatment + (1 | patient), data = d)
L_tr <- c(0, 0, 1); L_t <- c(0, 1, 0)
show <- function(L, rhs) { r <- contest1D(m, L, rhs = rhs); cat(sprintf("rhs=%g t=%.12g df=%.12g\n", rhs, r[["t value"]], r$df)); r }
r <- show(L_tr, -10); cat(sprintf("treat>10 minimum effect p=%.12g\n", pt(-r[["t value"]], r$df, lower.tail = FALSE)))
r <- show(L_tr, -15); cat(sprintf("treat>15 p=%.12g\n", pt(-r[["t value"]], r$df, lower.tail = FALSE)))
a <- show(L_t, -3); b <- show(L_t, 3)
cat(sprintf("time<3 TOST p=%.12g\n", max(pt(a[["t value"]], a$df, lower.tail = FALSE), pt(b[["t value"]], b$df))))
r <- show(L_tr, -10); cat(sprintf("treat<-10 p=%.12g\n", pt(r[["t value"]], r$df)))
r <- show(L_t, -2); cat(sprintf("time>-2 p=%.12g\n", pt(r[["t value"]], r$df, lower.tail = FALSE)))
