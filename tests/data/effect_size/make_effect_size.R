# Ground truth for "what is the effect size of condition/treatment?" (Cohen's d of a
# fixed effect in a mixed model, Westfall, Kenny & Judd 2014): lme4 1.1-31 fits (REML)
# with their fixed effects, VarCorr and sigma, from which the tests compute d by hand:
#   * ratings, rating ~ condition + (1 | rater) + (1 | item):
#       d = beta / sqrt(var(rater) + var(item) + sigma^2)
#   * ratings with a random condition slope per rater, fitted twice: with R's treatment
#     coding and with contrast codes c = -1/2, +1/2 (WKJ's); with the contrast codes
#     d = beta / sqrt(var(rater intercept) + c^2 var(rater slope) + var(item) + sigma^2)
#   * pain_trial, pain_score ~ time + treatment + (1 | patient): d for treatment, and the
#     standardized slope of time, beta * sd(time) / sd(pain_score)
# Run from the repository root:
#   Rscript tests/data/effect_size/make_effect_size.R
# It writes tests/data/effect_size/effect_size.json (committed; tests do not need R).
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

varcorr <- function(fit) {
  vc <- as.data.frame(VarCorr(fit))
  lapply(seq_len(nrow(vc)), function(i) {
    list(grp = vc$grp[i], var1 = vc$var1[i], var2 = if (is.na(vc$var2[i])) NULL else vc$var2[i],
         vcov = vc$vcov[i])
  })
}
summary_of <- function(fit) {
  list(fixef = as.list(fixef(fit)), varcorr = varcorr(fit), sigma = sigma(fit))
}

ratings <- read.csv("engine/sample_data/ratings.csv")
ratings$rater <- factor(ratings$rater)
ratings$item <- factor(ratings$item)
ratings <- ratings[!is.na(ratings$rating), ]
ratings$c <- ifelse(ratings$condition == "B", 0.5, -0.5)
pain <- read.csv("engine/sample_data/pain_trial.csv")
pain$patient <- factor(pain$patient)

intercepts <- lmer(rating ~ condition + (1 | rater) + (1 | item), data = ratings)
slope_dummy <- lmer(rating ~ condition + (condition | rater) + (1 | item), data = ratings)
slope_codes <- lmer(rating ~ c + (c | rater) + (1 | item), data = ratings)
pain_fit <- lmer(pain_score ~ time + treatment + (1 | patient), data = pain)

out <- list(
  lme4 = as.character(packageVersion("lme4")),
  ratings_intercepts = summary_of(intercepts),
  ratings_slope_dummy = summary_of(slope_dummy),
  ratings_slope_codes = summary_of(slope_codes),
  pain_trial = c(summary_of(pain_fit),
                 list(sd_time = sd(pain$time), sd_pain = sd(pain$pain_score)))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, null = "null"),
           "tests/data/effect_size/effect_size.json")
