"""A linear mixed model across patients on the daily data, by exact REML.

Model, for day j of patient i (only days that are ``included`` in the comparison)::

    y_ij = (b0 + u0_i) + (b1 + u1_i) treat_ij + e_ij,
    (u0_i, u1_i) ~ N(0, G) (unstructured 2 x 2),  e_ij ~ N(0, sigma²) independent,

fitted by REML: R ``lme4::lmer(y ~ treat + (1 + treat | patient), REML = TRUE)``. ``b1``
is the pooled effect (treated minus control), tested by t with Satterthwaite's degrees of
freedom as ``lmerTest`` (with few patients a normal reference is too liberal: the df are
close to the number of patients, not of days). Unlike the per-patient gls_ar1 model it
ignores autocorrelation between days, so its standard error is a little optimistic when
diaries are autocorrelated; the meta-analysis of gls_ar1 effects is the primary pooled
analysis, and this model a check on it.

Why it is fast: the random effects use the same two columns as the fixed effects, so
every quantity of the REML criterion is a sum over patients of 2 x 2 closed forms of each
patient's sufficient statistics ``XᵢᵀXᵢ``, ``Xᵢᵀyᵢ`` and ``yᵢᵀyᵢ`` (see
:func:`mixed_model`'s Notes): O(patients) per evaluation, no n x n matrix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Literal, NamedTuple

import numpy as np

from nof1.schemas.records import Json, PValue, Record, entry
from nof1.series.mixed_reml import relative_factor, reml_criterion

__all__ = [
    "FORMULA",
    "MixedModel",
    "MixedStatistics",
    "concat_statistics",
    "mixed_model",
    "mixed_model_from_statistics",
    "mixed_statistics",
]

#: The model, in lme4's notation.
FORMULA = "y ~ treat + (1 + treat | patient)"
_SOFTWARE = "nof1 (exact REML from per-patient sufficient statistics, as lme4::lmer)"
_SINGULAR = 1e-4  # lme4's isSingular() tolerance on the relative Cholesky factor


class MixedStatistics(NamedTuple):
    """Per-patient sufficient statistics of the mixed model: all the exact REML fit needs.

    One entry per patient (leading axis, m patients); every field is an array, so the
    statistics of groups of patients combine by concatenating each field
    (:func:`concat_statistics`).

    Attributes
    ----------
    patient : ndarray, shape (m,)
        Patient ids.
    A : ndarray, shape (m, 2, 2)
        ``XᵢᵀXᵢ`` with ``Xᵢ = [1, treat]``: ``[[nᵢ, n1ᵢ], [n1ᵢ, n1ᵢ]]`` (days, treated days).
    b : ndarray, shape (m, 2)
        ``Xᵢᵀ(yᵢ - cᵢ)``: the sums of ``y - centre`` over all days and over treated days.
    yy : ndarray, shape (m,)
        ``(yᵢ - cᵢ)ᵀ(yᵢ - cᵢ)``.
    centre : ndarray, shape (m,)
        ``cᵢ``, the constant subtracted from patient i's y before summing (for precision).
    """

    patient: np.ndarray
    A: np.ndarray
    b: np.ndarray
    yy: np.ndarray
    centre: np.ndarray

    @property
    def n_obs(self) -> int:
        """Days with an outcome, over all patients."""
        return int(self.A[:, 0, 0].sum())

    @property
    def df(self) -> int:
        """Residual degrees of freedom N - p of the REML criterion."""
        return self.n_obs - 2

    def pooled(self) -> MixedStatistics:
        """The same statistics with one centre for every patient (the day-weighted mean of
        the centres), as the fit needs; unchanged when they share one already."""
        if self.centre.size == 0 or np.all(self.centre == self.centre[0]):
            return self
        n, n1 = self.A[:, 0, 0], self.A[:, 1, 1]
        common = float(np.sum(n * self.centre) / n.sum())
        d = self.centre - common  # y - common = (y - cᵢ) + dᵢ
        b = self.b + d[:, None] * np.stack([n, n1], axis=-1)
        yy = self.yy + 2 * d * self.b[:, 0] + d**2 * n
        return MixedStatistics(self.patient, self.A, b, yy, np.full(self.centre.size, common))


@dataclass(frozen=True)
class MixedModel(Record):
    """A REML fit of the linear mixed model ``y ~ treat + (1 + treat | patient)``.

    Attributes
    ----------
    estimate, se : float or None
        Fixed treatment effect ``b1`` and its standard error.
    df, t, ci_low, ci_high, p_value : float or None
        Satterthwaite degrees of freedom of ``b1`` (as ``lmerTest``'s ``summary()``; see
        :mod:`nof1.series.mixed_df`), ``t = estimate / se``, the t interval and two-sided
        t test on ``df``. When the Hessian of the REML criterion is not positive definite
        (a fit on the boundary) df is the patients with both conditions minus 1, and a
        warning says so.
    df_method : {"Satterthwaite", "patients - 1"}
        Which df it is.
    intercept : float or None
        Fixed intercept ``b0`` (mean on the control condition).
    sd_intercept, sd_treat, corr : float or None
        Between-patient sds of the intercept and of the treatment effect, and their
        correlation (from G).
    sigma : float or None
        Residual sd.
    n_obs, n_patients : int
    converged : bool
    method, formula, software : str
        REML, the model in lme4's notation, and what fitted it.
    warnings : tuple of str
        What the fit warns about (a singular fit, no convergence).
    reason : str or None
        Why there is no fit; None when it ran.
    loglik : float or None
        The maximised REML log-likelihood, on the scale of lme4's ``logLik()`` (not in
        ``to_dict``).
    """

    estimate: float | None = None
    se: float | None = None
    df: float | None = entry(
        None, description="Satterthwaite degrees of freedom of the treatment effect (lmerTest)."
    )
    t: float | None = None
    ci_low: float | None = entry(None, description="t interval on df: estimate ± t se.")
    ci_high: float | None = None
    p_value: PValue = entry(None, description="Two-sided t test on df (lmerTest's summary()).")
    df_method: Literal["Satterthwaite", "patients - 1"] | None = entry(
        None,
        description="Satterthwaite, or patients with both conditions minus 1 when the REML "
        "Hessian is not positive definite.",
    )
    intercept: float | None = None
    sd_intercept: float | None = None
    sd_treat: float | None = None
    corr: Annotated[float | None, Json(minimum=-1, maximum=1)] = None
    sigma: float | None = None
    n_obs: Annotated[int, Json(minimum=0)] = 0
    n_patients: Annotated[int, Json(minimum=0)] = 0
    converged: bool = False
    method: Literal["REML"] = "REML"
    formula: str = FORMULA
    software: str = _SOFTWARE
    warnings: tuple[str, ...] = field(default=())
    reason: str | None = None
    loglik: float | None = entry(None, omit=True)


def mixed_model(y, treat, patient, alpha: float = 0.05) -> MixedModel:
    """Fit ``y ~ treat + (1 + treat | patient)`` by REML; test ``treat`` by t with
    Satterthwaite's degrees of freedom (as ``lmerTest::lmer``).

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
    With ``Xᵢ = [1, treat]`` (also the random-effects design), ``G = sigma² D`` and
    ``D = Λ Λᵀ`` (Λ lower triangular with a non-negative diagonal: lme4's θ), the
    covariance of patient i's days is ``sigma² Hᵢ``, ``Hᵢ = I + Xᵢ D Xᵢᵀ``. With
    ``Aᵢ = XᵢᵀXᵢ``, ``bᵢ = Xᵢᵀyᵢ`` and ``Wᵢ = (I + Aᵢ D)⁻¹``, Woodbury's identity gives
    ``XᵢᵀHᵢ⁻¹Xᵢ = Wᵢ Aᵢ``, ``XᵢᵀHᵢ⁻¹yᵢ = Wᵢ bᵢ``, ``yᵢᵀHᵢ⁻¹yᵢ = yᵢᵀyᵢ - (D bᵢ)ᵀWᵢ bᵢ``
    and ``|Hᵢ| = |I + Aᵢ D|``. Summed over patients these give ``P = XᵀH⁻¹X``, the GLS
    estimate ``b = P⁻¹ XᵀH⁻¹y``, the residual sum of squares S² and, with ``N - p``
    residual degrees of freedom and sigma² = S²/(N - p) profiled out, lme4's REML
    criterion::

        -2 l_R(θ) = (N - p)(1 + log(2π S²/(N - p))) + Σᵢ log|I + Aᵢ D| + log|P|

    Its gradient is ``∂/∂Λ = 2 T Λ`` with ``T = Σᵢ (Cᵢ - Cᵢ P⁻¹ Cᵢ) - (N - p)/S² Σᵢ eᵢeᵢᵀ``,
    ``Cᵢ = Wᵢ Aᵢ`` and ``eᵢ = Wᵢ bᵢ - Cᵢ b``. It is minimised over θ by L-BFGS-B from
    moment estimates (each patient's two condition means). The fixed effects' covariance
    is ``sigma² P⁻¹``. y is centred first (only the intercept changes), for precision.

    References
    ----------
    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects
    models using lme4. J Stat Softw 67(1), 1-48 (the profiled REML criterion, section 3).

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
    return mixed_model_from_statistics(mixed_statistics(y, treat, patient), alpha)


def mixed_statistics(y, treat, patient) -> MixedStatistics:
    """The per-patient sufficient statistics of :func:`mixed_model` (days with a missing y
    are dropped); see :class:`MixedStatistics`.

    Examples
    --------
    >>> s = mixed_statistics([1.0, 2.0, 4.0, 3.0, np.nan], [0, 1, 0, 1, 1], list("bbaaa"))
    >>> s.patient.tolist(), s.n_obs
    (['a', 'b'], 4)
    """
    y = np.asarray(y, dtype=float)
    treat = np.asarray(treat).astype(float)
    patient = np.asarray(patient)
    keep = np.isfinite(y)
    y, treat, patient = y[keep], treat[keep], patient[keep]
    ids, groups = np.unique(patient, return_inverse=True)
    centre = float(y.mean()) if y.size else 0.0
    yc = y - centre
    m = ids.size

    def total(weights):
        return np.bincount(groups, weights=weights, minlength=m)

    n, n1 = total(np.ones_like(yc)), total(treat)
    A = np.stack([np.stack([n, n1], axis=-1), np.stack([n1, n1], axis=-1)], axis=-2)
    b = np.stack([total(yc), total(yc * treat)], axis=-1)
    return MixedStatistics(ids, A, b, total(yc * yc), np.full(m, centre))


def concat_statistics(parts) -> MixedStatistics:
    """The statistics of several groups of patients as one (each patient in one group).

    Examples
    --------
    >>> y, treat, patient = [1.0, 2.0, 4.0, 3.0, 5.0, 7.0], [0, 1] * 3, [1, 1, 2, 2, 3, 3]
    >>> whole = mixed_statistics(y, treat, patient)
    >>> parts = [mixed_statistics(y[:2], treat[:2], patient[:2]),
    ...          mixed_statistics(y[2:], treat[2:], patient[2:])]
    >>> np.allclose(concat_statistics(parts).pooled().yy, whole.yy)
    True
    """
    parts = list(parts)
    if not parts:
        raise ValueError("no statistics to combine")
    out = MixedStatistics(
        *(np.concatenate([getattr(s, f) for s in parts]) for f in MixedStatistics._fields)
    )
    if np.unique(out.patient).size != out.patient.size:
        raise ValueError("a patient appears in more than one group of statistics")
    return out


def mixed_model_from_statistics(stats: MixedStatistics, alpha: float = 0.05) -> MixedModel:
    """Fit ``y ~ treat + (1 + treat | patient)`` by REML from per-patient statistics.

    ``mixed_model(y, treat, patient, alpha)`` is
    ``mixed_model_from_statistics(mixed_statistics(y, treat, patient), alpha)``; statistics
    of several groups of patients, joined by :func:`concat_statistics`, give the fit of all
    of their days together.
    """
    from scipy import optimize, special

    stats = stats.pooled()
    n, n1 = stats.A[:, 0, 0], stats.A[:, 1, 1]
    n_obs = int(n.sum())
    both = int(((n1 > 0) & (n - n1 > 0)).sum())
    reason = None
    if both < 3:
        reason = f"needs at least 3 patients with days in both conditions; got {both}"
    elif _within(stats) <= 1e-12 * max(stats.yy.sum(), np.finfo(float).tiny):
        reason = "the outcome does not vary within patients and conditions"
    if reason:
        return MixedModel(n_obs=n_obs, n_patients=int(n.size), reason=reason)
    fit = optimize.minimize(
        lambda theta: reml_criterion(theta, stats, gradient=True),
        _start(stats),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0, None), (None, None), (0, None)],
        options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 1000},
    )
    theta = fit.x
    reml = reml_criterion(theta, stats)
    sigma2 = reml.rss / stats.df
    cov = sigma2 * np.linalg.inv(reml.P)
    b, se = float(reml.beta[1]), float(np.sqrt(cov[1, 1]))
    lam = relative_factor(theta)
    g = sigma2 * lam @ lam.T
    sds = np.sqrt(np.diag(g))
    from nof1.series.mixed_reml import satterthwaite

    df = satterthwaite(theta, math.sqrt(sigma2), stats).df
    df_method = "Satterthwaite"
    messages = []
    if df is None or not df > 0:
        df, df_method = float(both - 1), "patients - 1"
        messages.append(
            "the REML Hessian is not positive definite, so the t test uses the patients "
            f"with both conditions minus 1 ({both - 1}) degrees of freedom, not Satterthwaite's"
        )
    q = special.stdtrit(df, 1 - alpha / 2)
    if not fit.success:
        messages.append(f"the REML optimisation did not converge ({fit.message})")
    if theta[0] < _SINGULAR or theta[2] < _SINGULAR:
        messages.append(
            "boundary (singular) fit: a random-effect variance is 0 or the correlation ±1"
        )
    return MixedModel(
        estimate=b,
        se=se,
        df=float(df),
        t=float(b / se) if se > 0 else None,
        ci_low=float(b - q * se),
        ci_high=float(b + q * se),
        p_value=float(2 * special.stdtr(df, -abs(b / se))) if se > 0 else None,
        df_method=df_method,
        intercept=float(reml.beta[0] + stats.centre[0]),
        sd_intercept=float(sds[0]),
        sd_treat=float(sds[1]),
        corr=float(np.clip(g[0, 1] / (sds[0] * sds[1]), -1, 1)) if sds.all() else None,
        sigma=float(np.sqrt(sigma2)),
        n_obs=n_obs,
        n_patients=int(n.size),
        converged=bool(fit.success),
        warnings=tuple(messages),
        loglik=-0.5 * float(reml.value),
    )


