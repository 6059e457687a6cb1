# R's numbers for tests/test_interaction_far_from_zero.py (lme4 1.1-31, lmerTest,
# pbkrtest): Rscript --vanilla make.R > r_values.json
# x_by_f.csv: x = 1e5 + N(0, 1), f in A/B, 12 groups of 8 (seed 3 of the test's frame).
# Each model is fitted with x as given and with x centred (xc); the centred fit is the
# same model in a better-conditioned basis.
suppressPackageStartupMessages({library(lmerTest); library(pbkrtest); library(jsonlite)})
d <- read.csv("x_by_f.csv")
d$f <- factor(d$f)
d$g <- factor(d$g)
d$xc <- d$x - mean(d$x)
one <- function(formula, reml) {
  m <- lmer(formula, data = d, REML = reml)
  s <- coef(summary(m))
  list(criterion = unname(if (reml) REMLcrit(m) else deviance(m)),
       theta = unname(getME(m, "theta")), sigma = sigma(m),
       beta = unname(fixef(m)), se = unname(s[, "Std. Error"]),
       df = unname(s[, "df"]),
       kr_se = if (reml) unname(sqrt(diag(as.matrix(vcovAdj(m))))) else NULL,
       warnings = unname(unlist(m@optinfo$conv$lme4$messages)))
}
out <- list(mean_x = mean(d$x),
            raw_reml = one(y ~ x * f + (1 | g), TRUE),
            centred_reml = one(y ~ xc * f + (1 | g), TRUE),
            raw_ml = one(y ~ x * f + (1 | g), FALSE),
            centred_ml = one(y ~ xc * f + (1 | g), FALSE))
cat(toJSON(out, digits = NA, auto_unbox = TRUE, null = "null"), "\n")
