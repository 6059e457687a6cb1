# lme4 / lmerTest / pbkrtest results for the models of models.tsv, beyond the shared
# reference cases: vector-valued terms of three columns, random slopes of a factor,
# vector-valued terms on a second grouping factor, nesting within a covariate level,
# crossed terms by ML, transformed predictors, and a factor slope without intercept;
# with every BLUP and its conditional SD (ranef(condVar = TRUE)).
# Usage: Rscript make_crosscheck.R REFERENCE_DATA_DIR SAMPLE_DATA_DIR results.json
suppressMessages({library(lme4); library(lmerTest); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
cases <- read.delim("models.tsv", stringsAsFactors = FALSE)
out <- list(versions = list(R = R.version.string,
                            lme4 = as.character(packageVersion("lme4")),
                            lmerTest = as.character(packageVersion("lmerTest")),
                            pbkrtest = as.character(packageVersion("pbkrtest"))))
for (i in seq_len(nrow(cases))) {
  cs <- cases[i, ]
  dir <- if (cs$source == "reference") args[1] else args[2]
  d <- read.csv(file.path(dir, paste0(cs$dataset, ".csv")), stringsAsFactors = TRUE)
  for (nm in c("Subject", "student")) if (nm %in% names(d)) d[[nm]] <- factor(d[[nm]])
  reml <- as.logical(cs$reml)
  m <- lmerTest::lmer(as.formula(cs$formula), data = d, REML = reml)
  s <- summary(m, ddf = "Satterthwaite")$coefficients
  kr <- if (reml) summary(m, ddf = "Kenward-Roger")$coefficients else NULL
  vc <- as.data.frame(VarCorr(m))
  re <- as.data.frame(ranef(m, condVar = TRUE))
  out[[cs$name]] <- list(
    criterion = if (reml) unname(REMLcrit(m)) else unname(deviance(m)),
    theta = unname(getME(m, "theta")), sigma = sigma(m), singular = isSingular(m),
    fixef = data.frame(term = rownames(s), estimate = s[, 1], se = s[, 2],
                       df = s[, 3], p = s[, 5]),
    kenward_roger = if (!is.null(kr)) data.frame(term = rownames(kr), se = kr[, 2],
                                                 df = kr[, 3]) else NULL,
    varcorr = data.frame(grp = vc$grp, var1 = ifelse(is.na(vc$var1), "", vc$var1),
                         var2 = ifelse(is.na(vc$var2), "", vc$var2),
                         vcov = vc$vcov, sdcor = vc$sdcor),
    ranef = data.frame(group = as.character(re$grpvar), term = as.character(re$term),
                       level = as.character(re$grp), value = re$condval,
                       cond_sd = re$condsd))
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), args[3])
