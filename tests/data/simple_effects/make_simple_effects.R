# lmerTest ground truth for simple effects, marginal means at chosen values and simple
# slopes on the pain_trial sample (emmeans is not installed: each contrast vector is
# built by hand from model.matrix on emmeans' reference grid: other factors averaged
# with equal weights, other covariates at their means).
# Usage (from the repository root):
#   Rscript tests/data/simple_effects/make_simple_effects.R \
#       engine/sample_data/pain_trial.csv tests/data/simple_effects/results.json
suppressMessages({library(lme4); library(lmerTest); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = TRUE)
d$patient <- factor(d$patient)

# The mean design row of each level of `factor` on a grid: `fixed` holds predictors at
# values, factors in `average` take every level with equal weight.
level_rows <- function(m, factor, fixed, average) {
  rhs <- delete.response(terms(m, fixed.only = TRUE))
  lev <- levels(d[[factor]])
  crossed <- c(setNames(list(lev), factor),
               lapply(setNames(average, average), function(f) levels(d[[f]])))
  grid <- expand.grid(crossed, stringsAsFactors = FALSE)
  for (nm in names(fixed)) grid[[nm]] <- fixed[[nm]]
  for (nm in names(grid)) if (is.factor(d[[nm]])) grid[[nm]] <- factor(grid[[nm]], levels = levels(d[[nm]]))
  X <- model.matrix(rhs, grid)
  t(sapply(lev, function(l) colMeans(X[grid[[factor]] == l, , drop = FALSE])))
}

test <- function(m, L) {
  rows <- list()
  for (ddf in c("Satterthwaite", "Kenward-Roger")) {
    r <- contest(m, L, joint = FALSE, ddf = ddf)
    rows[[ddf]] <- data.frame(estimate = r$Estimate, se = r$"Std. Error", df = r$df,
                              t = r$"t value", p = r$"Pr(>|t|)", lower = r$lower,
                              upper = r$upper)
  }
  rows
}

# One entry per table: the rows of L named, each tested by contest1D with both df methods.
table_entry <- function(m, L, names, by_value = NULL, tukey_means = NULL) {
  r <- test(m, L)
  out <- list(rows = names, by_value = by_value,
              satterthwaite = r$Satterthwaite, kenward_roger = r$"Kenward-Roger")
  if (!is.null(tukey_means)) {
    out$tukey_satterthwaite <- ptukey(abs(r$Satterthwaite$t) * sqrt(2), tukey_means,
                                      r$Satterthwaite$df, lower.tail = FALSE)
  }
  out
}

cases <- list(
  intercept = "pain_score ~ time * treatment + (1 | patient)",
  covariates = "pain_score ~ time * treatment + age + sex + (1 | patient)",
  time_factor = "pain_score ~ factor(time) * treatment + (1 | patient)")
out <- list(versions = list(R = R.version.string,
                            lme4 = as.character(packageVersion("lme4")),
                            lmerTest = as.character(packageVersion("lmerTest")),
                            pbkrtest = as.character(packageVersion("pbkrtest"))))
for (case in names(cases)) {
  m <- lmerTest::lmer(as.formula(cases[[case]]), data = d, REML = TRUE)
  entry <- list(formula = cases[[case]], fixef = unname(fixef(m)))
  if (case == "time_factor") {
    # pairwise comparisons of the four visits within each arm (Tukey over 4 means)
    d$ftime <- factor(d$time)
    for (arm in levels(d$treatment)) {
      rhs <- delete.response(terms(m, fixed.only = TRUE))
      grid <- data.frame(time = sort(unique(d$time)),
                         treatment = factor(arm, levels = levels(d$treatment)))
      X <- model.matrix(rhs, grid)
      pairs <- combn(nrow(X), 2)
      D <- t(apply(pairs, 2, function(ij) X[ij[1], ] - X[ij[2], ]))
      labels <- apply(pairs, 2, function(ij) paste(grid$time[ij[1]], grid$time[ij[2]]))
      entry[[paste0("means_", arm)]] <- table_entry(m, X, as.character(grid$time), arm)
      entry[[paste0("pairs_", arm)]] <- table_entry(m, D, labels, arm, tukey_means = 4)
    }
  } else {
    average <- if (case == "covariates") "sex" else character(0)
    covariates <- if (case == "covariates") list(age = mean(d$age)) else list()
    for (t0 in c(0, 3, 6)) {
      L <- level_rows(m, "treatment", c(list(time = t0), covariates), average)
      entry[[paste0("means_time_", t0)]] <- table_entry(m, L, rownames(L), t0)
      entry[[paste0("difference_time_", t0)]] <- table_entry(
        m, L[1, , drop = FALSE] - L[2, , drop = FALSE], "control - treated", t0)
    }
    # the time slope within each arm: the exact difference of rows one unit apart
    tbar <- mean(d$time)
    S <- level_rows(m, "treatment", c(list(time = tbar + 1), covariates), average) -
      level_rows(m, "treatment", c(list(time = tbar), covariates), average)
    entry$slopes <- table_entry(m, S, rownames(S))
    entry$slope_difference <- table_entry(m, S[1, , drop = FALSE] - S[2, , drop = FALSE],
                                          "control - treated")
  }
  out[[case]] <- entry
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), args[2])
