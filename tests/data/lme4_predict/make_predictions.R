# Ground truth for predictions and per-level coefficients of the sleepstudy slope model,
# lmer(Reaction ~ Days + (Days | Subject)) (REML), as lme4 and lmerTest compute them:
#   * population prediction at Days = 12 for a new subject: predict(m, newdata, re.form = NA),
#     with its SE, Satterthwaite df and 95% CI from lmerTest's contest(m, c(1, 12))
#   * conditional prediction at Days = 12 for Subject 308: predict(m, newdata) (uses the
#     subject's BLUPs; lme4 gives no interval for it)
#   * coef(m)$Subject: each subject's intercept and slope
# Run from the repository root:
#   Rscript tests/data/lme4_predict/make_predictions.R /work/shared/reference/data/sleepstudy.csv
# It writes tests/data/lme4_predict/sleepstudy_predictions.json (committed; tests do not need R).
suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1])
data$Subject <- factor(data$Subject)
m <- lmer(Reaction ~ Days + (Days | Subject), data = data, REML = TRUE)

new_subject <- data.frame(Days = c(0, 12))
population <- predict(m, newdata = new_subject, re.form = NA)
tests <- lapply(new_subject$Days, function(d) {
  contest(m, L = c(1, d), joint = FALSE, confint = TRUE, level = 0.95)
})
population_rows <- lapply(seq_along(tests), function(i) {
  t <- tests[[i]]
  list(Days = new_subject$Days[i], estimate = unname(population[i]),
       se = t[["Std. Error"]], df = t[["df"]], lower = t[["lower"]], upper = t[["upper"]])
})

subject_rows <- data.frame(Days = c(0, 12, 12), Subject = c("308", "308", "335"))
conditional <- predict(m, newdata = subject_rows)
conditional_rows <- lapply(seq_len(nrow(subject_rows)), function(i) {
  list(Days = subject_rows$Days[i], Subject = subject_rows$Subject[i],
       estimate = unname(conditional[i]))
})

cf <- coef(m)$Subject
coef_rows <- lapply(rownames(cf), function(level) {
  list(level = level, intercept = cf[level, "(Intercept)"], Days = cf[level, "Days"])
})

out <- list(
  formula = "Reaction ~ Days + (Days | Subject)",
  reml = TRUE,
  versions = list(lme4 = as.character(packageVersion("lme4")),
                  lmerTest = as.character(packageVersion("lmerTest"))),
  population = population_rows,
  conditional = conditional_rows,
  coef_subject = coef_rows
)
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
      "tests/data/lme4_predict/sleepstudy_predictions.json")
