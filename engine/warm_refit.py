"""A refit that starts where a fit ended, as lme4's ``refit()`` does.

The bootstrap (a new response) and the leave-one-cluster-out influence refits (fewer
rows) both optimise the profiled deviance of a changed model from the original fit's
theta, with the fit's criterion (REML or ML) and optimizer, and skip the checks and
inference of a full ``fit_lmm``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.model import LmmModel
from engine.optimize import OptSummary, minimize
from engine.profiled_deviance import deviance_function


def refit_from(fit: Any, model: LmmModel) -> tuple[OptSummary, np.ndarray, Any]:
    """Minimise ``model``'s profiled deviance from ``fit.theta`` with ``fit``'s criterion
    and optimizer (L-BFGS-B driven by the analytic gradient, as in the fit); returns the
    optimizer's record, the optimal theta and the model's solution there (beta,
    sigma^2, unscaled vcov)."""
    theta0 = np.asarray(fit.theta, dtype=float)
    objective = deviance_function(model, fit.reml)
    gradient = (
        (lambda th: model.deviance_and_gradient(th, fit.reml))
        if fit.optimizer == "l-bfgs-b"
        else None
    )
    opt = minimize(
        objective, theta0, model.theta_lower, optimizer=fit.optimizer, gradient=gradient
    )
    theta = np.asarray(opt.final, dtype=float)
    return opt, theta, model.solve(theta, fit.reml)
