"""Statistics on DataFrames: the linear mixed model engine and its companions."""

from engine.errors import LmmInputError
from engine.lmm import fit_lmm
from engine.results import LmmFit

__all__ = ["LmmFit", "LmmInputError", "fit_lmm"]
