"""Random-effects meta-analysis of per-patient effects (pooling a series of n-of-1 trials).

:func:`meta_analysis` pools effects ``yi`` with standard errors ``se``: tau² by REML (as R
``metafor::rma(yi, sei = se, method = "REML")``) or DerSimonian–Laird (``method = "DL"``),
with I², the empirical-Bayes (shrunken) patient estimates of ``blup()``, and inference by
Knapp-Hartung (``test = "knha"``: t with k - 1 degrees of freedom, the interval and
prediction interval of ``predict()``), the z-based inference of metafor's default beside
it. With the few patients a series has, the z test is too liberal (a 95% interval covers
about 0.93 at k = 12); Knapp-Hartung holds its level. :mod:`nof1.series` feeds it each
patient's effect by the primary method.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, NamedTuple

import numpy as np

from nof1.schemas.records import Json, PValue, Record, entry, plain
from nof1.series.columns import ShrunkenEstimates

__all__ = ["MetaAnalysis", "PooledRows", "Shrunken", "ZTest", "meta_analysis", "pool_rows"]

_SCORING_TOL = 1e-10  # change in tau² at which Fisher scoring stops (metafor's default: 1e-5)
_MAX_ITER = 1000


@dataclass(frozen=True, slots=True)  # one per patient: no __dict__ each
class Shrunken(Record):
    """A patient's empirical-Bayes (shrunken) estimate and its z interval (metafor ``blup()``)."""

    patient_id: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class ZTest(Record):
    """The pooled effect's z-based inference (metafor's default ``test = "z"``): normal
    quantiles, no allowance for the few patients; kept beside the Knapp-Hartung result."""

    se: float = entry(description="Standard error (Σw)^(-1/2), w = 1/(se² + tau²).")
    ci_low: float = entry(description="Wald interval: estimate ± z se.")
    ci_high: float
    p_value: PValue = entry(description="Two-sided z test.")
    pi_low: float = entry(description="Prediction interval: estimate ± z sqrt(se² + tau²).")
    pi_high: float


