"""Closed-form t-test kernels: Welch on days (naive) and a paired t on period means per cycle."""

from __future__ import annotations

import numpy as np

from nof1.analysis.inference import check_alpha, t_inference
from nof1.analysis.registry import Estimates, Trials

__all__ = ["paired_periods", "welch_t"]

# R's t.test refuses "essentially constant" data below this relative standard error.
_CONSTANT = 10 * np.finfo(float).eps


def _t_estimates(method, estimate, se, df, reason, alpha) -> Estimates:
    """The t fields of a method; NaN on the rows with a reason."""
    bad = np.array([r is not None for r in reason], dtype=bool)
    estimate, se = np.where(bad, np.nan, estimate), np.where(bad, np.nan, se)
    df = np.where(bad, np.nan, df)
    ci_low, ci_high, p_value = t_inference(estimate, se, df, alpha)
    values = {
        "estimate": estimate,
        "se": se,
        "df": df,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "p_value": p_value,
    }
    return Estimates(method, values, reason)


def welch_t(trials: Trials) -> Estimates:
    """Welch two-sample t-test of treated days against control days, as R ``t.test(a, p)``.

    Naive: it treats days as independent and ignores autocorrelation, so its standard error
    is too small when phi > 0. Reported for contrast with ``gls_ar1``.

    Returns
    -------
    Estimates
        ``estimate`` = mean(treated) - mean(control), ``se = sqrt(v_a/n_a + v_p/n_p)``,
        Welch-Satterthwaite ``df = se⁴ / ((v_a/n_a)²/(n_a - 1) + (v_p/n_p)²/(n_p - 1))``,
        t interval and two-sided ``p_value``. A reason instead with fewer than 2 days in an
        arm or constant data.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. Biometrika 34, 28-35.

    Examples
    --------
    >>> from nof1.analysis.registry import Trials
    >>> arm = np.array([[1, 1, 1, 0, 0, 0]], dtype=np.int8)
    >>> t = Trials(np.array([[4.0, 5, 6, 7, 9, 8]]), np.arange(1, 7), arm, np.zeros_like(arm),
    ...            np.array([-1.0]), np.array([1.0]), 0.05)
    >>> e = welch_t(t).effect(0)
    >>> e.estimate, round(e.df, 6)
    (-3.0, 4.0)
    """
    check_alpha(trials.alpha)
    y, arm = trials.y, trials.arm
    seen = np.isfinite(y)
    parts = []
    for condition in (1, 0):
        use = seen & (arm == condition)
        n = use.sum(axis=1)
        values = np.where(use, y, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = values.sum(axis=1) / n
            var = np.where(use, (y - mean[:, None]) ** 2, 0.0).sum(axis=1) / (n - 1)
            parts.append((np.where(n >= 2, mean, np.nan), var / n, n))
    (mean_a, va, na), (mean_p, vp, n_p) = parts
    with np.errstate(invalid="ignore", divide="ignore"):
        df = (va + vp) ** 2 / (va**2 / (na - 1) + vp**2 / (n_p - 1))
        se = np.sqrt(va + vp)
        constant = (se < _CONSTANT * np.maximum(np.abs(mean_a), np.abs(mean_p))) | (se == 0)
    reason = np.full(trials.m, None, dtype=object)
    for i in np.flatnonzero((np.minimum(na, n_p) < 2) | constant):
        if min(na[i], n_p[i]) < 2:
            reason[i] = (
                "needs at least 2 observed days in each condition; got "
                f"{na[i]} active and {n_p[i]} placebo"
            )
        else:
            reason[i] = "the outcome is constant within both conditions"
    return _t_estimates("welch_t", mean_a - mean_p, se, df, reason, trials.alpha)


def paired_periods(trials: Trials) -> Estimates:
    """Paired t-test over cycles of treated-period mean minus control-period mean.

    As R ``t.test(treated_means, control_means, paired = TRUE)`` over the complete cycles
    (DESIGN.md section 5): within each cycle (:meth:`Trials.cycles`), the mean of the
    treated days minus the mean of the control days, on the compared days observed. A cycle
    without an observed compared day of each condition (a scheme whose cycle holds one
    condition twice, a diary whose periods do not pair, a period with no observed day) is
    left out and counted. Each cycle contributes one difference, so autocorrelation between
    days matters much less than for :func:`welch_t`.

    Returns
    -------
    Estimates
        ``estimate`` = mean difference, ``se = sd/sqrt(k)``, ``df = k - 1`` for the k
        complete cycles, t interval and two-sided ``p_value``; ``cycles_used`` (k) and
        ``cycles_left_out`` (cycles of the row lacking a condition). A reason instead with
        fewer than 2 complete cycles or the same difference in every cycle.

    Examples
    --------
    >>> from nof1.analysis.registry import Trials
    >>> arm = np.array([[1, 0, 0, 1, 1, 0]], dtype=np.int8)
    >>> t = Trials(np.array([[3.0, 5, 7, 4, 2, 5]]), np.arange(1, 7), arm,
    ...            np.array([[1, 2, 3, 4, 5, 6]]), np.array([-1.0]), np.array([1.0]), 0.05)
    >>> e = paired_periods(t).effect(0)  # cycles (3 - 5), (4 - 7), (2 - 5)
    >>> e.estimate, e.df, e.extra["cycles_used"]
    (-2.6666666666666665, 2.0, 3)
    """
    check_alpha(trials.alpha)
    y, arm, cycle = trials.y, trials.arm, trials.cycles()
    m = trials.m
    use = np.isfinite(y) & (arm >= 0) & (cycle > 0)
    width = int(cycle.max(initial=0)) + 1
    rows = np.broadcast_to(np.arange(m)[:, None], y.shape)
    index = ((rows * width + cycle) * 2 + (arm == 1))[use]
    size = m * width * 2
    sums = np.bincount(index, weights=y[use], minlength=size).reshape(m, width, 2)
    counts = np.bincount(index, minlength=size).reshape(m, width, 2)
    complete = (counts > 0).all(axis=2)
    present = np.zeros((m, width), dtype=bool)  # cycles the row has days in at all
    present[rows[cycle > 0], cycle[cycle > 0]] = True
    k = complete.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
        diff = np.where(complete, means[:, :, 1] - means[:, :, 0], 0.0)
        mean = diff.sum(axis=1) / k
        ss = np.where(complete, (diff - mean[:, None]) ** 2, 0.0).sum(axis=1)
        se = np.sqrt(ss / (k - 1) / k)
        same = (se < _CONSTANT * np.abs(mean)) | (se == 0)
    left_out = present.sum(axis=1) - k
    reason = np.full(m, None, dtype=object)
    for i in np.flatnonzero((k < 2) | same):
        if k[i] < 2:
            reason[i] = (
                f"needs at least 2 cycles with an observed period of each condition; got "
                f"{k[i]}" + (f" ({left_out[i]} left out)" if left_out[i] else "")
            )
        else:
            reason[i] = "the difference between the two periods is the same in every cycle"
    out = _t_estimates("paired_periods", mean, se, k - 1.0, reason, trials.alpha)
    out.values.update(cycles_used=k, cycles_left_out=left_out)
    return out
