"""Descriptive summaries of an aligned diary: per-condition statistics, percent change from
baseline at the end points, and data quality.

All read the aligned table (``nof1.data``), which has already decided which day belongs
to which condition and which days are included in comparisons.
"""

from __future__ import annotations

import numpy as np

__all__ = ["data_quality", "describe", "percent_change", "period_values"]


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
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return {"n": 0, "mean": None, "sd": None, "median": None, "q1": None, "q3": None}
    q1, median, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    return {
        "n": int(len(x)),
        "mean": float(x.mean()),
        "sd": float(x.std(ddof=1)) if len(x) > 1 else None,
        "median": float(median),
        "q1": float(q1),
        "q3": float(q3),
    }


def period_values(table, outcome: str, condition: str, included_only: bool):
    """The outcome's observed values per period of ``condition``, in period order.

    Returns
    -------
    list of numpy.ndarray
        One array per period (days in date order, NaN dropped).
    """
    rows = table[table["condition"] == condition]
    if included_only:
        rows = rows[rows["included"]]
    out = []
    for _, days in rows.groupby("period", sort=True):
        values = days.sort_values("day")[outcome].to_numpy(dtype=float)
        out.append(values[np.isfinite(values)])
    return out


def percent_change(table, outcome: str, conditions: list[str], endpoint_days: int) -> dict:
    """Percent change of each condition's end point from the baseline mean.

    End point of a period = mean of its last ``endpoint_days`` observed values; a
    condition's end point = the mean over its periods. Percent = (end point - baseline
    mean) / baseline mean x 100, so negative is a decrease (Younger et al. 2013's
    primary end point). None when there is no baseline, a zero baseline mean, or no
    observed day in the condition.
    """
    baseline = table.loc[table["condition"] == "baseline", outcome].to_numpy(dtype=float)
    baseline = baseline[np.isfinite(baseline)]
    out: dict[str, float | None] = {}
    for condition in conditions:
        ends = [
            v[-endpoint_days:].mean()
            for v in period_values(table, outcome, condition, False)
            if len(v)
        ]
        if not len(baseline) or not ends or baseline.mean() == 0:
            out[condition] = None
        else:
            base = baseline.mean()
            out[condition] = float((np.mean(ends) - base) / abs(base) * 100)
    return out


def data_quality(table, outcomes: list[str], analytic_washout_days: int) -> dict:
    """Completeness per phase and period, missing dates, and days excluded and why.

    A day is observed when at least one outcome was recorded on it.
    """
    observed = table[outcomes].notna().any(axis=1)
    periods = []
    keys = ["phase", "period", "condition"]
    for (phase, period, condition), rows in table.groupby(keys, sort=False, dropna=False):
        seen = observed[rows.index]
        periods.append(
            {
                "phase": phase,
                "period": None if _missing(period) else int(period),
                "condition": condition,
                "first_date": _iso(rows["date"].iloc[0]),
                "last_date": _iso(rows["date"].iloc[-1]),
                "days": int(len(rows)),
                "observed": int(seen.sum()),
                "included": int((seen & rows["included"]).sum()),
                "completeness": float(seen.mean()),
            }
        )
    treatment = table["phase"] == "treatment"
    return {
        "days_planned": int(len(table)),
        "days_observed": int(observed.sum()),
        "completeness": float(observed.mean()) if len(table) else 0.0,
        "missing_dates": [_iso(d) for d in table.loc[~observed, "date"]],
        "missing_values": {name: int(table[name].isna().sum()) for name in outcomes},
        "analytic_washout_days": int(analytic_washout_days),
        "excluded": {
            "analytic_washout": int((treatment & ~table["included"] & observed).sum()),
            "not_a_treatment_period": int((~treatment & observed).sum()),
        },
        "periods": periods,
    }


def _missing(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def _iso(value) -> str | None:
    if _missing(value):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
