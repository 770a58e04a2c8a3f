"""Across-patient tests of a series of n-of-1 trials (the meta-analysis is in
:mod:`nof1.series.meta`).

Pure functions on arrays; :mod:`nof1.series` feeds them the per-patient results.

- :func:`paired_comparison`: paired t and Wilcoxon signed-rank tests across patients, by
  scipy (``scipy.stats.ttest_rel``, ``scipy.stats.wilcoxon``: what ``pingouin.ttest(x, y,
  paired=True)`` and ``pingouin.wilcoxon(x, y)`` compute; the same numbers as R
  ``t.test(x, y, paired = TRUE)``, ``wilcox.test(x, y, paired = TRUE)``), with Cohen's dz,
  the rank-biserial correlation and the JZS Bayes factor (pingouin's formulas; checked
  against pingouin itself in tests/series/test_pooled.py). pingouin is not imported: it
  brings statsmodels, matplotlib, seaborn and xarray, about 80 MB in the parent of a
  series (a fifth of its budget at 10 000 patients) and 3 s, for these few lines;
- :func:`mcnemar_exact`: McNemar's test, exact (binomial on the discordant pairs);
- :func:`welch`: Welch two-sample t test (R ``t.test(x, y)``), for the order effect.

The series.json entries built on them are in :mod:`nof1.series.comparisons`.

Every function returns a typed record (:class:`~nof1.schemas.records.Record`) in the
vocabulary of the per-patient effects: ``estimate`` (treated minus control, or x minus y),
``se``, ``df``, ``ci_low``, ``ci_high``, ``p_value``, ``reason``. A test that cannot run
returns its fields as None with a ``reason``, never raises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np

from nof1.schemas.records import Json, PValue, Record, entry

__all__ = [
    "ExactMcNemar",
    "PairedComparison",
    "Welch",
    "mcnemar_exact",
    "paired_comparison",
    "welch",
]


#: Cauchy prior scale of the JZS Bayes factor: BayesFactor::ttestBF's "medium", sqrt(2)/2
#: (pingouin's default, 0.707, rounds it and moves BF10 in the 5th digit).
_JZS_SCALE = 2**-0.5
_MCNEMAR_TEST = "exact McNemar: two-sided binomial test on the discordant pairs"


@dataclass(frozen=True)
class PairedComparison(Record):
    """Paired t and Wilcoxon signed-rank tests of x against y (one pair per patient)."""

    n: Annotated[int, Json(minimum=0)]
    x_mean: float | None = None
    y_mean: float | None = None
    estimate: float | None = entry(None, description="Mean of x - y over the pairs.")
    se: float | None = None
    df: float | None = None
    t: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: PValue = None
    cohen_dz: float | None = entry(
        None, description="Cohen's dz: mean of x - y over their sd (not pingouin's d_av)."
    )
    bf10: Annotated[float | None, Json(minimum=0)] = entry(
        None,
        description="JZS Bayes factor for a nonzero mean difference over none (Cauchy prior, "
        "scale sqrt(2)/2; Rouder et al. 2009, as pingouin.bayesfactor_ttest and R "
        "BayesFactor::ttestBF).",
    )
    wilcoxon_p: PValue = None
    wilcoxon_method: Literal["exact", "approx"] | None = None
    rank_biserial: Annotated[float | None, Json(minimum=-1, maximum=1)] = entry(
        None,
        description="Matched-pairs rank-biserial correlation (as pingouin.wilcoxon's RBC): "
        "(R+ - R-) / (R+ + R-), signed ranks of the nonzero x - y.",
    )
    reason: str | None = None


def paired_comparison(x, y, alpha: float = 0.05) -> PairedComparison:
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
    PairedComparison
        ``n`` (pairs), ``x_mean``, ``y_mean``, ``estimate`` (mean of x - y), ``se``,
        ``df``, ``t``, ``ci_low``, ``ci_high``, ``p_value`` (paired t, as R
        ``t.test(x, y, paired = TRUE)``), ``wilcoxon_p`` and ``wilcoxon_method`` (as R
        ``wilcox.test(x, y, paired = TRUE)``: exact when there are fewer than 50 pairs and
        no ties or zero differences, else the normal approximation with continuity and tie
        corrections), the effect sizes ``cohen_dz`` (mean of x - y over its sd) and
        ``rank_biserial``, the Bayes factor ``bf10``, ``reason`` (None when the tests ran).

    Notes
    -----
    pingouin's ``cohen_d`` of a paired t test is d_av (the mean difference over the mean
    of the two sds), unsigned; ``cohen_dz`` is the mean difference over its sd, signed like
    ``estimate``.

    Examples
    --------
    >>> r = paired_comparison([-30, -25, -40, -10, -35], [-10, -20, -15, -12, -5])
    >>> r.estimate, round(r.p_value, 4), r.wilcoxon_p, r.wilcoxon_method
    (-15.6, 0.062, 0.125, 'exact')
    >>> round(r.cohen_dz, 3), round(r.rank_biserial, 3), round(r.bf10, 3)
    (-1.149, -0.867, 1.904)
    """
    from scipy import special, stats

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    d = x - y
    n = int(d.size)
    if n == 0:
        return PairedComparison(0, reason="needs at least 2 patients with both values; got 0")
    means = {"x_mean": float(x.mean()), "y_mean": float(y.mean()), "estimate": float(d.mean())}
    if n < 2 or np.ptp(d) == 0:
        reason = (
            f"needs at least 2 patients with both values; got {n}"
            if n < 2
            else "every patient has the same difference, so there is no variation to test"
        )
        return PairedComparison(n, **means, reason=reason)
    test = stats.ttest_rel(x, y)
    t, df, se = float(test.statistic), float(n - 1), float(d.std(ddof=1) / np.sqrt(n))
    half = float(special.stdtrit(df, 1 - alpha / 2)) * se
    wilcoxon = {}
    if np.any(d != 0):
        exact = n < 50 and np.all(d != 0) and np.unique(np.abs(d)).size == n
        method = "exact" if exact else "approx"
        p_value, rbc = _signed_rank(x, y, method, not exact)
        wilcoxon = {"wilcoxon_p": p_value, "wilcoxon_method": method, "rank_biserial": rbc}
    return PairedComparison(
        n,
        **means,
        se=se,
        df=df,
        t=t,
        ci_low=means["estimate"] - half,
        ci_high=means["estimate"] + half,
        p_value=float(test.pvalue),
        cohen_dz=float(d.mean() / d.std(ddof=1)),
        bf10=_bf10(t, n),
        **wilcoxon,
    )


