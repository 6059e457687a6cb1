# lme4's Hessian convergence check (check.conv.hess) on a set of fits, for
# tests/test_hessian_check.py. Run from the repository root:
#   Rscript tests/data/hessian_check.R /work/shared/reference tests/data/hessian_check.json
# For every fit it records lme4's theta (full precision), the criterion, the
# finite-difference Hessian lme4 stored (m@optinfo$derivs$Hessian), its eigenvalues,
# the codes of lme4's own checkHess on it, and lme4's convergence messages.
suppressMessages({
  library(lme4)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
reference <- if (length(args) >= 1) args[[1]] else "/work/shared/reference"
out <- if (length(args) >= 2) args[[2]] else "tests/data/hessian_check.json"

read_data <- function(dataset) {
  read.csv(file.path(reference, "data", paste0(dataset, ".csv")), stringsAsFactors = TRUE)
}

# name, dataset, formula, REML, a column to multiply (or NA) and the factor, maxeval (or NA)
reference_cases <- read.delim(file.path(reference, "cases.tsv"), stringsAsFactors = FALSE)
extra <- data.frame(
  case = c("sleepstudy_days_x100", "sleepstudy_days_x1000",
           "sleepstudy_slope_maxeval3", "orthodont_slope_maxeval12",
           "orthodont_slope_maxeval20"),
  dataset = c("sleepstudy", "sleepstudy", "sleepstudy", "Orthodont", "Orthodont"),
  formula = c(rep("Reaction ~ Days + (Days | Subject)", 3),
              rep("distance ~ age * Sex + (age | Subject)", 2)),
  reml = TRUE,
  scale_column = c("Days", "Days", NA, NA, NA),
  scale_by = c(100, 1000, NA, NA, NA),
  max_eval = c(NA, NA, 3, 12, 20),
  stringsAsFactors = FALSE
)
cases <- rbind(
  data.frame(case = reference_cases$case, dataset = reference_cases$dataset,
             formula = reference_cases$formula, reml = as.logical(reference_cases$reml),
             scale_column = NA, scale_by = NA, max_eval = NA, stringsAsFactors = FALSE),
  extra
)

fit_case <- function(row) {
  data <- read_data(row$dataset)
  if (!is.na(row$scale_column)) {
    data[[row$scale_column]] <- data[[row$scale_column]] * row$scale_by
  }
  control <- if (is.na(row$max_eval)) lmerControl() else
    lmerControl(optCtrl = list(maxeval = row$max_eval))
  m <- suppressMessages(suppressWarnings(
    lmer(as.formula(row$formula), data = data, REML = row$reml, control = control)
  ))
  derivs <- m@optinfo$derivs
  singular <- isSingular(m)
  hessian <- NULL
  eigenvalues <- NULL
  codes <- NULL
  if (!is.null(derivs) && !singular) {
    hessian <- unname(derivs$Hessian)
    eigenvalues <- eigen(hessian, symmetric = TRUE, only.values = TRUE)$values
    codes <- as.integer(lme4:::checkHess(hessian, 1e-6)$code)
  }
  list(
    name = row$case,
    dataset = row$dataset,
    formula = row$formula,
    reml = row$reml,
    scale_column = if (is.na(row$scale_column)) NULL else row$scale_column,
    scale_by = if (is.na(row$scale_by)) NULL else row$scale_by,
    max_eval = if (is.na(row$max_eval)) NULL else as.integer(row$max_eval),
    theta = I(unname(getME(m, "theta"))),
    criterion = if (row$reml) REMLcrit(m) else deviance(m),
    singular = singular,
    hessian = hessian,
    eigenvalues = if (is.null(eigenvalues)) NULL else I(eigenvalues),
    hessian_codes = if (is.null(codes)) NULL else I(codes),
    messages = I(as.character(unlist(m@optinfo$conv$lme4$messages)))
  )
}

results <- lapply(seq_len(nrow(cases)), function(i) fit_case(cases[i, ]))
doc <- list(
  lme4_version = as.character(packageVersion("lme4")),
  hessian_tol = 1e-6,
  codes = list(ok = 0L, negative = -3L, singular = -4L, large_eigenvalue = 2L,
               large_ratio = 3L),
  cases = results
)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE), out)
