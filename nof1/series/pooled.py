"""Across-patient tests of a series of n-of-1 trials (the meta-analysis is in
:mod:`nof1.series.meta`).

Pure functions on arrays; :mod:`nof1.series` feeds them the per-patient results.

- :func:`paired_comparison`: paired t and Wilcoxon signed-rank tests across patients
  (R ``t.test(x, y, paired = TRUE)``, ``wilcox.test(x, y, paired = TRUE)``);
- :func:`mcnemar_exact`: McNemar's test, exact (binomial on the discordant pairs);
- :func:`welch`: Welch two-sample t test (R ``t.test(x, y)``), for the order effect;
- :func:`percent_change_test`, :func:`order_effect` and :func:`responder_test`: the
  series.json entries built on them.

Every function returns plain dicts; a test that cannot run returns its keys with null
values and a ``reason``, never raises.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = [
    "mcnemar_exact",
    "order_effect",
    "paired_comparison",
    "percent_change_test",
    "responder_test",
    "welch",
]


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


def responder_test(
    flags, treated: str, control: str, rule: str | None, alpha: float = 0.05
) -> dict:
    """Responder rates per condition, and McNemar's exact test between them.

    Parameters
    ----------
    flags : sequence of dict
        Per patient, the ``responder`` of results.json: condition -> True, False or None
        (not assessable).
    treated, control : str
    rule : str or None
        The protocol's responder rule, in words; None when it has none.
    alpha : float
        The rates' intervals have level 1 - alpha.

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
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=1 - alpha) if n else None
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