@dataclass(frozen=True, kw_only=True)
class MetaAnalysis(Record):
    """A random-effects meta-analysis of per-patient effects.

    Attributes
    ----------
    estimate : float or None
        Pooled effect ``Σ w y / Σ w``, ``w = 1/(se² + tau²)``.
    se, df, t, ci_low, ci_high, p_value : float or None
        Knapp-Hartung (the headline inference, metafor ``test = "knha"``): standard error
        ``sqrt(s2w / Σw)`` with ``s2w = Σ w (y - estimate)² / (k - 1)``, ``df = k - 1``,
        ``t = estimate / se``, the interval ``estimate ± t(1 - alpha/2, df) se`` and the
        two-sided t test.
    test : "knha"
        Which inference ``se`` ... ``pi_high`` are.
    z : ZTest or None
        The same with the z test of metafor's default (``test = "z"``).
    tau2 : float or None
        Between-patient variance of the true effects.
    i2 : float or None
        I² in percent: ``100 tau² / (tau² + s²)`` with s² the "typical" within-patient
        variance ``(k - 1) Σw / ((Σw)² - Σw²)``, ``w = 1/se²`` (metafor's definition).
    pi_low, pi_high : float or None
        Prediction interval (level 1 - alpha) for a new patient's true effect:
        ``estimate ± t(1 - alpha/2, k - 1) sqrt(se² + tau²)`` with the Knapp-Hartung se
        (metafor ``predict()`` of the ``test = "knha"`` fit).
    k : int
        Number of patients pooled.
    method : {"REML", "DL"}
    q, q_p_value : float or None
        Cochran's Q and its chi-squared p-value (k - 1 df).
    converged : bool
        Whether the REML iterations converged (always True for DL).
    reason : str or None
        Why there is no estimate (k < 2); None when it ran.
    shrunken : tuple of Shrunken
        Per patient (in input order), as metafor ``blup()`` of the default (z) fit; not in
        ``to_dict()`` unless asked (series.json has them for REML only).
    """

    estimate: float | None = None
    se: float | None = entry(None, description="Knapp-Hartung standard error.")
    df: float | None = entry(None, description="k - 1: the t reference of Knapp-Hartung.")
    t: float | None = None
    ci_low: float | None = entry(
        None, description="Knapp-Hartung interval: estimate ± t(1 - alpha/2, k - 1) se."
    )
    ci_high: float | None = None
    p_value: PValue = entry(None, description="Two-sided Knapp-Hartung t test (k - 1 df).")
    test: Literal["knha"] = entry(
        "knha", description="se to pi_high are Knapp-Hartung (metafor test = 'knha')."
    )
    tau2: float | None = entry(None, description="Between-patient variance of the true effects.")
    i2: float | None = entry(None, description="I² in percent (metafor's definition).")
    pi_low: float | None = entry(
        None,
        description="Prediction interval (level 1 - alpha) for a new patient's true effect: "
        "estimate ± t(1 - alpha/2, k - 1) sqrt(se² + tau²), Knapp-Hartung se, as metafor "
        "predict() of the test = 'knha' fit.",
    )
    pi_high: float | None = None
    z: ZTest | None = entry(
        None, description="The z-based inference of metafor's default test = 'z', for comparison."
    )
    k: Annotated[int, Json(minimum=0)] = entry(description="Patients pooled.")
    method: Literal["REML", "DL"]
    q: float | None = None
    q_p_value: PValue = None
    converged: bool = True
    reason: str | None = entry(
        None, description="Why there is no estimate (k < 2); null when it ran."
    )
    shrunken: tuple[Shrunken, ...] = entry((), omit=True)  # a ShrunkenEstimates

    def to_dict(self, shrunken: bool = False) -> dict:
        """The series.json keys; with ``shrunken=True`` also the per-patient estimates."""
        out = super().to_dict()
        if shrunken:
            out["shrunken"] = plain(self.shrunken)
        return out