def _within(s: MixedStatistics) -> float:
    """Residual sum of squares around each patient's two condition means: the smallest
    S² can be, so the criterion is bounded when it is positive."""
    n, n1 = s.A[:, 0, 0], s.A[:, 1, 1]
    n0 = n - n1
    sy1, sy0 = s.b[:, 1], s.b[:, 0] - s.b[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        fitted = np.where(n1 > 0, sy1**2 / n1, 0.0) + np.where(n0 > 0, sy0**2 / n0, 0.0)
    return float(np.sum(s.yy - fitted))


def _start(s: MixedStatistics) -> np.ndarray:
    """θ from moment estimates: the spread of each patient's two condition means, less
    their sampling variance. It saves iterations; the optimum is the same."""
    n, n1 = s.A[:, 0, 0], s.A[:, 1, 1]
    n0 = n - n1
    both = (n0 > 1) & (n1 > 1)
    if both.sum() < 3:
        return np.array([1.0, 0.0, 1.0])
    sy, sy1 = s.b[both, 0], s.b[both, 1]
    m1, m0 = sy1 / n1[both], (sy - sy1) / n0[both]
    within = s.yy[both] - n1[both] * m1**2 - n0[both] * m0**2  # around the two means
    sigma2 = max(within.sum() / (n[both].sum() - 2 * both.sum()), 1e-12)
    sampling = np.array([[1.0, -1.0], [-1.0, 1.0]]) * np.mean(1 / n0[both])
    sampling[1, 1] += np.mean(1 / n1[both])
    g = np.cov(np.vstack([m0, m1 - m0])) - sigma2 * sampling
    values, vectors = np.linalg.eigh(g)
    g = vectors @ np.diag(np.clip(values, 1e-3 * sigma2, None)) @ vectors.T
    lam = np.linalg.cholesky(g / sigma2)
    return np.array([lam[0, 0], lam[1, 0], lam[1, 1]])
