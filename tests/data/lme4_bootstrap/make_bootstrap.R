# lme4's parametric bootstrap intervals (confint(m, method = "boot"): bootMer with
# simulate(use.u = FALSE), refit, percentile intervals) for sleepstudy and Dyestuff,
# the targets of tests/test_bootstrap.py.
# Usage: Rscript make_bootstrap.R REFERENCE_DATA_DIR results.json
suppressMessages({library(lme4); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
nsim <- 2000L
cases <- list(
  list(name = "sleepstudy", data = "sleepstudy", reml = TRUE, seed = 101L,
       formula = "Reaction ~ Days + (Days | Subject)"),
  list(name = "dyestuff", data = "Dyestuff", reml = TRUE, seed = 202L,
       formula = "Yield ~ 1 + (1 | Batch)"),
  list(name = "sleepstudy_ml", data = "sleepstudy", reml = FALSE, seed = 303L,
       formula = "Reaction ~ Days + (Days | Subject)")
)
out <- list(versions = list(R = R.version.string,
                            lme4 = as.character(packageVersion("lme4")),
                            boot = as.character(packageVersion("boot"))),
            nsim = nsim, level = 0.95)
for (cs in cases) {
  d <- read.csv(file.path(args[1], paste0(cs$data, ".csv")), stringsAsFactors = TRUE)
  if ("Subject" %in% names(d)) d$Subject <- factor(d$Subject)
  m <- lmer(as.formula(cs$formula), data = d, REML = cs$reml)
  started <- proc.time()[["elapsed"]]
  ci <- confint(m, method = "boot", nsim = nsim, seed = cs$seed, oldNames = FALSE,
                quiet = TRUE)
  seconds <- proc.time()[["elapsed"]] - started
  out[[cs$name]] <- list(
    formula = cs$formula, reml = cs$reml, seed = cs$seed, seconds = seconds,
    parameter = rownames(ci), lower = unname(ci[, 1]), upper = unname(ci[, 2])
  )
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), args[2])