def meta_analysis(yi, se, method: str = "REML", alpha: float = 0.05, ids=None) -> MetaAnalysis:
    """Random-effects meta-analysis of per-patient effects.

    Parameters
    ----------
    yi : array_like
        Per-patient effect estimates (e.g. each patient's gls_ar1 effect).
    se : array_like
        Their standard errors (> 0).
    method : {"REML", "DL"}
        tau² estimator: restricted maximum likelihood, or DerSimonian–Laird.
    alpha : float
        Intervals have level 1 - alpha.
    ids : sequence of str, optional
        Patient ids, carried into ``shrunken``.

    Returns
    -------
    MetaAnalysis
        Null estimates with a ``reason`` when fewer than 2 patients are given.

    Notes
    -----
    With ``v_i = se_i²`` and ``w_i = 1/(v_i + tau²)``: estimate ``mu = Σ w y / Σ w``.
    Knapp-Hartung: ``se² = s2w / Σ w``, ``s2w = Σ w (y - mu)² / (k - 1)``, t on k - 1 df
    (metafor ``test = "knha"``, untruncated); ``z``: ``se = (Σ w)^(-1/2)``, z test and Wald
    interval (metafor's default ``test = "z"``). Prediction intervals
    ``mu ± c sqrt(se² + tau²)`` with each one's se and quantile c.

    - DL: ``tau² = max(0, (Q - (k - 1)) / (Σw₀ - Σw₀²/Σw₀))``, ``w₀ = 1/v``.
    - REML: Fisher scoring on the restricted likelihood from the Hedges (HE) start, with
      step halving to stay at tau² ≥ 0, then a check that tau² = 0 is not better: the
      algorithm of ``metafor::rma.uni``, iterated to a change below 1e-10 (metafor stops
      at 1e-5, so R's default fit can differ from the optimum from the sixth digit on).
    - Shrunken (BLUP): ``lambda_i = tau²/(tau² + v_i)``, estimate
      ``lambda_i y_i + (1 - lambda_i) mu``, variance ``lambda_i v_i + (1 - lambda_i)² se²``,
      z interval.

    References
    ----------
    Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in the
    random-effects model. J Educ Behav Stat 30, 261-293. Viechtbauer, W. (2010). Conducting
    meta-analyses in R with the metafor package. J Stat Softw 36(3). DerSimonian, R., &
    Laird, N. (1986). Meta-analysis in clinical trials. Control Clin Trials 7, 177-188.
    Knapp, G., & Hartung, J. (2003). Improved tests for a random effects meta-regression
    with a single covariate. Stat Med 22, 2693-2710.

    Examples
    --------
    >>> m = meta_analysis([-12.0, -4.0, -9.5, 1.0], [3.0, 2.5, 4.0, 3.5], method="DL")
    >>> round(m.estimate, 3), round(m.tau2, 3), m.k, m.df
    (-6.084, 21.466, 4, 3.0)
    >>> round(m.ci_low, 2), round(m.z.ci_low, 2)  # Knapp-Hartung is wider here
    (-15.23, -11.62)
    >>> meta_analysis([-3.0], [1.0]).reason
    'needs at least 2 patients with an estimate; got 1'
    """
    from scipy import special

    if method not in ("REML", "DL"):
        raise ValueError(f"method must be 'REML' or 'DL'; got {method!r}")
    y = np.asarray(yi, dtype=float)
    se = np.asarray(se, dtype=float)
    if y.shape != se.shape or y.ndim != 1:
        raise ValueError("yi and se must be 1-d and of equal length")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(se)) and np.all(se > 0)):
        raise ValueError("yi must be finite and se finite and positive")
    k = y.size
    if k < 2:
        reason = f"needs at least 2 patients with an estimate; got {k}"
        return MetaAnalysis(method=method, k=k, reason=reason)
    ids = list(ids) if ids is not None else [str(i + 1) for i in range(k)]
    fit = pool_rows(y[None, :], se[None, :], method)
    estimate, se_mu, tau2 = float(fit.estimate[0]), float(fit.se[0]), float(fit.tau2[0])
    v = np.square(se)
    z = special.ndtri(1 - alpha / 2)
    kh_se, df = float(fit.kh_se[0]), float(fit.kh_df[0])
    t = special.stdtrit(df, 1 - alpha / 2)
    z_test = ZTest(
        se=se_mu,
        ci_low=float(estimate - z * se_mu),
        ci_high=float(estimate + z * se_mu),
        p_value=float(fit.p_value[0]),
        pi_low=float(estimate - z * np.sqrt(se_mu**2 + tau2)),
        pi_high=float(estimate + z * np.sqrt(se_mu**2 + tau2)),
    )
    half_pi = t * np.sqrt(kh_se**2 + tau2)
    typical = (k - 1) / fit.trace_p[0]
    lam = tau2 / (tau2 + v)
    blup = lam * y + (1 - lam) * estimate
    blup_se = np.sqrt(lam * v + np.square(1 - lam) * se_mu**2)
    if len(ids) != k:
        raise ValueError(f"{len(ids)} patient ids for {k} effects")
    shrunken = ShrunkenEstimates(Shrunken, ids, blup, blup_se, z)
    q = float(fit.q[0])
    return MetaAnalysis(
        method=method,
        k=k,
        estimate=estimate,
        se=kh_se,
        df=df,
        t=float(fit.kh_t[0]),
        ci_low=float(estimate - t * kh_se),
        ci_high=float(estimate + t * kh_se),
        p_value=float(fit.kh_p_value[0]),
        tau2=tau2,
        i2=float(100 * tau2 / (typical + tau2)),
        pi_low=float(estimate - half_pi),
        pi_high=float(estimate + half_pi),
        z=z_test,
        q=q,
        q_p_value=float(special.chdtrc(k - 1, q)),
        shrunken=shrunken,
        converged=bool(fit.converged[0]),
    )


