"""Cross-check against statsmodels' MixedLM where it converges (random intercepts).

statsmodels maximises the same REML likelihood with gradient methods and a different
parameterisation, so agreement is expected to its convergence accuracy: fixed
effects within 1e-4 relative, their SEs and the variance components within 1e-3.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from engine import fit_lmm


@pytest.mark.parametrize(
    "data_name,outcome,fixed,group",
    [
        ("sleepstudy", "Reaction", "Days", "Subject"),
        ("Dyestuff", "Yield", "1", "Batch"),
        ("Orthodont", "distance", "age * Sex", "Subject"),
    ],
)
def test_random_intercept_models_agree_with_statsmodels(
    reference_dir, data_name, outcome, fixed, group
):
    data = pd.read_csv(reference_dir / "data" / f"{data_name}.csv")
    data[group] = data[group].astype(str)
    ours = fit_lmm(f"{outcome} ~ {fixed} + (1 | {group})", data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = smf.mixedlm(f"{outcome} ~ {fixed}", data, groups=data[group]).fit(reml=True)
    assert sm.converged
    names = ["Intercept" if n == "(Intercept)" else n for n in ours.fixed_names]
    np.testing.assert_allclose(ours.beta, sm.fe_params[names].to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(
        [fe.se for fe in ours.fixed_effects], sm.bse_fe[names].to_numpy(), rtol=1e-3
    )
    tau2 = ours.variance_components[0].vcov
    assert tau2 == pytest.approx(float(sm.cov_re.iloc[0, 0]), rel=1e-3)
    assert ours.sigma**2 == pytest.approx(float(sm.scale), rel=1e-3)
    # statsmodels reports the REML log-likelihood with the same constants.
    assert ours.loglik == pytest.approx(float(sm.llf), rel=1e-6)
