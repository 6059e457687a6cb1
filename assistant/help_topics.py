"""Help texts: short explanations of the ideas behind the numbers, and the request language.

Each topic is a title, a few paragraphs and, where useful, example requests. The
``samples`` topic is completed at run time with the engine's list of sample data sets.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HelpTopic:
    key: str
    title: str
    paragraphs: tuple[str, ...]
    examples: tuple[str, ...] = ()


TOPICS: dict[str, HelpTopic] = {}


def _topic(key: str, title: str, paragraphs: list[str], examples: list[str] | None = None) -> None:
    TOPICS[key] = HelpTopic(key, title, tuple(paragraphs), tuple(examples or ()))


_topic(
    "overview",
    "What I can do",
    [
        "I fit linear mixed models: regressions for data where observations come in "
        "clusters (pupils in schools) or repeat over time (visits per patient). Each "
        "request is turned into a plan of steps, and each step is run and explained.",
        "Load or pick data, plot it before any model (one line per subject, or the "
        "outcome of each cluster), fit a model by formula or by name, ask about it in plain "
        "words (`does the effect of time differ between treatment groups?`, `what does the "
        "time:treatment coefficient mean?`), compare models, look at "
        "how well a model fits (log-likelihood, AIC, BIC, marginal and conditional R²), "
        "variance components, confidence intervals, type III tests, estimated marginal "
        "means with pairwise comparisons, likelihood-ratio tests of the random effects, "
        "predictions, the within- and between-cluster effects of a predictor "
        "(`center SES within schools`), "
        "residuals and caterpillar plots, and write the tables to CSV files "
        "(`export the results`). For more, ask `help reml` (ML or REML), "
        "`help ICC`, `help convergence`, `help RM-ANOVA`, `help BLUPs`, `help random slopes`, "
        "`help subsets`, `help samples` or `help language`.",
    ],
    [
        "use sample pain_trial",
        "plot the observed trajectories by treatment",
        "LMM: pain_score ~ time + treatment + (1 | patient)",
        "fit 3 models: (1) random intercept, (2) random slope, (3) intercept + slope",
        "compare AIC/BIC; likelihood ratio test",
        "how well does the model fit?",
        "pairwise comparisons of treatment",
        "is the interaction significant?",
        "report variance components: random intercept variance, residual variance, ICC",
        "caterpillar plot of random intercepts",
    ],
)

_topic(
    "ml_vs_reml",
    "ML or REML?",
    [
        "Both methods choose the variance parameters that make the data most likely. "
        "Maximum likelihood (ML) treats the fixed effects as known when it does so, "
        "which makes the variances come out a little too small, much as dividing a sum "
        "of squares by n instead of n − 1 does. Restricted maximum likelihood (REML) "
        "first removes the part of the data used up by the fixed effects, and its "
        "variance estimates do not have that downward bias.",
        "Because REML works on data with the fixed effects removed, two REML fits with "
        "different fixed effects describe different data: their likelihoods, and so "
        "their AIC, BIC and likelihood ratio tests, cannot be compared. For comparing "
        "fixed effects, use ML; I do this automatically when you compare such models, "
        "and say so.",
        "A good routine: choose between models with ML, then report the chosen model "
        "fitted with REML.",
    ],
    ["use ML", "use REML", "compare models 1 and 2"],
)

_topic(
    "ml_reml_fits",
    "An ML fit next to a REML fit of the same model",
    [
        "The two fits maximise different criteria: the ML log-likelihood is that of the "
        "data, the REML one that of the data with the fixed effects removed. The two "
        "numbers are not on one scale, so their difference is no likelihood ratio "
        "statistic, and their AICs and BICs cannot be set against each other either: "
        "there is no test of ML against REML.",
        "What can be compared are the estimates: the fixed effects are usually almost "
        "the same, and the ML variance components are smaller, because ML does not "
        "allow for the degrees of freedom the fixed effects use up. Read the two models' "
        "fixed effects and variance components side by side; to compare models with "
        "different fixed effects, compare ML fits (I refit them with ML when you compare "
        "such models).",
    ],
    ["show the fixed effects of models 1 and 2", "variance components of models 1 and 2"],
)

_topic(
    "icc",
    "The intraclass correlation (ICC)",
    [
        "In a random intercept model the outcome varies for two reasons: clusters differ "
        "from each other (variance of the random intercept) and observations differ "
        "within a cluster (residual variance). The ICC is the first share of the total: "
        "between-cluster variance divided by the sum of both. It is also the correlation "
        "between two observations from the same cluster.",
        "Above 0.5, differences between clusters dominate and ignoring the clustering "
        "would make the standard errors of predictors that vary between clusters far too "
        "small. Below 0.05 little of the variance lies between clusters, yet with large "
        "clusters ignoring it can still understate those standard errors (the design "
        "effect is 1 + (cluster size − 1) × ICC). In between, clustering matters "
        "moderately and a mixed model is the safer choice.",
        "With random slopes the between-cluster variance depends on the value of the "
        "slope variable, so a single ICC does not exist; I report the adjusted ICC of "
        "Nakagawa and Schielzeth instead, which averages the random-effect variance over "
        "the data.",
    ],
    ["report the ICC", "report variance components"],
)

_topic(
    "convergence",
    "When a fit does not converge",
    [
        "A fit has trouble when the optimizer stops before it reaches the best "
        "variance parameters, or when it reaches a boundary: a variance of zero or a "
        "correlation of ±1 (a singular fit). A singular fit usually means the data "
        "cannot support part of the random-effects structure.",
        "What to try, in this order: simplify the random effects (drop the random slope "
        "or its correlation); centre and scale continuous predictors so they are of "
        "similar size; check for predictors that are nearly copies of each other; allow "
        "more iterations; switch the optimizer (bobyqa, l-bfgs-b, nelder-mead, powell). "
        "A variance estimated at or near zero is a sign that the term is not needed.",
        "When a fit has trouble I run these remedies myself and tell you what each one "
        "did. The model I keep is always the one you asked for, unless you ask for the "
        "simpler one.",
    ],
    ["fix convergence", "use optimizer nelder-mead", "center time", "remove the random slope"],
)

_topic(
    "rm_anova",
    "Mixed models and repeated-measures ANOVA",
    [
        "Repeated-measures ANOVA and a mixed model ask the same question of the same "
        "kind of data. RM-ANOVA needs every subject measured at every time point: a "
        "subject with one missed visit is dropped entirely (listwise deletion). It "
        "cannot take covariates that change over time and assumes sphericity.",
        "A mixed model uses every observation it has, which is valid when the missing "
        "visits are missing at random, takes any mix of covariates, lets subjects differ "
        "in their rate of change (random slopes) and models the correlation directly. "
        "With complete, balanced data and no covariates the two agree.",
    ],
    ["compare to listwise deletion RM-ANOVA", "report how many observations per subject"],
)

_topic(
    "blups",
    "BLUPs: each cluster's own estimate",
    [
        "A mixed model does not estimate every subject's intercept as a free parameter. "
        "It estimates how much subjects vary, and then predicts each subject's deviation "
        "from the average: the best linear unbiased predictor (BLUP), or conditional "
        "mode. These predictions are pulled toward zero (shrinkage), more so for "
        "subjects with few or noisy observations.",
        "Each BLUP has a conditional standard deviation. In a caterpillar plot the BLUPs "
        "are sorted with their intervals; a subject whose interval excludes zero sits "
        "above or below the average, though with many subjects a few intervals exclude "
        "zero by chance alone (each interval is for one subject, not adjusted for the rest).",
        "Ask for one level by name (a number such as subject 308 works too), or for the "
        "levels with the highest or lowest intercepts, or the steepest or flattest "
        "slopes; a ranking shows 5 levels unless you give a number, and `rank ... by` "
        "shows them all.",
    ],
    [
        "show the BLUPs",
        "show the BLUPs for patient P001",
        "which patients have the highest intercepts",
        "which subjects have the steepest slopes",
        "top 5 schools",
        "caterpillar plot of random intercepts",
    ],
)

_topic(
    "random_slopes",
    "Random slopes",
    [
        "A random intercept lets each cluster start at its own level while all share "
        "one slope. A random slope also lets each cluster change at its own rate: "
        "`(1 + time | id)` gives every id its own intercept and its own time slope, and "
        "estimates their correlation. `(1 + time || id)` drops that correlation, and "
        "`(0 + time | id)` keeps the slope without a random intercept.",
        "Random slopes need enough observations per cluster along the slope variable. "
        "A slope variance near zero, or a correlation of ±1, says the data do not "
        "support it; compare the models with a likelihood ratio test.",
    ],
    [
        "LMM with random slope: score ~ time + (1 + time | id)",
        "add a random slope for time",
        "make the random effects uncorrelated",
    ],
)

_topic(
    "subsets",
    "Subsets of the data and outliers",
    [
        "Leave rows out by a level of a column (a subject, a school, a treatment arm), by "
        "a comparison (`=`, `!=`, `<`, `<=`, `>`, `>=`, or the words is, is not, above, "
        "below, over, under, at least, at most), by a missing value (`is missing`), or by "
        "row number (numbered from 1, as the residual plots number them). The rows kept "
        "become a new data set, `<name>_subset`, which the next models use; models fitted "
        "before keep their rows, and `switch to <name>` goes back to an earlier data set.",
        "Time points count within each subject, in the order of the time column: "
        "`only the first 3 visits` keeps each subject's three earliest times, `drop the "
        "last visit` removes each subject's latest, `only visits 2 to 4` keeps the second "
        "to the fourth; add `per patient` or `by week` to name the columns.",
        "A selection that would leave no rows, or one level of a grouping factor, is "
        "refused and changes nothing.",
        "`refit without the outliers` fits the newest model (or the one you name) again "
        "without the observations the residual diagnostics call outlying (a standardized "
        "residual beyond a Bonferroni bound of at least 3), files it as a new model and "
        "sets each fixed effect with and without those rows side by side: a sensitivity "
        "check, not a licence to drop data.",
    ],
    [
        "exclude patient P001",
        "exclude patients P001 and P002",
        "only treated patients",
        "keep only rows where age is at least 18",
        "remove rows where age > 70",
        "remove rows where pain_score is missing",
        "exclude rows 57, 8 and 60",
        "use only the first 3 visits",
        "drop the last visit",
        "switch to pain_trial",
        "refit without the outliers",
        "write a methods paragraph",
    ],
)

_topic(
    "samples",
    "Sample data sets",
    ["These data sets are built in; load one with `use sample <name>`."],
    ["use sample pain_trial", "use sample sleepstudy", "use sample ratings"],
)

_topic(
    "language",
    "What you can type",
    [
        "Write a model in lme4 formula syntax after `LMM:`. Fixed effects are "
        "ordinary regression terms: `a + b`, interactions `a:b`, both `a * b`. Random "
        "effects sit in brackets with a bar: `(1 | g)` a random intercept per level of "
        "g, `(1 + x | g)` with a random slope, `(1 | a/b)` b nested in a, "
        "`(1 | a) + (1 | b)` crossed (in words: `rating ~ condition with raters crossed "
        "with items`, or `random intercepts for plate and sample`). Functions allowed: "
        "log, exp, sqrt, scale, center, factor, poly, I(...).",
        "Several steps can go in one request, separated by `;` or `then`.",
        "`undo` (or `go back`) returns to the state before the last request that changed "
        "the data, the models or the options; say it again to go back one more. `what did "
        "you just do?` lists the requests so far with what each produced, `show me the "
        "plan` shows how I read the last request, and `show the model formula` (or `what "
        "is the formula of model 2?`) gives a model's lme4 formula and how it was fitted.",
        "Results go to files in the output folder: `export the results` writes the fixed "
        "effects, variance components and BLUPs as CSV files, the whole fit as JSON, and "
        "the last model comparison; name one table and a .csv or .json file to write just "
        "that (`save the BLUPs to blups.csv`). An existing file is replaced, and I say so.",
        "`plot the data` (or `spaghetti plot`) draws the observed data before any model: "
        "the outcome against time with one line per subject and the mean in bold, or, "
        "without a time variable, the outcome of each cluster. Name the columns to choose "
        "them (`plot score over week for each id by group`). A `fitted spaghetti plot` "
        "is the model's trajectory plot instead.",
        "`add a quadratic time term` (or `add time squared`) adds I(time^2) to the fixed "
        "part and fits the new model; centring time first (`center time`) reduces the "
        "correlation between the linear and quadratic estimates.",
        "`vcov` (or `show the variance-covariance matrix of the fixed effects`) shows the "
        "covariance matrix of the fixed-effect estimates and their correlations, as R's "
        "vcov() and lme4's summary() print them.",
        "Some questions are answered by fitting a second model and testing: `is there a "
        "time by treatment interaction?` (or `do the treatment groups change at different "
        "rates?`) fits the model with the interaction when it lacks it, reports the "
        "interaction's t test and compares the two models by a likelihood-ratio test of "
        "ML refits; `do we need the correlation?` (between a random intercept and slope) "
        "gives the correlation with its profile interval, fits the model with `||` and "
        "tests the two by their REML likelihoods; `is the effect of days linear?` compares "
        "the straight line with one mean per value of the predictor (both fitted by ML). "
        "`what is the design effect?` gives Kish's design effect and the effective sample "
        "size of a model with one grouping factor; `what is the inter-rater reliability?` "
        "gives McGraw and Wong's ICCs of a raters-crossed-with-items model; "
        "`are there influential subjects?` refits the model without each subject in turn "
        "and reports Cook's distance and how far each coefficient moves; `what is the "
        "effect size of treatment?` gives Cohen's d with its denominator (every variance "
        "component plus the residual variance), or the standardized slope of a numeric "
        "predictor; `is there a ceiling effect (at 100)?` counts the observations at the "
        "outcome's bounds against the 15% rule.",
        "Planning: `prediction interval for a new patient at month 6` adds, to the population "
        "prediction, where a patient the model has not seen (and one measurement of them) "
        "would fall; `what is the power to detect a treatment effect of -5?` simulates new "
        "data sets from the fitted model with that effect and counts how often its t test is "
        "significant; `how many patients do I need to detect a treatment effect of -5?` "
        "does so for half to three times as many patients and names the smallest number "
        "that reaches 80% power.",
    ],
    [
        "use sample sleepstudy",
        "load visits.csv",
        "reshape from wide to long format first",
        "describe the data",
        "plot Reaction over Days for each Subject",
        "LMM: Reaction ~ Days + (Days | Subject)",
        "fit a random intercept model",
        "mixed model of rating on condition with rater crossed with item",
        "add a random intercept for item",
        "use ML; use Kenward-Roger",
        "compare AIC/BIC; likelihood ratio test",
        "what is the AIC of model 2?",
        "profile confidence intervals",
        "bootstrap confidence intervals",
        "what is the power to detect a treatment effect of -5?",
        "type III tests",
        "residual plots",
        "plot fixed effect trajectory with 95% CI band; overlay individual BLUPs",
        "what if I ignore clustering",
        "center age",
        "show the BLUPs for patient P001",
        "export the results",
        "save the BLUPs to blups.csv",
        "exclude patient P001",
        "refit without the outliers",
        "undo",
        "what did you just do?",
        "show me the plan",
        "show the model formula",
    ],
)

HELP_TOPIC_KEYS = tuple(TOPICS)


def help_topic(key: str | None) -> HelpTopic:
    """The topic for a key (``None`` gives the overview)."""
    return TOPICS.get(key or "overview", TOPICS["overview"])