def _signed_rank(x, y, method: str, correction: bool) -> tuple[float, float]:
    """``pingouin.wilcoxon``'s p-value and matched-pairs rank-biserial correlation, the same
    computations without its common-language effect size (an n x n matrix: 2 GB of memory
    at 10 000 patients)."""
    from scipy import stats

    _, p_value = stats.wilcoxon(x=x, y=y, method=method, correction=correction)
    d = x - y
    d = d[d != 0]
    r = stats.rankdata(abs(d))
    rsum = r.sum()
    rbc = np.sum((d > 0) * r) / rsum - np.sum((d < 0) * r) / rsum
    return float(p_value), float(rbc)


def _bf10(t: float, n: int) -> float | None:
    """The JZS Bayes factor BF10 of a paired (one-sample) t test with n pairs: Rouder et
    al. (2009), eq. 1, the Cauchy prior's scale integrated out over g (as
    ``pingouin.bayesfactor_ttest`` and R ``BayesFactor::ttestBF``); None beyond a float's
    range.

    Integrated in log space over u = log g by ``scipy.integrate.quad``, scaled by the
    integrand's largest value: pingouin's integral over g in [0, inf) misses the peak (at
    g ~ t²/n) when |t| is large for n, and gave BF10 falling with |t|, even negative
    (n = 3, t = -1734: -0.55)."""
    from scipy import integrate

    nu, scale = n - 1, n * _JZS_SCALE**2
    if not math.isfinite(t * t):
        return None

    def log_h(u: float) -> float:  # log of (likelihood given g times g's prior) dg/du
        a = 1 + scale * math.exp(u)
        return (
            -0.5 * math.log(a) - (nu + 1) / 2 * math.log1p(t * t / (a * nu))
            - 0.5 * math.log(2 * math.pi) - 0.5 * u - 0.5 * math.exp(-u)
        )  # fmt: skip

    # The integrand's peaks: the prior's near u = 0, the likelihood's near g = t²/n. Scaled
    # by its largest value on a grid over both, then integrated where it is not negligible.
    right = math.log(max(t * t / scale, 1.0))
    grid = np.linspace(-10.0, right + 10.0, 241).tolist()
    logs = [log_h(u) for u in grid]
    top = max(logs)
    mode = grid[logs.index(top)]
    area = integrate.quad(
        lambda u: math.exp(log_h(u) - top), -15.0, right + 45.0, points=[mode], limit=200,
        epsabs=0.0, epsrel=1e-12,
    )[0]  # fmt: skip
    log_bf = math.log(area) + top + (nu + 1) / 2 * math.log1p(t * t / nu)
    return math.exp(log_bf) if log_bf < 709 else None


