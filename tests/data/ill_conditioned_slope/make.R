# lme4 / lmerTest reference for tests/test_first_term_accuracy.py: a random slope on a
# covariate far from zero (x has mean 1,032 and SD 81), where the profiled deviance loses
# digits unless the first term's Schur product is formed from Cholesky factors.
# Run from this folder: Rscript make.R  (lme4 1.1-31, lmerTest 3.1-3, jsonlite)
suppressMessages({library(lme4); library(lmerTest); library(jsonlite)})
d <- read.csv("data.csv")
d$g <- factor(d$g)
m <- lmer(y ~ x + (x | g), data = d, REML = TRUE)
ct <- coef(summary(as_lmerModLmerTest(m)))
re <- ranef(m, condVar = TRUE)$g
pv <- attr(re, "postVar")
out <- list(
  criterion = unname(REMLcrit(m)),
  theta = unname(getME(m, "theta")),
  sigma = sigma(m),
  fixef = as.list(fixef(m)),
  se = as.list(setNames(ct[, "Std. Error"], rownames(ct))),
  df = as.list(setNames(ct[, "df"], rownames(ct))),
  singular = isSingular(m),
  levels = rownames(re),
  ranef_intercept = re[, 1], ranef_slope = re[, 2],
  condsd_intercept = sqrt(pv[1, 1, ]), condsd_slope = sqrt(pv[2, 2, ]),
  evaluations = m@optinfo$feval
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "lme4.json")

# Two models on which BOBYQA can stop short of the optimum: a random slope on x (mean
# 1,000, SD 1.2) fitted by ML, and a singular fit with slopes on x (mean 1,000, SD 2.7)
# and z. Only the criterion, theta and the singular flag are compared.
ridge <- function(file, formula, reml) {
  d <- read.csv(file)
  for (v in intersect(c("g", "h"), names(d))) d[[v]] <- factor(d[[v]])
  m <- lmer(formula, data = d, REML = reml)
  list(criterion = if (reml) REMLcrit(m) else deviance(m), theta = unname(getME(m, "theta")),
       singular = isSingular(m), evaluations = m@optinfo$feval)
}
ridges <- list(
  ml_ridge = ridge("ml_ridge.csv", y ~ x + (x | g), FALSE),
  singular_ridge = ridge("singular_ridge.csv", y ~ x + z + (1 + x + z | g), TRUE)
)
writeLines(toJSON(ridges, auto_unbox = TRUE, digits = NA, pretty = TRUE), "lme4_ridges.json")
