# Ground truth for "are there influential subjects?" (leave-one-cluster-out refits):
# lme4 1.1-31's influence.merMod(fit, groups = g), which refits the model without each
# level of g starting at the full fit's theta, with cooks.distance() and dfbetas() of it.
# Models: sleepstudy Reaction ~ Days + (1 | Subject) and Reaction ~ Days + (Days | Subject),
# pain_trial pain_score ~ time + treatment + (1 | patient) (all REML).
# Run from the repository root:
#   Rscript tests/data/influence/make_influence.R
# It writes tests/data/influence/influence.json (committed; tests do not need R).
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

case <- function(name, formula, data, group) {
  fit <- lmer(formula, data = data, REML = TRUE)
  infl <- influence(fit, groups = group)
  deleted <- infl[[sprintf("fixed.effects[-%s]", group)]]
  vc <- infl[[sprintf("var.cov.comps[-%s]", group)]]
  list(
    name = name,
    formula = deparse(formula),
    group = group,
    fixed_names = names(fixef(fit)),
    beta = unname(fixef(fit)),
    vcov = unname(as.matrix(vcov(fit))),
    levels = rownames(deleted),
    beta_deleted = unname(deleted),
    sigma2_deleted = unname(vc[, "sigma^2"]),
    var_cov_names = colnames(vc),
    var_cov_deleted = unname(vc),
    cooks_distance_lme4 = unname(cooks.distance(infl)),
    dfbetas_lme4 = unname(dfbetas(infl))
  )
}

sleep <- read.csv("engine/sample_data/sleepstudy.csv")
sleep$Subject <- factor(sleep$Subject)
pain <- read.csv("engine/sample_data/pain_trial.csv")
pain$patient <- factor(pain$patient)

out <- list(
  lme4 = as.character(packageVersion("lme4")),
  cases = list(
    case("sleepstudy_intercept", Reaction ~ Days + (1 | Subject), sleep, "Subject"),
    case("sleepstudy_slope", Reaction ~ Days + (Days | Subject), sleep, "Subject"),
    case("pain_trial", pain_score ~ time + treatment + (1 | patient), pain, "patient")
  )
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, matrix = "rowmajor"),
           "tests/data/influence/influence.json")
