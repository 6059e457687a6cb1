# lme4's term order with tied numbers of levels: Rscript --vanilla make.R > lme4.json
# (lme4 1.1-31). Data: lme4 sweep, --shapes extra, seed 11, model 8.
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
d <- read.csv("data.csv")
d$g <- factor(d$g); d$h <- factor(d$h)
out <- list()
for (f in c("y ~ x + (1|g) + (0 + z|g) + (1|h)", "y ~ x + (0 + z|g) + (1|g) + (1|h)",
            "y ~ x + (1|g) + (0 + z|g)")) {
  m <- lmer(as.formula(f), data = d)
  vc <- as.data.frame(VarCorr(m))
  re <- as.data.frame(ranef(m))
  out[[f]] <- list(theta = unname(getME(m, "theta")), criterion = REMLcrit(m),
                   evaluations = m@optinfo$feval, vc_group = vc$grp, vc_var1 = vc$var1,
                   sdcor = vc$sdcor, re_term = as.character(re$term)[c(1, nrow(re))])
}
cat(toJSON(out, digits = NA, auto_unbox = TRUE), "\n")