class PooledRows(NamedTuple):
    """:func:`pool_rows`: per row (one series), arrays of shape (m,); NaN where k < 2."""

    k: np.ndarray  #: patients pooled (usable estimates)
    estimate: np.ndarray  #: pooled effect
    se: np.ndarray  #: its standard error
    p_value: np.ndarray  #: two-sided z test
    tau2: np.ndarray  #: between-patient variance
    q: np.ndarray  #: Cochran's Q
    trace_p: np.ndarray  #: Σw₀ - Σw₀²/Σw₀ (w₀ = 1/se²), for I²
    converged: np.ndarray  #: REML converged (True for DL)
    kh_se: np.ndarray  #: Knapp-Hartung standard error of ``estimate``
    kh_t: np.ndarray  #: ``estimate / kh_se``, on ``kh_df`` degrees of freedom
    kh_df: np.ndarray  #: k - 1
    kh_p_value: np.ndarray  #: two-sided t test of ``kh_t`` (k - 1 df)


def pool_rows(yi, se, method: str = "REML") -> PooledRows:
    """Random-effects pooling of many series at once: one row = one series of k patients.

    The one implementation behind :func:`meta_analysis` (a single row) and ``nof1 power``
    (a row per simulated series).

    Parameters
    ----------
    yi, se : array_like, shape (m, k)
        Effects and standard errors; an entry with a non-finite value or ``se <= 0`` is
        left out of its row.
    method : {"REML", "DL"}

    Returns
    -------
    PooledRows
        ``estimate``, ``se``, ``p_value`` and the ``kh_`` fields are NaN in rows with fewer
        than 2 usable entries.

    Notes
    -----
    The Knapp-Hartung (``kh_``) fields are metafor's ``test = "knha"``: ``kh_se² = s2w se²``
    with ``s2w = Σ w* (y - mu)² / (k - 1)`` (``w* = 1/(se² + tau²)``; ``s2w = 0`` when the
    sum is below machine epsilon, as metafor, and not truncated at 1), a t test on k - 1
    degrees of freedom. Its interval is ``estimate ± t(1 - alpha/2, k - 1) kh_se``.

    Examples
    --------
    >>> r = pool_rows([[-12.0, -4.0, -9.5, 1.0], [-3.0, np.nan, 2.0, 1.0]],
    ...               [[3.0, 2.5, 4.0, 3.5], [1.0, 1.0, 1.0, 1.0]], "DL")
    >>> np.round(r.estimate, 3).tolist(), r.k.tolist()
    ([-6.084, 0.0], [4, 3])
    """
    from scipy import special

    yi, se = np.atleast_2d(np.asarray(yi, dtype=float)), np.atleast_2d(np.asarray(se, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ok = np.isfinite(yi) & np.isfinite(se) & (se > 0)
        y = np.where(ok, yi, 0.0)
        v = np.where(ok, se**2, 1.0)
        w = np.where(ok, 1 / v, 0.0)
        k, sw = ok.sum(axis=1), w.sum(axis=1)
        fixed = (w * y).sum(axis=1) / sw
        q = (w * (y - fixed[:, None]) ** 2).sum(axis=1)
        trace_p = sw - (w**2).sum(axis=1) / sw
        if method == "DL":
            tau2 = np.maximum(0.0, (q - (k - 1)) / trace_p)
            converged = np.ones(k.shape, dtype=bool)
        elif method == "REML":
            tau2, converged = _reml_tau2(y, v, ok)
        else:
            raise ValueError(f"method must be 'REML' or 'DL'; got {method!r}")
        w_star = np.where(ok, 1 / (v + tau2[:, None]), 0.0)
        mu = (w_star * y).sum(axis=1) / w_star.sum(axis=1)
        se_mu = 1 / np.sqrt(w_star.sum(axis=1))
        pooled = k >= 2
        mu = np.where(pooled, mu, np.nan)
        p_value = 2 * special.ndtr(-np.abs(mu / se_mu))
        se_mu = np.where(pooled, se_mu, np.nan)
        rss = (w_star * (y - mu[:, None]) ** 2).sum(axis=1)
        df = np.where(pooled, k - 1, np.nan)
        s2w = np.where(rss <= np.finfo(float).eps, 0.0, rss / df)
        kh_se = np.sqrt(s2w) * se_mu
        kh_t = mu / kh_se
        kh_p = np.where(pooled, 2 * special.stdtr(np.where(pooled, df, 1), -np.abs(kh_t)), np.nan)
    return PooledRows(k, mu, se_mu, p_value, tau2, q, trace_p, converged, kh_se, kh_t, df, kh_p)


def _reml_loglik(tau2, y, v, ok) -> np.ndarray:
    """Restricted log-likelihood of the intercept-only random-effects model (no constant),
    per row."""
    w = np.where(ok, 1.0 / (v + tau2[:, None]), 0.0)
    mu = (w * y).sum(axis=1) / w.sum(axis=1)
    log_v = np.where(ok, np.log(v + tau2[:, None]), 0.0).sum(axis=1)
    return -0.5 * (log_v + np.log(w.sum(axis=1)) + (w * (y - mu[:, None]) ** 2).sum(axis=1))


def _reml_tau2(y, v, ok) -> tuple[np.ndarray, np.ndarray]:
    """REML tau² by metafor's Fisher scoring (HE start, step halving, tau² = 0 check), all
    rows together; rows with k < 2 get 0."""
    from scipy import optimize

    k = ok.sum(axis=1)
    mean = y.sum(axis=1) / k
    spread = np.where(ok, (y - mean[:, None]) ** 2, 0.0).sum(axis=1)
    tau2 = np.maximum(0.0, (spread - np.where(ok, v, 0.0).sum(axis=1) * (k - 1) / k) / (k - 1))
    active = k >= 2
    tau2 = np.where(active, tau2, 0.0)
    converged = ~active
    for _ in range(_MAX_ITER):
        if not active.any():
            break
        w = np.where(ok, 1.0 / (v + tau2[:, None]), 0.0)
        sw, w2 = w.sum(axis=1), (w**2).sum(axis=1)
        py = w * (y - ((w * y).sum(axis=1) / sw)[:, None])  # P y with P = W - w wᵀ / Σw
        trace_p = sw - w2 / sw
        trace_pp = w2 - 2 * (w**3).sum(axis=1) / sw + (w2 / sw) ** 2
        step = np.where(active, ((py**2).sum(axis=1) - trace_p) / trace_pp, 0.0)
        while (below := tau2 + step < 0).any():
            step = np.where(below, step / 2, step)
        tau2 = tau2 + step
        done = active & (np.abs(step) <= _SCORING_TOL)
        converged |= done
        active &= ~done
    for row in np.flatnonzero(active):  # rare: a bounded search of the likelihood itself
        one = (y[row : row + 1], v[row : row + 1], ok[row : row + 1])
        upper = 10 * (np.var(y[row][ok[row]]) + v[row][ok[row]].max())
        found = optimize.minimize_scalar(
            lambda t, one=one: -_reml_loglik(np.array([t]), *one)[0],
            bounds=(0.0, upper),
            method="bounded",
            options={"xatol": 1e-12 * upper},
        )
        tau2[row], converged[row] = float(found.x), bool(found.success)
    at_zero = _reml_loglik(np.zeros_like(tau2), y, v, ok) > _reml_loglik(tau2, y, v, ok)
    tau2 = np.where((tau2 > 0) & at_zero & (k >= 2), 0.0, tau2)
    return tau2, converged
