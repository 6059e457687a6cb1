# lme4 / lmerTest fit of the built-in `ratings` sample (raters crossed with items), for
# tests/test_ratings_sample.py. Usage, from the repository root:
#   Rscript tests/data/ratings_lme4/make_ratings_lme4.R engine/sample_data/ratings.csv \
#       tests/data/ratings_lme4/ratings_lme4.json
suppressMessages({library(lme4); library(lmerTest); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = TRUE)
m <- lmerTest::lmer(rating ~ condition + (1 | rater) + (1 | item), data = d, REML = TRUE)
s <- summary(m, ddf = "Satterthwaite")$coefficients
vc <- as.data.frame(VarCorr(m))
out <- list(
  versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                  lmerTest = as.character(packageVersion("lmerTest"))),
  formula = "rating ~ condition + (1 | rater) + (1 | item)",
  nobs = nobs(m),
  ngroups = as.list(ngrps(m)),
  reml_criterion = unname(REMLcrit(m)),
  sigma = sigma(m),
  theta = unname(getME(m, "theta")),
  fixef = data.frame(term = rownames(s), estimate = s[, 1], se = s[, 2], df = s[, 3],
                     t = s[, 4], p = s[, 5]),
  varcorr = data.frame(grp = vc$grp, vcov = vc$vcov, sdcor = vc$sdcor))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), args[2])
