# lme4 reference for tests/test_transforms_missing_rows.py: data-dependent transforms
# (scale, centring, poly) when the outcome has missing values. R's model frame fits the
# transform on every row where x is present, then drops the 3 rows missing y.
# Run from this folder: Rscript make.R  (lme4 1.1-31, jsonlite)
suppressMessages({library(lme4); library(jsonlite)})
d <- read.csv("data.csv")
d$g <- factor(d$g)
fit <- function(f) {
  m <- lmer(f, data = d, REML = TRUE)
  list(criterion = REMLcrit(m), fixef = unname(fixef(m)), nobs = nobs(m))
}
out <- list(
  scale = fit(y ~ scale(x) + (1 | g)),
  center = fit(y ~ scale(x, scale = FALSE) + (1 | g)),
  poly = fit(y ~ poly(x, 2) + (1 | g))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "lme4.json")
