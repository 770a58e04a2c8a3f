"""A linear mixed model across patients on the daily data (statsmodels MixedLM).

Model, for day j of patient i (only days that are ``included`` in the comparison)::

    y_ij = (b0 + u0_i) + (b1 + u1_i) treat_ij + e_ij,
    (u0_i, u1_i) ~ N(0, G) (unstructured 2 x 2),  e_ij ~ N(0, sigma²) independent,

fitted by REML: R ``lme4::lmer(y ~ treat + (1 + treat | patient), REML = TRUE)``. ``b1``
is the pooled effect (treated minus control). Unlike the per-patient gls_ar1 model it
ignores autocorrelation between days, so its standard error is a little optimistic when
diaries are autocorrelated; the meta-analysis of gls_ar1 effects is the primary pooled
analysis, and this model a check on it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import special

__all__ = ["MixedModel", "mixed_model", "FORMULA"]

#: The model, in lme4's notation.
FORMULA = "y ~ treat + (1 + treat | patient)"
_GTOL = 1e-8  # BFGS gradient tolerance; statsmodels' default (1e-5) stops a little early


@dataclass(frozen=True)
class MixedModel:
    """A MixedLM fit; ``to_dict()`` is the ``mixed_model`` entry of series.json.

    Attributes
    ----------
    estimate, se, ci_low, ci_high, p_value : float or None
        Fixed treatment effect ``b1``, its standard error, Wald (z) interval and two-sided
        p-value (statsmodels reports z tests; lme4 reports t values without p).
    intercept : float or None
        Fixed intercept ``b0`` (mean on the control condition).
    sd_intercept, sd_treat, corr : float or None
        Between-patient sds of the intercept and of the treatment effect, and their
        correlation (from G).
    sigma : float or None
        Residual sd.
    n_obs, n_patients : int
    converged : bool
    warnings : tuple of str
        What the fitter warned about (non-convergence, a boundary fit...).
    reason : str or None
        Why there is no fit; None when it ran.
    """

    estimate: float | None = None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    intercept: float | None = None
    sd_intercept: float | None = None
    sd_treat: float | None = None
    corr: float | None = None
    sigma: float | None = None
    n_obs: int = 0
    n_patients: int = 0
    converged: bool = False
    warnings: tuple = field(default=())
    reason: str | None = None

    def to_dict(self) -> dict:
        """Plain values; also ``method`` (REML), ``formula`` and ``software``."""
        out = {
            k: _plain(getattr(self, k))
            for k in (
                "estimate",
                "se",
                "ci_low",
                "ci_high",
                "p_value",
                "intercept",
                "sd_intercept",
                "sd_treat",
                "corr",
                "sigma",
                "n_obs",
                "n_patients",
                "converged",
            )
        }
        out |= {"method": "REML", "formula": FORMULA, "software": "statsmodels MixedLM"}
        out |= {"warnings": list(self.warnings), "reason": self.reason}
        return out


def mixed_model(y, treat, patient, alpha: float = 0.05) -> MixedModel:
    """Fit ``y ~ treat + (1 + treat | patient)`` by REML with statsmodels MixedLM.

    Parameters
    ----------
    y : array_like
        Daily outcome values (missing values are dropped).
    treat : array_like of bool or 0/1
        1 on treated days (active, or group B when blinded), 0 on control days.
    patient : array_like
        Patient id of each day.
    alpha : float
        The interval has level 1 - alpha.

    Returns
    -------
    MixedModel
        Unavailable (``reason``) with fewer than 3 patients observed in both conditions.

    Notes
    -----
    Optimised by BFGS with gradient tolerance 1e-8 (statsmodels' default 1e-5 stops early;
    this one agrees with lme4's fixed effect and standard error to about 1e-5), from moment
    estimates (each patient's two condition means). If BFGS fails, statsmodels' default
    start and chain of optimisers are tried, and the warnings are kept.
    Fixed effects are invariant to the order of the rows, so the fit is deterministic.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> patient = np.repeat(np.arange(6), 40)
    >>> treat = np.tile(np.repeat([0, 1], 20), 6)
    >>> effect = np.array([-8.0, -12.0, -5.0, -10.0, -9.0, -11.0])
    >>> level = np.array([48.0, 55.0, 60.0, 45.0, 52.0, 58.0])
    >>> y = level[patient] + effect[patient] * treat + rng.normal(0, 5, patient.size)
    >>> m = mixed_model(y, treat, patient)
    >>> m.n_patients, m.converged, -12 < m.estimate < -7
    (6, True, True)
    """
    y = np.asarray(y, dtype=float)
    treat = np.asarray(treat).astype(float)
    patient = np.asarray(patient)
    keep = np.isfinite(y)
    y, treat, patient = y[keep], treat[keep], patient[keep]
    _, groups = np.unique(patient, return_inverse=True)
    treated_days = np.bincount(groups, weights=treat, minlength=groups.max(initial=-1) + 1)
    control_days = np.bincount(groups, weights=1 - treat, minlength=treated_days.size)
    both = int(((treated_days > 0) & (control_days > 0)).sum())
    if both < 3:
        return MixedModel(
            n_obs=int(y.size),
            n_patients=int(treated_days.size),
            reason=f"needs at least 3 patients with days in both conditions; got {both}",
        )
    import statsmodels.api as sm

    X = np.column_stack([np.ones_like(y), treat])
    model = sm.MixedLM(y, X, groups=groups, exog_re=X)
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        fit = model.fit(reml=True, method="bfgs", gtol=_GTOL, start_params=_start(y, treat, groups))
        if not fit.converged:
            fit = model.fit(reml=True)
    messages = tuple(dict.fromkeys(str(w.message).splitlines()[0] for w in caught))
    b, se = float(fit.fe_params[1]), float(fit.bse_fe[1])
    g = np.asarray(fit.cov_re, dtype=float)
    sds = np.sqrt(np.clip(np.diag(g), 0, None))
    z = special.ndtri(1 - alpha / 2)
    return MixedModel(
        estimate=b,
        se=se,
        ci_low=float(b - z * se),
        ci_high=float(b + z * se),
        p_value=float(2 * special.ndtr(-abs(b / se))) if se > 0 else None,
        intercept=float(fit.fe_params[0]),
        sd_intercept=float(sds[0]),
        sd_treat=float(sds[1]),
        corr=float(g[0, 1] / (sds[0] * sds[1])) if sds.all() else None,
        sigma=float(np.sqrt(fit.scale)),
        n_obs=int(y.size),
        n_patients=int(groups.max() + 1),
        converged=bool(fit.converged),
        warnings=messages,
    )


def _start(y: np.ndarray, treat: np.ndarray, groups: np.ndarray):
    """Moment estimates from each patient's two means: a start near the REML optimum.

    It halves the BFGS iterations (and the time) on a large series; the optimum is the same.
    """
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    n1 = np.bincount(groups, weights=treat)
    n0 = np.bincount(groups, weights=1 - treat)
    both = (n0 > 1) & (n1 > 1)
    if both.sum() < 3:
        return None
    m1 = np.bincount(groups, weights=y * treat)[both] / n1[both]
    m0 = np.bincount(groups, weights=y * (1 - treat))[both] / n0[both]
    fitted = np.where(treat == 1, _by_group(m1, both)[groups], _by_group(m0, both)[groups])
    keep = both[groups]
    sigma2 = np.square(y - fitted)[keep].sum() / (keep.sum() - 2 * both.sum())
    sampling = np.array([[1.0, -1.0], [-1.0, 1.0]]) * np.mean(1 / n0[both])
    sampling[1, 1] += np.mean(1 / n1[both])
    g = np.cov(np.vstack([m0, m1 - m0])) - sigma2 * sampling
    values, vectors = np.linalg.eigh(g)
    g = vectors @ np.diag(np.clip(values, 1e-3 * sigma2, None)) @ vectors.T
    fe = np.array([m0.mean(), (m1 - m0).mean()])
    return MixedLMParams.from_components(fe_params=fe, cov_re=g / sigma2)


def _by_group(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = np.zeros(mask.size)
    out[mask] = values
    return out


def _plain(value):
    """numpy scalars to Python; NaN and inf to None."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value
