"""Descriptive summaries of an aligned diary: per-condition statistics, percent change from
baseline at the end points, and data quality.

All read the aligned table (``nof1.data``, as :class:`~nof1.analysis.days.PatientDays`),
which has already decided which day belongs to which condition and which days are
included in comparisons.
"""

from __future__ import annotations

import numpy as np

from nof1.analysis.days import PatientDays

__all__ = ["data_quality", "describe", "percent_change"]

_QUARTILES = np.array([0.25, 0.5, 0.75])


def describe(values) -> dict:
    """n, mean, sd, median, q1, q3 of the observed values (NaN ignored).

    Quantiles are R's default (type 7, linear interpolation); sd has n - 1 in the
    denominator. Statistics that need more days than there are come back as None.

    Examples
    --------
    >>> describe([1.0, 2.0, 3.0, 4.0, float("nan")])
    {'n': 4, 'mean': 2.5, 'sd': 1.2909944487358056, 'median': 2.5, 'q1': 1.75, 'q3': 3.25}
    """
    x = np.asarray(values, dtype=float)
    x = np.sort(x[np.isfinite(x)])
    if len(x) == 0:
        return {"n": 0, "mean": None, "sd": None, "median": None, "q1": None, "q3": None}
    q1, median, q3 = _quartiles(x).tolist()
    return {
        "n": int(len(x)),
        "mean": float(x.mean()),
        "sd": float(x.std(ddof=1)) if len(x) > 1 else None,
        "median": float(median),
        "q1": float(q1),
        "q3": float(q3),
    }


def _quartiles(x: np.ndarray) -> np.ndarray:
    """Quartiles of sorted values, as ``np.quantile(x, [0.25, 0.5, 0.75])`` (its linear
    method and rounding) without its overhead, which mattered in a series.

    Examples
    --------
    >>> x = np.sort(np.random.default_rng(0).normal(size=17))
    >>> bool(np.all(_quartiles(x) == np.quantile(x, [0.25, 0.5, 0.75])))
    True
    """
    h = (x.size - 1) * _QUARTILES
    below = np.floor(h)
    t = h - below
    a = x[below.astype(int)]
    b = x[np.minimum(below.astype(int) + 1, x.size - 1)]
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def percent_change(
    days: PatientDays, outcome: str, conditions: list[str], endpoint_days: int
) -> dict:
    """Percent change of each condition's end point from the baseline mean.

    End point of a period = mean of its last ``endpoint_days`` observed values; a
    condition's end point = the mean over its periods. Percent = (end point - baseline
    mean) / baseline mean x 100, so negative is a decrease (Younger et al. 2013's
    primary end point). None when there is no baseline, a zero baseline mean, or no
    observed day in the condition.
    """
    baseline = days.values[outcome][days.condition == "baseline"]
    baseline = baseline[np.isfinite(baseline)]
    out: dict[str, float | None] = {}
    for condition in conditions:
        ends = [
            v[-endpoint_days:].mean()
            for v in days.period_values(outcome, condition, False)
            if len(v)
        ]
        if not len(baseline) or not ends or baseline.mean() == 0:
            out[condition] = None
        else:
            base = baseline.mean()
            out[condition] = float((np.mean(ends) - base) / abs(base) * 100)
    return out


def data_quality(days: PatientDays, analytic_washout_days: int) -> dict:
    """Completeness per phase and period, missing dates, and days excluded and why.

    A day is observed when at least one outcome was recorded on it. ``periods`` has one
    entry per (phase, period, condition), in order of first appearance.
    """
    observed = days.observed
    keys = zip(days.phase.tolist(), days.period.tolist(), days.condition.tolist(), strict=True)
    periods = []
    for phase, period, condition in dict.fromkeys(keys):
        at = np.flatnonzero(
            (days.phase == phase) & (days.period == period) & (days.condition == condition)
        )
        seen = observed[at]
        periods.append(
            {
                "phase": phase,
                "period": int(period) if period > 0 else None,
                "condition": condition,
                "first_date": _iso(days.date[at[0]]),
                "last_date": _iso(days.date[at[-1]]),
                "days": int(at.size),
                "observed": int(seen.sum()),
                "included": int((seen & days.included[at]).sum()),
                "completeness": float(seen.mean()),
            }
        )
    treatment = days.phase == "treatment"
    return {
        "days_planned": int(days.day.size),
        "days_observed": int(observed.sum()),
        "completeness": float(observed.mean()) if days.day.size else 0.0,
        "missing_dates": [_iso(d) for d in days.date[~observed]],
        "missing_values": {name: int(np.isnan(v).sum()) for name, v in days.values.items()},
        "analytic_washout_days": int(analytic_washout_days),
        "excluded": {
            "analytic_washout": int((treatment & ~days.included & observed).sum()),
            "not_a_treatment_period": int((~treatment & observed).sum()),
        },
        "periods": periods,
    }


def _iso(value) -> str | None:
    import pandas as pd

    if pd.isna(value):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
