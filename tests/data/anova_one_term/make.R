# lmerTest's type III tables for one-term models: Rscript --vanilla make.R > lmertest.json
# (lme4 1.1-31, lmerTest 3.1-3). Data: lme4 sweep, --shapes extra, seed 11, model 33.
suppressPackageStartupMessages({library(lmerTest); library(jsonlite)})
d <- read.csv("data.csv")
d$g <- factor(d$g)
out <- list()
for (f in c("y ~ f + (0 + f|g)", "y ~ f + (1|g)")) {
  m <- lmer(as.formula(f), data = d)
  a <- anova(m, type = 3)
  out[[f]] <- list(F = a[["F value"]], num_df = a[["NumDF"]], den_df = a[["DenDF"]],
                   p = a[["Pr(>F)"]], L = unname(show_tests(a, fractions = FALSE)$f),
                   den_df_identity_rows = contest(m, rbind(c(0, 1, 0), c(0, 0, 1)))$DenDF)
}
cat(toJSON(out, digits = NA, auto_unbox = TRUE), "\n")
