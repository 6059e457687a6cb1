"""Which narrator speaks for which result type, and the words for skipped steps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.narrate import (
    baseline_comparison,
    baseline_covariate,
    baseline_spread,
    blup_normality,
    blups,
    bootstrap,
    ceiling_floor,
    change_between_times,
    change_ranking,
    cluster_sizes,
    coefficients,
    compare,
    convergence,
    covariance,
    data,
    design_checks,
    design_effect,
    dropout_timing,
    effect_size,
    effect_threshold,
    exports,
    figures,
    fit,
    fit_statistics,
    group_coefficients,
    group_reliability,
    group_size_subset,
    group_spread,
    help,
    icc_interval,
    influence,
    level_comparison,
    level_mean,
    level_prediction,
    linearity,
    marginal_means,
    method_comparison,
    missing,
    new_unit_prediction,
    observed_mean_ranking,
    observed_means,
    outliers,
    power,
    predictions,
    random_correlation,
    random_tests,
    refit,
    reliability,
    reports,
    residual_autocorrelation,
    residual_groups,
    residual_spread,
    session_history,
    shared_slope,
    side_by_side,
    slope_spread,
    standardized,
    starting_values,
    subjects_per_level,
    subset,
    tables,
    time_value_subset,
    variance_contrast,
    visit_subset,
    within_between,
    writeup,
)
from assistant.narrate.blocks import Block, Paragraph, code
from assistant.narrate.numbers import join_words
from assistant.narrate.study import study_blocks
from assistant.session_steps import PlanShown, SessionHistory, UndoOutcome
from assistant.step_results import (
    BaselineCovariateOutcome,
    DatasetLoaded,
    DataSubset,
    EngineResult,
    ExportedFiles,
    FitOutcome,
    FitStatisticsReport,
    GroupSizeSubset,
    HelpAnswer,
    ModelTable,
    ModelView,
    OptionChanged,
    OutlierRefit,
    PaperWriteUp,
    RefitUnchanged,
    SessionComparison,
    StudyDescribed,
    TimeValueSubset,
    VisitSubset,
    WithinBetweenOutcome,
)

STEP_WORDS = {
    "use_sample": "load the sample",
    "load_data": "load the data file",
    "reshape_long": "reshape to long format",
    "describe_data": "describe the data",
    "describe_study": "note the roles the description names",
    "fit_lmm": "fit the model",
    "modify_model": "change the model",
    "compare_models": "compare the models",
    "variance_components": "report the variance components",
    "icc": "report the ICC",
    "icc_interval": "compute the ICC's confidence interval",
    "outliers": "list the outliers",
    "fit_statistics": "report the fit statistics",
    "fixed_effects": "report the fixed effects",
    "vcov": "report the covariance matrix of the estimates",
    "explain_coefficient": "explain the coefficient",
    "blups": "report the BLUPs",
    "group_coefficients": "report each level's coefficients",
    "anova": "run the type III tests",
    "confint": "compute the confidence intervals",
    "bootstrap_confint": "compute the bootstrap confidence intervals",
    "predict": "compute the predictions",
    "missing_data": "audit the missing data",
    "compare_rm_anova": "compare with RM-ANOVA",
    "compare_ols": "compare with OLS",
    "plot_data": "plot the data",
    "plot_observed_means": "plot the observed means",
    "plot_caterpillar": "draw the caterpillar plot",
    "plot_trajectory": "draw the trajectory plot",
    "plot_residuals": "draw the residual plots",
    "fix_convergence": "run the convergence remedies",
    "set_option": "change the option",
    "export_results": "write the results to files",
    "transform": "transform the columns",
    "missing_code": "mark the code as missing",
    "subset_data": "select the rows",
    "subset_visits": "select the time points",
    "subset_group_size": "select the subjects by their number of rows",
    "baseline_covariate": "adjust for the baseline",
    "within_between": "split the predictor within clusters",
    "use_dataset": "switch the data set",
    "refit_without_outliers": "refit without the outliers",
    "help": "show help",
    "write_up": "write up the model",
    "interaction_test": "test the interaction",
    "correlation_test": "test the random-effect correlation",
    "linearity_test": "test whether the effect is linear",
    "design_effect": "compute the design effect",
    "design_crossing": "count the combinations of the grouping factors",
    "design_balance": "count the observations per level and cell",
    "term_variance_explained": "compute the variance the term explains",
    "compare_methods": "compare the two methods",
    "residual_variance_by_group": "compare the residual spread between groups",
    "residual_autocorrelation": "compute the residuals' autocorrelation",
    "change_between_times": "compare the changes between the two times",
    "group_mean_reliability": "compute the reliability of the group means",
    "level_mean": "compute the mean in that level",
    "rater_reliability": "compute the inter-rater reliability",
    "cluster_influence": "find influential clusters",
    "effect_size": "compute the effect size",
    "power_analysis": "simulate the power",
    "effect_threshold": "test the effect against the threshold",
    "ceiling_floor": "check for ceiling and floor effects",
    "undo": "undo the last change",
    "show_history": "show the history",
    "show_plan": "show the last plan",
    "baseline_comparison": "compare the groups at the first time point",
    "observed_means": "tabulate the observed means",
}


def step_words(step: Any) -> str:
    kind = getattr(step, "kind", str(step))
    words = STEP_WORDS.get(kind, kind.replace("_", " "))
    if kind == "fit_lmm":
        formula = getattr(step, "formula", None)
        structure = getattr(step, "structure", None)
        if formula:
            return f"fit {code(formula)}"
        if structure:
            return f"fit the {structure.replace('_', ' ')} model"
    return words


def skipped_blocks(steps: list[Any]) -> list[Block]:
    names = [step_words(s) for s in steps]
    noun = "step was" if len(names) == 1 else "steps were"
    return [
        Paragraph(
            f"Because of this, {len(names)} later {noun} skipped: {join_words(names)}. "
            "Fix the problem and ask again."
        )
    ]


def narrate_outcome(result: Any, paths: list[Path], detailed: bool) -> list[Block]:
    """Blocks for one finished step (``Detail`` blocks hold the detailed-only parts)."""
    if isinstance(result, FitOutcome):
        blocks = fit.fit_blocks(
            result.model,
            variance=result.variance,
            built_from=result.built_from,
            guessed=result.guessed_roles,
            described=result.described_roles,
            change=result.change,
            quadratics=result.quadratics,
        )
        if result.note:
            blocks.insert(1, Paragraph(result.note))
        for sentence in reversed(data.missing_code_sentences(result.missing_codes)):
            blocks.insert(1, Paragraph(sentence))
        newer = fit.newer_choices_sentence(result.newer_choices, result.built_from)
        if newer:
            blocks.insert(2 if result.built_from else 1, Paragraph(newer))
        if result.model.audit is not None:
            blocks.extend(convergence.audit_blocks(result.model.audit, result.model))
        return blocks
    if isinstance(result, StudyDescribed):
        return study_blocks(result)
    if isinstance(result, DatasetLoaded):
        return data.dataset_blocks(result)
    if isinstance(result, DataSubset):
        return subset.subset_blocks(result)
    if isinstance(result, VisitSubset):
        return visit_subset.visit_subset_blocks(result)
    if isinstance(result, TimeValueSubset):
        return time_value_subset.time_value_subset_blocks(result)
    if isinstance(result, GroupSizeSubset):
        return group_size_subset.group_size_subset_blocks(result)
    if isinstance(result, BaselineCovariateOutcome):
        return baseline_covariate.baseline_covariate_blocks(
            result, narrate_outcome(result.fitted, paths, detailed)
        )
    if isinstance(result, WithinBetweenOutcome):
        if result.fitted is None:
            return within_between.within_between_blocks(result)
        return within_between.fitted_blocks(
            result, narrate_outcome(result.fitted, paths, detailed)
        )
    if isinstance(result, OutlierRefit):
        return subset.outlier_refit_blocks(result)
    if isinstance(result, RefitUnchanged):
        return refit.refit_unchanged_blocks(result)
    if isinstance(result, ModelView):
        return reports.model_view_blocks(result)
    if isinstance(result, PaperWriteUp):
        return writeup.writeup_blocks(result)
    if isinstance(result, FitStatisticsReport):
        return fit_statistics.fit_statistics_blocks(result)
    if isinstance(result, SessionComparison):
        return compare.comparison_blocks(result)
    if isinstance(result, ModelTable):
        return tables.model_table_blocks(result)
    if isinstance(result, OptionChanged):
        return [Paragraph(reports.option_sentence(result))]
    if isinstance(result, HelpAnswer):
        current = [] if result.current is None else reports.model_view_blocks(result.current)
        return current + help.help_blocks(result)
    if isinstance(result, UndoOutcome):
        return session_history.undo_blocks(result)
    if isinstance(result, SessionHistory):
        return session_history.history_blocks(result)
    if isinstance(result, PlanShown):
        return session_history.plan_blocks(result)
    if isinstance(result, EngineResult):
        return engine_result_blocks(result, paths)
    if isinstance(result, ExportedFiles):
        return exports.export_blocks(result)
    return [Paragraph(f"Done ({type(result).__name__}).")]


#: Narration of each kind of engine result about a model: (result, model) -> blocks.
MODEL_RESULT_BLOCKS: dict[str, Callable[[Any, Any], list[Block]]] = {
    "coefficient_meaning": coefficients.coefficient_meaning_blocks,
    "fixed_effects_covariance": covariance.covariance_blocks,
    "rm_anova_side_by_side": side_by_side.rm_anova_blocks,
    "ols_side_by_side": side_by_side.ols_blocks,
    "predictions": predictions.prediction_blocks,
    "new_unit_predictions": new_unit_prediction.new_unit_blocks,
    "random_effects_tests": random_tests.random_tests_blocks,
    "marginal_means": marginal_means.marginal_means_blocks,
    "blup_lookup": blups.lookup_blocks,
    "blup_ranking": blups.ranking_blocks,
    "blup_ranking_asked": blups.asked_ranking_blocks,
    "change_ranking": change_ranking.change_ranking_blocks,
    "shared_slope_answer": shared_slope.shared_slope_blocks,
    "observed_mean_ranking": observed_mean_ranking.observed_mean_ranking_blocks,
    "starting_value_ranking": starting_values.starting_ranking_blocks,
    "level_comparison": level_comparison.level_comparison_blocks,
    "variance_contrast": variance_contrast.variance_contrast_blocks,
    "standardized_coefficients": standardized.standardized_blocks,
    "group_coefficients": group_coefficients.group_coefficient_blocks,
    "level_prediction": level_prediction.level_prediction_blocks,
    "convergence_audit": convergence.audit_blocks,
    "bootstrap_confint": bootstrap.bootstrap_blocks,
    "random_correlations": random_correlation.correlation_blocks,
    "linearity_test": linearity.linearity_blocks,
    "design_effect": design_effect.design_effect_blocks,
    "design_crossing": design_checks.crossing_blocks,
    "design_balance": design_checks.balance_blocks,
    "term_variance_explained": design_checks.term_variance_blocks,
    "rescaled_coefficient": design_checks.rescaled_blocks,
    "icc_interval": icc_interval.icc_interval_blocks,
    "outliers": outliers.outlier_blocks,
    "rater_reliability": reliability.reliability_blocks,
    "cluster_influence": influence.influence_blocks,
    "effect_size": effect_size.effect_size_blocks,
    "power_analysis": power.power_blocks,
    "effect_threshold": effect_threshold.threshold_blocks,
    "effect_threshold_needed": effect_threshold.threshold_needed_blocks,
    "ceiling_floor": ceiling_floor.ceiling_floor_blocks,
    "baseline_spread": baseline_spread.baseline_spread_blocks,
    "group_spread": group_spread.group_spread_blocks,
    "slope_spread": slope_spread.slope_spread_blocks,
    "baseline_comparison": baseline_comparison.baseline_comparison_blocks,
    "ddf_comparison": method_comparison.ddf_comparison_blocks,
    "estimation_comparison": method_comparison.estimation_comparison_blocks,
    "residual_variance_by_group": residual_groups.residual_groups_blocks,
    "residual_autocorrelation": residual_autocorrelation.residual_autocorrelation_blocks,
    "change_between_times": change_between_times.change_between_times_blocks,
    "group_mean_reliability": group_reliability.group_reliability_blocks,
    "level_mean": level_mean.level_mean_blocks,
}


def engine_result_blocks(result: EngineResult, paths: list[Path]) -> list[Block]:
    kind = result.kind
    if kind == "data_summary":
        return data.summary_blocks(result.result)
    if kind == "missing_data":
        return missing.missing_blocks(result.result)
    if kind == "complete_subjects":
        return missing.complete_subjects_blocks(result.result)
    if kind == "dropout":
        return missing.dropout_blocks(result.result)
    if kind == "dropout_before":
        return dropout_timing.dropout_before_blocks(result.result)
    if kind == "missingness_by":
        return missing.missingness_by_blocks(result.result)
    if kind == "cluster_sizes":
        return cluster_sizes.cluster_sizes_blocks(result.result)
    if kind == "observed_means":
        return observed_means.observed_means_blocks(result.result)
    if kind == "subjects_per_level":
        return subjects_per_level.subjects_per_level_blocks(result.result)
    if kind == "random_effects_normality":
        return blup_normality.normality_blocks(result.result, result.model, paths)
    if kind in MODEL_RESULT_BLOCKS:
        return MODEL_RESULT_BLOCKS[kind](result.result, result.model)
    if kind == "residual_spread":
        return residual_spread.spread_blocks(result.result, result.model, paths)
    if kind.startswith("figure_"):
        blocks = figures.figure_blocks(result.result, result.model, paths)
        if getattr(result, "note", None):
            blocks.insert(1, Paragraph(result.note))
        return blocks
    return [Paragraph(f"Done ({kind}).")]
