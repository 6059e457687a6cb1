"""The log-determinant of a diagonal or block factor: a sum of logs, cheaply."""

from __future__ import annotations

import math

import numpy as np

#: Up to this many factors, a log-determinant is the log of their product.
SHORT_LOG_SUM = 64


def log_sum(values: np.ndarray) -> float:
    """sum(log(values)) for positive values.

    Short vectors take the log of their product (one call instead of numpy's
    per-call overhead) unless it leaves the normal floating-point range.
    """
    if values.size <= SHORT_LOG_SUM:
        product = math.prod(values.tolist())
        if 1e-300 < product < 1e300:
            return math.log(product)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.log(values).sum())
