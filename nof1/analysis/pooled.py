"""Pooling n-of-1 trials across patients: random-effects meta-analysis and the series tests.

Pure functions on arrays; :mod:`nof1.series` feeds them the per-patient results.

- :func:`meta_analysis`: random-effects meta-analysis of per-patient effects ``yi`` with
  standard errors ``se``, tau² by REML (as R ``metafor::rma(yi, sei = se, method = "REML")``)
  or DerSimonian–Laird (``method = "DL"``), with I², the prediction interval of
  ``predict()`` and the empirical-Bayes (shrunken) patient estimates of ``blup()``;
- :func:`paired_comparison`: paired t and Wilcoxon signed-rank tests across patients
  (R ``t.test(x, y, paired = TRUE)``, ``wilcox.test(x, y, paired = TRUE)``);
- :func:`mcnemar_exact`: McNemar's test, exact (binomial on the discordant pairs);
- :func:`welch`: Welch two-sample t test (R ``t.test(x, y)``), for the order effect.

Every function returns plain dicts or a frozen dataclass with ``to_dict()``; a test that
cannot run returns its keys with null values and a ``reason``, never raises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

__all__ = ["MetaAnalysis", "meta_analysis", "mcnemar_exact", "paired_comparison", "welch"]

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


def paired_comparison(x, y, alpha: float = 0.05) -> dict:
    """Paired t and Wilcoxon signed-rank tests of x against y (one pair per patient).

    Parameters
    ----------
    x, y : array_like
        Paired values (e.g. each patient's percent change on active and on placebo);
        pairs with a missing value are dropped.
    alpha : float
        The t interval has level 1 - alpha.

    Returns
    -------
    dict
        ``n`` (pairs), ``x_mean``, ``y_mean``, ``difference`` (mean of x - y), ``se``,
        ``df``, ``t``, ``ci_low``, ``ci_high``, ``p_value`` (paired t, as R
        ``t.test(x, y, paired = TRUE)``), ``wilcoxon_p`` and ``wilcoxon_method`` (as R
        ``wilcox.test(x, y, paired = TRUE)``: exact when there are fewer than 50 pairs and
        no ties or zero differences, else the normal approximation with continuity and tie
        corrections), ``reason`` (None when the tests ran).

    Examples
    --------
    >>> r = paired_comparison([-30, -25, -40, -10, -35], [-10, -20, -15, -12, -5])
    >>> r["difference"], round(r["p_value"], 4), r["wilcoxon_p"], r["wilcoxon_method"]
    (-15.6, 0.062, 0.125, 'exact')
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    d = x - y
    n = int(d.size)
    out = dict.fromkeys(("x_mean", "y_mean", "difference", "se", "df", "t", "ci_low"))
    out |= dict.fromkeys(("ci_high", "p_value", "wilcoxon_p", "wilcoxon_method"))
    out |= {"n": n, "reason": None}
    if n:
        out |= {"x_mean": float(x.mean()), "y_mean": float(y.mean()), "difference": float(d.mean())}
    if n < 2 or np.ptp(d) == 0:
        out["reason"] = (
            f"needs at least 2 patients with both values; got {n}"
            if n < 2
            else "every patient has the same difference, so there is no variation to test"
        )
        return out
    se = float(d.std(ddof=1) / np.sqrt(n))
    t = float(d.mean() / se)
    half = float(special.stdtrit(n - 1, 1 - alpha / 2) * se)
    out |= {
        "se": se,
        "df": float(n - 1),
        "t": t,
        "ci_low": float(d.mean() - half),
        "ci_high": float(d.mean() + half),
        "p_value": float(2 * special.stdtr(n - 1, -abs(t))),
    }
    nonzero = d[d != 0]
    if nonzero.size:
        exact = n < 50 and nonzero.size == n and np.unique(np.abs(d)).size == n
        method = "exact" if exact else "approx"
        test = stats.wilcoxon(nonzero, method=method, correction=not exact)
        out |= {"wilcoxon_p": float(test.pvalue), "wilcoxon_method": method}
    return out


def mcnemar_exact(both, x_only, y_only, neither) -> dict:
    """McNemar's test, exact: a two-sided binomial test on the discordant pairs.

    Parameters
    ----------
    both, x_only, y_only, neither : int
        Counts of the 2 x 2 table of paired yes/no outcomes (e.g. responder on active
        only: ``x_only``).

    Returns
    -------
    dict
        ``n_pairs``, ``discordant`` (= x_only + y_only), ``p_value`` (as R
        ``binom.test(x_only, x_only + y_only)``; 1 when there is no discordant pair),
        ``test``.

    Notes
    -----
    R's ``mcnemar.test`` is the asymptotic chi-squared version; with the few discordant
    pairs a series has, the exact conditional test is the one to use.

    Examples
    --------
    >>> mcnemar_exact(both=3, x_only=9, y_only=1, neither=18)["p_value"]
    0.021484375
    """
    counts = [int(c) for c in (both, x_only, y_only, neither)]
    if min(counts) < 0:
        raise ValueError("counts must be >= 0")
    discordant = counts[1] + counts[2]
    p = 1.0 if discordant == 0 else float(stats.binomtest(counts[1], discordant).pvalue)
    return {
        "n_pairs": sum(counts),
        "discordant": discordant,
        "p_value": p,
        "test": "exact McNemar: two-sided binomial test on the discordant pairs",
    }


def welch(x, y, alpha: float = 0.05) -> dict:
    """Welch two-sample t test of mean(x) - mean(y) (R ``t.test(x, y)``).

    Returns
    -------
    dict
        ``n_x``, ``n_y``, ``x_mean``, ``y_mean``, ``difference``, ``se``, ``df``, ``t``,
        ``ci_low``, ``ci_high``, ``p_value``, ``reason`` (None when it ran: it needs 2
        values in each group and some variation).

    Examples
    --------
    >>> r = welch([-12.0, -8.0, -15.0, -9.0], [-6.0, -10.0, -4.0])
    >>> round(r["difference"], 3), round(r["df"], 3), round(r["p_value"], 4)
    (-4.333, 4.548, 0.1327)
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    out = dict.fromkeys(("x_mean", "y_mean", "difference", "se", "df", "t", "ci_low"))
    out |= {"ci_high": None, "p_value": None, "n_x": int(x.size), "n_y": int(y.size)}
    out["reason"] = None
    if x.size:
        out["x_mean"] = float(x.mean())
    if y.size:
        out["y_mean"] = float(y.mean())
    if x.size < 2 or y.size < 2:
        out["reason"] = f"needs at least 2 patients in each group; got {x.size} and {y.size}"
        return out
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    if vx + vy == 0:
        out["reason"] = "the values do not vary, so there is nothing to test"
        return out
    se = float(np.sqrt(vx + vy))
    df = float((vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1)))
    diff = float(x.mean() - y.mean())
    half = float(special.stdtrit(df, 1 - alpha / 2) * se)
    out |= {
        "difference": diff,
        "se": se,
        "df": df,
        "t": diff / se,
        "ci_low": diff - half,
        "ci_high": diff + half,
        "p_value": float(2 * special.stdtr(df, -abs(diff / se))),
    }
    return out


# --- the series analyses, on per-patient values -----------------------------------------


def percent_change_test(ids, changes, treated: str, control: str, alpha: float = 0.05) -> dict:
    """The 2013 primary analysis: percent change from baseline, treated vs control.

    Parameters
    ----------
    ids : sequence of str
        Patient ids.
    changes : sequence of dict
        Per patient, the ``percent_change`` of results.json: condition -> percent change
        of its end point from the baseline mean (or None).
    treated, control : str
        The conditions compared (``"active"``, ``"placebo"``; ``"B"``, ``"A"`` blinded).
    alpha : float

    Returns
    -------
    dict
        ``{treated}_mean`` and ``{control}_mean`` (over the patients with both),
        ``difference`` (treated - control), ``n``, ``se``, ``df``, ``t``, ``ci_low``,
        ``ci_high``, ``p_value`` and ``test`` (paired t), ``wilcoxon_p``,
        ``wilcoxon_method`` and ``wilcoxon_test`` (signed-rank), ``per_patient``
        (``patient_id`` and the two values), ``reason``.

    Examples
    --------
    >>> r = percent_change_test(["P1", "P2", "P3"],
    ...     [{"active": -30.0, "placebo": -10.0}, {"active": -20.0, "placebo": -15.0},
    ...      {"active": -25.0, "placebo": None}], "active", "placebo")
    >>> r["active_mean"], r["placebo_mean"], r["difference"], r["n"]
    (-25.0, -12.5, -12.5, 2)
    """
    x = [np.nan if c.get(treated) is None else c[treated] for c in changes]
    y = [np.nan if c.get(control) is None else c[control] for c in changes]
    test = paired_comparison(x, y, alpha)
    out = {f"{treated}_mean": test.pop("x_mean"), f"{control}_mean": test.pop("y_mean")}
    out |= test
    out["test"] = "paired t (R t.test(x, y, paired = TRUE))"
    out["wilcoxon_test"] = "Wilcoxon signed-rank (R wilcox.test(x, y, paired = TRUE))"
    out["per_patient"] = [
        {"patient_id": pid, treated: c.get(treated), control: c.get(control)}
        for pid, c in zip(ids, changes, strict=True)
    ]
    return out


def order_effect(estimates, first, treated: str, control: str, alpha: float = 0.05) -> dict:
    """Effects of the patients who started on ``treated`` against those who started on
    ``control``, by Welch's t test (a check for period or carryover effects).

    Parameters
    ----------
    estimates : array_like
        Per patient effect (NaN when there is none).
    first : sequence of str or None
        Per patient, the condition of their first treatment period.

    Returns
    -------
    dict
        ``first``: ``{treated: {"n", "mean"}, control: {"n", "mean"}}``; ``difference``
        (treated-first minus control-first), ``se``, ``df``, ``t``, ``ci_low``,
        ``ci_high``, ``p_value``, ``test``, ``reason``.

    Examples
    --------
    >>> r = order_effect([-12.0, -8.0, -15.0, -9.0, -6.0, -10.0, -4.0],
    ...                  ["active"] * 4 + ["placebo"] * 3, "active", "placebo")
    >>> r["first"]["active"], round(r["p_value"], 4)
    ({'n': 4, 'mean': -11.0}, 0.1327)
    """
    estimates = np.asarray(estimates, dtype=float)
    first = np.asarray(first, dtype=object)
    test = welch(estimates[first == treated], estimates[first == control], alpha)
    out = {
        "first": {
            treated: {"n": test.pop("n_x"), "mean": test.pop("x_mean")},
            control: {"n": test.pop("n_y"), "mean": test.pop("y_mean")},
        }
    }
    if test["reason"] and len(set(first[np.isfinite(estimates)]) - {None}) == 1:
        test["reason"] = "every patient started on the same condition"
    return out | test | {"test": "Welch two-sample t (R t.test(x, y))"}


def responder_test(flags, treated: str, control: str, rule: str | None) -> dict:
    """Responder rates per condition, and McNemar's exact test between them.

    Parameters
    ----------
    flags : sequence of dict
        Per patient, the ``responder`` of results.json: condition -> True, False or None
        (not assessable).
    treated, control : str
    rule : str or None
        The protocol's responder rule, in words; None when it has none.

    Returns
    -------
    dict
        ``rule``; ``conditions``: per condition ``n`` (assessed), ``responders``, ``rate``
        and its exact (Clopper-Pearson) ``ci_low``, ``ci_high``; ``mcnemar``: the paired
        2 x 2 table (``both``, ``neither``, ``only`` per condition) and :func:`mcnemar_exact`;
        ``reason``.

    Examples
    --------
    >>> flags = [{"active": True, "placebo": False}] * 5 + [{"active": False, "placebo": False}]
    >>> r = responder_test(flags, "active", "placebo", "pain")
    >>> r["conditions"]["active"]["responders"], r["mcnemar"]["p_value"]
    (5, 0.0625)
    """
    out = {"rule": rule, "conditions": {}, "mcnemar": None, "reason": None}
    if rule is None:
        out["reason"] = "the protocol defines no responder rule"
        return out
    for condition in (treated, control):
        seen = [f[condition] for f in flags if f.get(condition) is not None]
        k, n = int(sum(seen)), len(seen)
        entry = {"n": n, "responders": k, "rate": k / n if n else None}
        ci = stats.binomtest(k, n).proportion_ci() if n else None
        entry |= {"ci_low": ci.low if ci else None, "ci_high": ci.high if ci else None}
        out["conditions"][condition] = entry
    pairs = [
        (f[treated], f[control])
        for f in flags
        if f.get(treated) is not None and f.get(control) is not None
    ]
    both = sum(a and b for a, b in pairs)
    x_only = sum(a and not b for a, b in pairs)
    y_only = sum(b and not a for a, b in pairs)
    test = mcnemar_exact(both, x_only, y_only, len(pairs) - both - x_only - y_only)
    table = {"both": both, "neither": len(pairs) - both - x_only - y_only}
    out["mcnemar"] = table | {"only": {treated: x_only, control: y_only}} | test
    return out
