"""Closed-form t-tests: Welch on days (naive) and paired t on period means per cycle."""

from __future__ import annotations

import numpy as np
from scipy import special

from nof1.analysis.effect import Effect

__all__ = ["welch_t", "paired_periods"]

# R's t.test refuses "essentially constant" data below this relative standard error.
_CONSTANT = 10 * np.finfo(float).eps


def _t_effect(method: str, estimate: float, se: float, df: float, alpha: float) -> Effect:
    half = special.stdtrit(df, 1 - alpha / 2) * se
    return Effect(
        method=method,
        estimate=estimate,
        se=se,
        df=df,
        ci_low=estimate - half,
        ci_high=estimate + half,
        p_value=2 * special.stdtr(df, -abs(estimate / se)),
    )


def arms(y, active) -> tuple[np.ndarray, np.ndarray]:
    """The observed values on active days and on placebo days (NaN dropped).

    Examples
    --------
    >>> arms([1.0, 2.0, float("nan"), 4.0], [1, 0, 1, 0])
    (array([1.]), array([2., 4.]))
    """
    y = np.asarray(y, dtype=float)
    active = np.asarray(active)
    if active.shape != y.shape or y.ndim != 1:
        raise ValueError(f"y and active must be 1-d of equal length; got {y.shape}, {active.shape}")
    if not np.all(np.isin(active, (0, 1))):
        raise ValueError("active must be boolean or 0/1 (1 = active day, 0 = placebo day)")
    keep = ~np.isnan(y)
    return y[keep & (active == 1)], y[keep & (active == 0)]


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha}")


def welch_t(y, active, alpha: float = 0.05) -> Effect:
    """Welch two-sample t-test of active days against placebo days, as R ``t.test(a, p)``.

    Naive: it treats days as independent and ignores autocorrelation, so its standard error
    is too small when phi > 0. Reported for comparison with :func:`~nof1.analysis.ar1.gls_ar1`.

    Parameters
    ----------
    y : array_like
        Outcome per day; NaN (missing) days are dropped.
    active : array_like of bool or 0/1
        1 on active days, 0 on placebo days.
    alpha : float, default 0.05
        The confidence interval has level 1 - alpha.

    Returns
    -------
    Effect
        ``method="welch_t"``: ``estimate`` = mean(active) - mean(placebo),
        ``se = sqrt(v_a/n_a + v_p/n_p)``, Welch-Satterthwaite ``df``, t interval and two-sided
        ``p_value``. Unavailable with fewer than 2 days in a condition or constant data.

    Notes
    -----
    ``df = se⁴ / ((v_a/n_a)²/(n_a - 1) + (v_p/n_p)²/(n_p - 1))`` with sample variances v.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. Biometrika 34, 28-35.

    Examples
    --------
    >>> e = welch_t([4, 5, 6, 7, 9, 8], [1, 1, 1, 0, 0, 0])
    >>> e.estimate, round(e.df, 6)
    (-3.0, 4.0)
    """
    _check_alpha(alpha)
    a, p = arms(y, active)
    if min(a.size, p.size) < 2:
        return Effect.unavailable(
            "welch_t",
            f"needs at least 2 observed days in each condition; got {a.size} active and "
            f"{p.size} placebo",
        )
    va, vp = a.var(ddof=1) / a.size, p.var(ddof=1) / p.size
    se = np.sqrt(va + vp)
    estimate = a.mean() - p.mean()
    if se < _CONSTANT * max(abs(a.mean()), abs(p.mean())) or se == 0:
        return Effect.unavailable("welch_t", "the outcome is constant within both conditions")
    df = (va + vp) ** 2 / (va**2 / (a.size - 1) + vp**2 / (p.size - 1))
    return _t_effect("welch_t", float(estimate), float(se), float(df), alpha)


def paired_periods(active_means, placebo_means, alpha: float = 0.05) -> Effect:
    """Paired t-test over cycles of active-period mean minus placebo-period mean.

    As R ``t.test(active_means, placebo_means, paired = TRUE)``. Each cycle contributes one
    difference, so autocorrelation between days matters much less than for :func:`welch_t`.

    Parameters
    ----------
    active_means, placebo_means : array_like, shape (cycles,)
        Mean outcome of the active and the placebo period of each cycle, in cycle order. A
        cycle with a missing (NaN) mean is dropped.
    alpha : float, default 0.05
        The confidence interval has level 1 - alpha.

    Returns
    -------
    Effect
        ``method="paired_periods"``: ``estimate`` = mean difference, ``se = sd/sqrt(k)``,
        ``df = k - 1`` for k cycles, t interval and two-sided ``p_value``. Unavailable with
        fewer than 2 complete cycles or identical differences.

    Examples
    --------
    >>> e = paired_periods([3.0, 4.0, 2.0], [5.0, 7.0, 5.0])
    >>> e.estimate, e.df
    (-2.6666666666666665, 2.0)
    >>> paired_periods([3.0], [5.0]).reason
    'needs at least 2 cycles with an observed period of each condition; got 1'
    """
    _check_alpha(alpha)
    a = np.asarray(active_means, dtype=float)
    p = np.asarray(placebo_means, dtype=float)
    if a.shape != p.shape or a.ndim != 1:
        raise ValueError(
            f"active_means and placebo_means must be 1-d of equal length; got {a.shape}, {p.shape}"
        )
    diff = (a - p)[~(np.isnan(a) | np.isnan(p))]
    left_out = a.size - diff.size
    if diff.size < 2:
        return Effect.unavailable(
            "paired_periods",
            "needs at least 2 cycles with an observed period of each condition; got "
            f"{diff.size}" + (f" ({left_out} left out)" if left_out else ""),
        )
    estimate = diff.mean()
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    if se < _CONSTANT * abs(estimate) or se == 0:
        return Effect.unavailable(
            "paired_periods", "the difference between the two periods is the same in every cycle"
        )
    out = _t_effect("paired_periods", float(estimate), float(se), float(diff.size - 1), alpha)
    counts = {"cycles_used": int(diff.size), "cycles_left_out": int(left_out)}
    return Effect(**{**out.__dict__, "extra": counts})