@dataclass(frozen=True)
class ExactMcNemar(Record):
    """McNemar's test, exact: a two-sided binomial test on the discordant pairs."""

    n_pairs: Annotated[int, Json(minimum=0)]
    discordant: Annotated[int, Json(minimum=0)]
    p_value: Annotated[float, Json(minimum=0, maximum=1)]
    test: str = _MCNEMAR_TEST


def mcnemar_exact(both, x_only, y_only, neither) -> ExactMcNemar:
    """McNemar's test, exact: a two-sided binomial test on the discordant pairs.

    Parameters
    ----------
    both, x_only, y_only, neither : int
        Counts of the 2 x 2 table of paired yes/no outcomes (e.g. responder on active
        only: ``x_only``).

    Returns
    -------
    ExactMcNemar
        ``n_pairs``, ``discordant`` (= x_only + y_only), ``p_value`` (as R
        ``binom.test(x_only, x_only + y_only)``; 1 when there is no discordant pair),
        ``test``.

    Notes
    -----
    R's ``mcnemar.test`` is the asymptotic chi-squared version; with the few discordant
    pairs a series has, the exact conditional test is the one to use.

    Examples
    --------
    >>> mcnemar_exact(both=3, x_only=9, y_only=1, neither=18).p_value
    0.021484375
    """
    from scipy import stats

    counts = [int(c) for c in (both, x_only, y_only, neither)]
    if min(counts) < 0:
        raise ValueError("counts must be >= 0")
    discordant = counts[1] + counts[2]
    p = 1.0 if discordant == 0 else float(stats.binomtest(counts[1], discordant).pvalue)
    return ExactMcNemar(n_pairs=sum(counts), discordant=discordant, p_value=p)


@dataclass(frozen=True)
class Welch(Record):
    """Welch two-sample t test of mean(x) - mean(y)."""

    n_x: Annotated[int, Json(minimum=0)]
    n_y: Annotated[int, Json(minimum=0)]
    x_mean: float | None = None
    y_mean: float | None = None
    estimate: float | None = entry(None, description="mean(x) - mean(y)")
    se: float | None = None
    df: float | None = None
    t: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: PValue = None
    reason: str | None = None


def welch(x, y, alpha: float = 0.05) -> Welch:
    """Welch two-sample t test of mean(x) - mean(y) (R ``t.test(x, y)``).

    Returns
    -------
    Welch
        ``n_x``, ``n_y``, ``x_mean``, ``y_mean``, ``estimate`` (the difference), ``se``,
        ``df``, ``t``, ``ci_low``, ``ci_high``, ``p_value``, ``reason`` (None when it ran:
        it needs 2 values in each group and some variation).

    Examples
    --------
    >>> r = welch([-12.0, -8.0, -15.0, -9.0], [-6.0, -10.0, -4.0])
    >>> round(r.estimate, 3), round(r.df, 3), round(r.p_value, 4)
    (-4.333, 4.548, 0.1327)
    """
    from scipy import stats

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    out = {"n_x": int(x.size), "n_y": int(y.size)}
    out |= {"x_mean": float(x.mean()) if x.size else None}
    out |= {"y_mean": float(y.mean()) if y.size else None}
    if x.size < 2 or y.size < 2:
        reason = f"needs at least 2 patients in each group; got {x.size} and {y.size}"
        return Welch(**out, reason=reason)
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    if vx + vy == 0:
        return Welch(**out, reason="the values do not vary, so there is nothing to test")
    # The one Welch test of the package for per-series values (the per-patient kernel,
    # nof1.analysis.classic.welch_t, works on days): scipy's, which is R's t.test(x, y).
    test = stats.ttest_ind(x, y, equal_var=False)
    ci = test.confidence_interval(1 - alpha)
    return Welch(
        **out,
        estimate=float(x.mean() - y.mean()),
        se=float(np.sqrt(vx + vy)),
        df=float(test.df),
        t=float(test.statistic),
        ci_low=float(ci.low),
        ci_high=float(ci.high),
        p_value=float(test.pvalue),
    )
