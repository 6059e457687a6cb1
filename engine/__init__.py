"""Statistics on DataFrames: the linear mixed model engine and its companions."""

from engine.compare import compare_models
from engine.errors import LmmInputError
from engine.lmm import fit_lmm
from engine.results import LmmFit

__all__ = ["LmmFit", "LmmInputError", "compare_models", "fit_lmm"]
