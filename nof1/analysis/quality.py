"""results.json's ``data_quality`` of a patient, as plain values (the record
:class:`~nof1.analysis.summaries.DataQuality` documents the keys;
:func:`~nof1.analysis.summaries.data_quality` gives the record).

The diary's (phase, period, condition) groups are found as runs of equal rows, their
counts by one reduction over the runs, so that a patient's data quality costs a few array
operations, not a step per day.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from nof1.analysis.days import PatientDays

__all__ = ["iso_date", "quality_entry"]


def quality_entry(
    days: PatientDays, analytic_washout_days: int, warnings: tuple[str, ...] = ()
) -> dict:
    """``data_quality(days, analytic_washout_days, warnings).to_dict()``, built directly.

    A day is observed when at least one outcome was recorded on it. ``periods`` has one
    entry per (phase, period, condition), in order of first appearance. When the last
    observed day comes before the last planned day the analysis is interim: the later
    days are not yet due, and are not counted as missing.
    """
    observed = days.observed
    planned = int(days.day.size)
    seen_at = np.flatnonzero(observed)
    so_far = int(seen_at[-1]) + 1 if seen_at.size else planned
    interim = None
    if so_far < planned:
        interim = {
            "days_so_far": so_far,
            "days_planned": planned,
            "last_date": iso_date(days.date[so_far - 1]),
        }
    seen = observed[:so_far]
    treatment = days.phase == "treatment"
    dates = days.date[:so_far]
    return {
        "days_planned": planned,
        "days_observed": int(np.count_nonzero(observed)),
        "completeness": int(np.count_nonzero(seen)) / so_far if so_far else 0.0,
        "missing_dates": [iso_date(d) for d in dates[~seen].tolist()],
        "missing_values": {
            name: int(np.count_nonzero(np.isnan(v[:so_far]))) for name, v in days.values.items()
        },
        "analytic_washout_days": int(analytic_washout_days),
        "excluded": {
            "analytic_washout": int(np.count_nonzero(treatment & ~days.included & observed)),
            "not_a_treatment_period": int(np.count_nonzero(~treatment & observed)),
        },
        "periods": _periods(days, seen, so_far),
        "warnings": list(warnings),
        "interim": interim,
    }


def _periods(days: PatientDays, seen: np.ndarray, so_far: int) -> list[dict]:
    """One entry per (phase, period, condition) of the days so far, in order of first day."""
    phase, period = days.phase[:so_far], days.period[:so_far]
    condition = days.condition[:so_far]
    if not so_far:
        return []
    change = (phase[1:] != phase[:-1]) | (period[1:] != period[:-1])
    change |= condition[1:] != condition[:-1]
    starts = np.concatenate([[0], np.flatnonzero(change) + 1])
    keys = list(zip(phase[starts].tolist(), period[starts].tolist(),
                    condition[starts].tolist(), strict=True))  # fmt: skip
    if len(set(keys)) < len(keys):  # a group in two runs: gather its days
        return _gathered(days, seen, so_far)
    ends = np.append(starts[1:], so_far)
    counts = np.stack([seen, seen & days.included[:so_far]]).astype(np.intp)
    observed, included = np.add.reduceat(counts, starts, axis=1).tolist()
    dates = days.date
    out = []
    for (ph, pe, co), first, end, n_seen, n_in in zip(
        keys, starts.tolist(), ends.tolist(), observed, included, strict=True
    ):
        n = end - first
        out.append(
            {
                "phase": ph,
                "period": int(pe) if pe > 0 else None,
                "condition": co,
                "first_date": iso_date(dates[first]),
                "last_date": iso_date(dates[end - 1]),
                "days": n,
                "observed": int(n_seen),
                "included": int(n_in),
                "completeness": int(n_seen) / n,
            }
        )
    return out


def _gathered(days: PatientDays, seen: np.ndarray, so_far: int) -> list[dict]:
    """:func:`_periods` when a group's days are not all in one run: row by row."""
    keys = zip(days.phase[:so_far].tolist(), days.period[:so_far].tolist(),
               days.condition[:so_far].tolist(), strict=True)  # fmt: skip
    groups: dict = {}  # (phase, period, condition) -> its days so far, in order of first day
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    dates = days.date.tolist()
    out = []
    for (phase, period, condition), rows in groups.items():
        at = np.array(rows)
        n_seen = int(np.count_nonzero(seen[at]))
        out.append(
            {
                "phase": phase,
                "period": int(period) if period > 0 else None,
                "condition": condition,
                "first_date": iso_date(dates[rows[0]]),
                "last_date": iso_date(dates[rows[-1]]),
                "days": int(at.size),
                "observed": n_seen,
                "included": int(np.count_nonzero(seen[at] & days.included[at])),
                "completeness": n_seen / at.size,
            }
        )
    return out


def iso_date(value) -> str | None:
    """A date of the aligned table as results.json writes it (None when missing)."""
    if type(value) is dt.date:  # the aligned table's dates
        return value.isoformat()
    import pandas as pd

    if pd.isna(value):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
