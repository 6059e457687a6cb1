# R's numbers for tests/test_far_predictor_inference.py (lme4 1.1-31, lmerTest 3.1-3,
# pbkrtest 0.5.2): Rscript --vanilla make.R > r_values.json
suppressPackageStartupMessages({library(lmerTest); library(pbkrtest); library(jsonlite)})
read <- function(name) {
  d <- read.csv(name)
  for (v in c("g", "h")) d[[v]] <- factor(as.character(d[[v]]))
  d$xc <- d$x - mean(d$x[!is.na(d$y) & !is.na(d$x)])
  d
}
out <- list()
d <- read("slopes_pbkrtest.csv")
m <- lmer(y ~ x + (x + z || g), data = d)
out$slopes_pbkrtest <- list(theta = unname(getME(m, "theta")),
                            kr_se = unname(sqrt(diag(as.matrix(vcovAdj(m))))))
d <- read("interaction_ml.csv")
raw <- lmer(y ~ x * f + (1 | g) + (1 | h), data = d, REML = FALSE)
centred <- lmer(y ~ xc * f + (1 | g) + (1 | h), data = d, REML = FALSE)
out$interaction_ml <- list(
  raw_df = unname(coef(summary(raw))[c("x", "x:fb", "x:fc"), "df"]),
  centred_df = unname(coef(summary(centred))[c("xc", "xc:fb", "xc:fc"), "df"]))
cat(toJSON(out, digits = NA, auto_unbox = TRUE), "\n")
