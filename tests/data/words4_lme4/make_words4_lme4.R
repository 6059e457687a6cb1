# lme4 / lmerTest answers to the pain_trial and ratings questions checked in
# tests/test_comparison_words.py. Usage, from the repository root:
#   Rscript tests/data/words4_lme4/make_words4_lme4.R engine/sample_data \
#       tests/data/words4_lme4/words4_lme4.json
suppressMessages({library(lme4); library(lmerTest); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
pain <- read.csv(file.path(args[1], "pain_trial.csv"), stringsAsFactors = TRUE)
ratings <- read.csv(file.path(args[1], "ratings.csv"), stringsAsFactors = TRUE)

additive <- lmerTest::lmer(pain_score ~ time + treatment + (1 | patient), data = pain)
interaction <- lmerTest::lmer(pain_score ~ time * treatment + (1 | patient), data = pain)
time_factor <- lmerTest::lmer(pain_score ~ factor(time) + treatment + (1 | patient), data = pain)

lrt <- function(a) list(chisq = a$Chisq[2], df = a$Df[2], p = a[["Pr(>Chisq)"]][2],
                        aic = a$AIC, bic = a$BIC, loglik = a$logLik)
# a contrast c'beta of the additive model: estimate, SE, Satterthwaite df and 95% CI
contrast <- function(L) {
  r <- contest(additive, L, joint = FALSE, ddf = "Satterthwaite")
  list(estimate = r$Estimate, se = r[["Std. Error"]], df = r$df, lower = r$lower,
       upper = r$upper, p = r[["Pr(>|t|)"]])
}
at_time <- function(t) list(
  control = contrast(c(1, t, 0)), treated = contrast(c(1, t, 1)),
  treated_minus_control = contrast(c(0, 0, 1)))

crossed <- lmer(rating ~ condition + (1 | rater) + (1 | item), data = ratings)
raters <- lmer(rating ~ condition + (1 | rater), data = ratings)

out <- list(
  versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                  lmerTest = as.character(packageVersion("lmerTest"))),
  interaction_lrt = lrt(anova(additive, interaction)),
  time_factor_lrt = lrt(anova(additive, time_factor)),
  means_time_0 = at_time(0),
  means_time_6 = at_time(6),
  raters_only_lrt = lrt(anova(raters, crossed, refit = FALSE)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), args[2])
