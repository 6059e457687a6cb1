"""Which narrator speaks for which result type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.narrate import compare, data, figures, fit, help, reports, tables
from assistant.narrate.blocks import Block, Paragraph
from assistant.step_results import (
    DatasetLoaded,
    EngineResult,
    FitOutcome,
    HelpAnswer,
    ModelTable,
    ModelView,
    OptionChanged,
    SessionComparison,
)


def narrate(result: Any, paths: list[Path], detailed: bool) -> list[Block]:
    if isinstance(result, FitOutcome):
        blocks = fit.fit_blocks(
            result.model, built_from=result.built_from, guessed=result.guessed_roles
        )
        if result.note:
            blocks.insert(1, Paragraph(result.note))
        if result.model.audit is not None:
            blocks.extend(reports.audit_blocks(result.model.audit, result.model))
        return blocks
    if isinstance(result, DatasetLoaded):
        return data.dataset_blocks(result)
    if isinstance(result, ModelView):
        return reports.model_view_blocks(result)
    if isinstance(result, SessionComparison):
        return compare.comparison_blocks(result)
    if isinstance(result, ModelTable):
        return tables.model_table_blocks(result)
    if isinstance(result, OptionChanged):
        return [Paragraph(reports.option_sentence(result))]
    if isinstance(result, HelpAnswer):
        return help.help_blocks(result)
    if isinstance(result, EngineResult):
        return engine_result_blocks(result, paths)
    return [Paragraph(f"Done ({type(result).__name__}).")]


def engine_result_blocks(result: EngineResult, paths: list[Path]) -> list[Block]:
    kind = result.kind
    if kind == "data_summary":
        return data.summary_blocks(result.result)
    if kind == "missing_data":
        return data.missing_blocks(result.result)
    if kind == "rm_anova_side_by_side":
        return compare.rm_anova_blocks(result.result, result.model)
    if kind == "ols_side_by_side":
        return compare.ols_blocks(result.result, result.model)
    if kind == "predictions":
        return reports.prediction_blocks(result.result, result.model)
    if kind == "convergence_audit":
        return reports.audit_blocks(result.result, result.model)
    if kind.startswith("figure_"):
        return figures.figure_blocks(result.result, result.model, paths)
    return [Paragraph(f"Done ({kind}).")]
