# Ground truth for two model questions on lme4's sleepstudy:
#   * "do we need the correlation?": anova(m1, m0, refit = FALSE) of the REML fits
#     Reaction ~ Days + (Days | Subject) and Reaction ~ Days + (Days || Subject), with the
#     correlation of m1 and its profile interval (confint(m1, method = "profile"))
#   * "is the effect of days linear?": anova() of the ML fits with Days numeric and with
#     factor(Days) in the fixed part, the random part keeping the numeric Days
# Run from the repository root (lme4 1.1-31):
#   Rscript tests/data/sleepstudy_questions/make_sleepstudy_questions.R \
#       /work/shared/reference/data/sleepstudy.csv
# It writes tests/data/sleepstudy_questions/sleepstudy_questions.json (committed; tests do
# not need R).
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1])
data$Subject <- factor(data$Subject)

anova_rows <- function(a) {
  lapply(seq_len(nrow(a)), function(i) {
    list(model = rownames(a)[i], npar = a$npar[i], AIC = a$AIC[i], BIC = a$BIC[i],
         logLik = a$logLik[i], deviance = a$deviance[i],
         Chisq = a$Chisq[i], Df = a$Df[i], p = a[["Pr(>Chisq)"]][i])
  })
}

m1 <- lmer(Reaction ~ Days + (Days | Subject), data = data, REML = TRUE)
m0 <- lmer(Reaction ~ Days + (Days || Subject), data = data, REML = TRUE)
correlation_anova <- anova(m1, m0, refit = FALSE)
print(correlation_anova)
ci <- confint(m1, parm = "theta_", method = "profile", oldNames = FALSE)
print(ci)
vc <- as.data.frame(VarCorr(m1))
correlation <- vc$sdcor[!is.na(vc$var2) & vc$grp == "Subject"]

linear <- lmer(Reaction ~ Days + (Days | Subject), data = data, REML = FALSE)
stepwise <- lmer(Reaction ~ factor(Days) + (Days | Subject), data = data, REML = FALSE)
linearity_anova <- anova(linear, stepwise)
print(linearity_anova)

out <- list(
  lme4_version = as.character(packageVersion("lme4")),
  correlation_test = list(
    anova = anova_rows(correlation_anova),
    correlation = correlation,
    profile_lower = ci["cor_Days.(Intercept)|Subject", 1],
    profile_upper = ci["cor_Days.(Intercept)|Subject", 2]
  ),
  linearity_test = list(
    anova = anova_rows(linearity_anova),
    converged_stepwise = is.null(stepwise@optinfo$conv$lme4$messages)
  )
)
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
      "tests/data/sleepstudy_questions/sleepstudy_questions.json")
