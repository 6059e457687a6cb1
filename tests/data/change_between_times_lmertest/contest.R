# lmerTest's contest1D for the changes from time 0 to time 6 in each arm and their
# difference: the reference for tests/test_change_between_times.py. Run from the
# repository root:
#   Rscript tests/data/change_between_times_lmertest/contest.R > tests/data/change_between_times_lmertest/contest.out
suppressMessages(library(lmerTest))
pain <- read.csv("engine/sample_data/pain_trial.csv")
m <- lmer(pain_score ~ time * treatment + (1 | patient), data = pain)
show <- function(name, L) {
  r <- contest1D(m, L, ddf = "Satterthwaite")
  cat(name, format(c(r$Estimate, r$`Std. Error`, r$df, r$`t value`, r$`Pr(>|t|)`), digits = 15), "\n")
}
show("linear_control", c(0, 6, 0, 0))
show("linear_treated", c(0, 6, 0, 6))
show("linear_difference", c(0, 0, 0, -6))
pain$ftime <- factor(pain$time)
m <- lmer(pain_score ~ ftime * treatment + (1 | patient), data = pain)
show("factor_control", c(0, 0, 0, 1, 0, 0, 0, 0))
show("factor_treated", c(0, 0, 0, 1, 0, 0, 0, 1))
show("factor_difference", c(0, 0, 0, 0, 0, 0, 0, -1))
