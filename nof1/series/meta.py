"""Random-effects meta-analysis of per-patient effects (pooling a series of n-of-1 trials).

:func:`meta_analysis` pools effects ``yi`` with standard errors ``se``: tau² by REML (as R
``metafor::rma(yi, sei = se, method = "REML")``) or DerSimonian–Laird (``method = "DL"``),
with I², the prediction interval of ``predict()`` and the empirical-Bayes (shrunken)
patient estimates of ``blup()``. :mod:`nof1.series` feeds it each patient's gls_ar1 effect.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

__all__ = ["MetaAnalysis", "meta_analysis"]

_SCORING_TOL = 1e-10  # change in tau² at which Fisher scoring stops (metafor's default: 1e-5)
_MAX_ITER = 1000


@dataclass(frozen=True)
class MetaAnalysis:
    """A random-effects meta-analysis; ``to_dict()`` is its series.json entry.

    Attributes
    ----------
    method : str
        ``"REML"`` or ``"DL"``.
    k : int
        Number of patients pooled.
    estimate, se, ci_low, ci_high, p_value : float or None
        Pooled effect, its standard error, Wald (z) interval and two-sided p-value.
    tau2 : float or None
        Between-patient variance of the true effects.
    i2 : float or None
        I² in percent: ``100 tau² / (tau² + s²)`` with s² the "typical" within-patient
        variance ``(k - 1) Σw / ((Σw)² - Σw²)``, ``w = 1/se²`` (metafor's definition).
    pi_low, pi_high : float or None
        95% prediction interval for a new patient's true effect:
        ``estimate ± z sqrt(se² + tau²)`` (metafor ``predict()`` with the default z test).
    q, q_p_value : float or None
        Cochran's Q and its chi-squared p-value (k - 1 df).
    shrunken : tuple of dict
        Per patient (in input order): ``patient_id``, ``estimate`` (empirical-Bayes),
        ``se``, ``ci_low``, ``ci_high``, as metafor ``blup()``.
    converged : bool
        Whether the REML iterations converged (always True for DL).
    reason : str or None
        Why there is no estimate (k < 2); None when it ran.
    """

    method: str
    k: int
    estimate: float | None = None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    tau2: float | None = None
    i2: float | None = None
    pi_low: float | None = None
    pi_high: float | None = None
    q: float | None = None
    q_p_value: float | None = None
    shrunken: tuple = ()
    converged: bool = True
    reason: str | None = None

    _KEYS = ("estimate", "se", "ci_low", "ci_high", "p_value", "tau2", "i2")
    _KEYS += ("pi_low", "pi_high", "k", "method", "q", "q_p_value", "converged", "reason")

    def to_dict(self, shrunken: bool = False) -> dict:
        """The documented keys; with ``shrunken=True`` also the per-patient estimates."""
        out = {key: getattr(self, key) for key in self._KEYS}
        if shrunken:
            out["shrunken"] = [dict(s) for s in self.shrunken]
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
    With ``v_i = se_i²`` and ``w_i = 1/(v_i + tau²)``: estimate ``mu = Σ w y / Σ w``,
    ``se = (Σ w)^(-1/2)``, z test and Wald interval (metafor's default ``test = "z"``).

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

    Examples
    --------
    >>> m = meta_analysis([-12.0, -4.0, -9.5, 1.0], [3.0, 2.5, 4.0, 3.5], method="DL")
    >>> round(m.estimate, 3), round(m.tau2, 3), m.k
    (-6.084, 21.466, 4)
    >>> meta_analysis([-3.0], [1.0]).reason
    'needs at least 2 patients with an estimate; got 1'
    """
    if method not in ("REML", "DL"):
        raise ValueError(f"method must be 'REML' or 'DL'; got {method!r}")
    y = np.asarray(yi, dtype=float)
    v = np.square(np.asarray(se, dtype=float))
    if y.shape != v.shape or y.ndim != 1:
        raise ValueError("yi and se must be 1-d and of equal length")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise ValueError("yi must be finite and se finite and positive")
    k = y.size
    if k < 2:
        return MetaAnalysis(
            method, k, reason=f"needs at least 2 patients with an estimate; got {k}"
        )
    ids = list(ids) if ids is not None else [str(i + 1) for i in range(k)]
    w0 = 1.0 / v
    mu0 = w0 @ y / w0.sum()
    q = float(w0 @ np.square(y - mu0))
    trace_p = w0.sum() - np.square(w0).sum() / w0.sum()
    converged = True
    if method == "DL":
        tau2 = max(0.0, (q - (k - 1)) / trace_p)
    else:
        tau2, converged = _reml_tau2(y, v)
    w = 1.0 / (v + tau2)
    estimate = float(w @ y / w.sum())
    se_mu = float(np.sqrt(1.0 / w.sum()))
    z = special.ndtri(1 - alpha / 2)
    half_pi = z * np.sqrt(se_mu**2 + tau2)
    typical = (k - 1) / trace_p
    lam = tau2 / (tau2 + v)
    blup = lam * y + (1 - lam) * estimate
    blup_se = np.sqrt(lam * v + np.square(1 - lam) * se_mu**2)
    shrunken = tuple(
        {
            "patient_id": pid,
            "estimate": float(b),
            "se": float(s),
            "ci_low": float(b - z * s),
            "ci_high": float(b + z * s),
        }
        for pid, b, s in zip(ids, blup, blup_se, strict=True)
    )
    return MetaAnalysis(
        method=method,
        k=k,
        estimate=estimate,
        se=se_mu,
        ci_low=float(estimate - z * se_mu),
        ci_high=float(estimate + z * se_mu),
        p_value=float(2 * special.ndtr(-abs(estimate / se_mu))),
        tau2=float(tau2),
        i2=float(100 * tau2 / (typical + tau2)),
        pi_low=float(estimate - half_pi),
        pi_high=float(estimate + half_pi),
        q=q,
        q_p_value=float(special.chdtrc(k - 1, q)),
        shrunken=shrunken,
        converged=converged,
    )


def _reml_loglik(tau2: float, y: np.ndarray, v: np.ndarray) -> float:
    """Restricted log-likelihood of the intercept-only random-effects model (no constant)."""
    w = 1.0 / (v + tau2)
    mu = w @ y / w.sum()
    return float(-0.5 * (np.log(v + tau2).sum() + np.log(w.sum()) + w @ np.square(y - mu)))


def _reml_tau2(y: np.ndarray, v: np.ndarray) -> tuple[float, bool]:
    """REML tau² by metafor's Fisher scoring (HE start, step halving, tau² = 0 check)."""
    k = y.size
    tau2 = max(0.0, (np.square(y - y.mean()).sum() - v.sum() * (k - 1) / k) / (k - 1))
    converged = False
    for _ in range(_MAX_ITER):
        w = 1.0 / (v + tau2)
        sw = w.sum()
        py = w * (y - w @ y / sw)  # P y with P = W - w wᵀ / Σw
        trace_p = sw - np.square(w).sum() / sw
        trace_pp = (
            np.square(w).sum() - 2 * np.power(w, 3).sum() / sw + (np.square(w).sum() / sw) ** 2
        )
        step = (py @ py - trace_p) / trace_pp
        while tau2 + step < 0:
            step /= 2
        tau2 += step
        if abs(step) <= _SCORING_TOL:
            converged = True
            break
    if not converged:  # rare: fall back to a bounded search of the likelihood itself
        upper = 10 * (np.var(y) + v.max())
        found = optimize.minimize_scalar(
            lambda t: -_reml_loglik(t, y, v),
            bounds=(0.0, upper),
            method="bounded",
            options={"xatol": 1e-12 * upper},
        )
        tau2, converged = float(found.x), bool(found.success)
    if tau2 > 0 and _reml_loglik(0.0, y, v) > _reml_loglik(tau2, y, v):
        tau2 = 0.0
    return float(tau2), converged
