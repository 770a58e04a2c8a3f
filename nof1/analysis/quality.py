"""results.json's ``data_quality`` of each patient, as plain values (the record
:class:`~nof1.analysis.summaries.DataQuality` documents the keys;
:func:`~nof1.analysis.summaries.data_quality` gives the record).

Every patient of a chunk at once: the days end to end, the counts by one reduction per
kind, the diary's (phase, period, condition) groups as runs of equal rows; what is left
per patient is making its dicts.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from nof1.analysis.days import PatientDays

__all__ = ["iso_date", "quality_entries", "quality_entry"]


def quality_entry(
    days: PatientDays, analytic_washout_days: int, warnings: tuple[str, ...] = ()
) -> dict:
    """``data_quality(days, analytic_washout_days, warnings).to_dict()``, built directly.

    A day is observed when at least one outcome was recorded on it. ``periods`` has one
    entry per (phase, period, condition), in order of first appearance. When the last
    observed day comes before the last planned day the analysis is interim: the later
    days are not yet due, and are not counted as missing.
    """
    return quality_entries([days], analytic_washout_days, [warnings])[0]


def quality_entries(patients: list[PatientDays], analytic_washout_days: int, warnings) -> list:
    """:func:`quality_entry` of each patient (``warnings``: each one's)."""
    if not patients:
        return []
    names = [tuple(d.values) for d in patients]
    if all(d.day.size for d in patients) and len(set(names)) == 1:
        return _entries(patients, analytic_washout_days, warnings)
    return [  # one by one
        _entries([d], analytic_washout_days, [w])[0]
        if d.day.size
        else _no_days(d, analytic_washout_days, w)
        for d, w in zip(patients, warnings, strict=True)
    ]


def _no_days(days: PatientDays, washout: int, warnings) -> dict:
    """The data quality of a diary without a planned day."""
    return {"days_planned": 0, "days_observed": 0, "completeness": 0.0, "missing_dates": [],
            "missing_values": dict.fromkeys(days.values, 0), "analytic_washout_days": int(washout),
            "excluded": {"analytic_washout": 0, "not_a_treatment_period": 0}, "periods": [],
            "warnings": list(warnings), "interim": None}  # fmt: skip


def _entries(patients: list[PatientDays], washout: int, warnings) -> list:
    """:func:`quality_entries` of patients with days and the same outcomes."""
    n = len(patients)
    sizes = np.array([d.day.size for d in patients])
    first = np.cumsum(sizes) - sizes  # each patient's first row, end to end
    who = np.repeat(np.arange(n), sizes)
    local = np.arange(who.size) - first[who]
    k = len(patients[0].values)
    values = np.concatenate(
        [np.array(list(d.values.values()), dtype=float).reshape(k, d.day.size) for d in patients],
        axis=1,
    )
    missing = np.isnan(values)
    observed = ~missing.all(axis=0) if k else np.zeros(who.size, dtype=bool)
    last = np.maximum.reduceat(np.where(observed, local + 1, 0), first)
    so_far = np.where(last > 0, last, sizes)
    due = local < so_far[who]  # the days so far

    def per_patient(mask) -> list:
        return np.bincount(who[mask], minlength=n).tolist()

    phase = np.concatenate([d.phase for d in patients])
    treatment = phase == "treatment"
    included = np.concatenate([d.included for d in patients])
    lacking = np.bincount(
        (np.arange(k)[:, None] * n + who)[missing & due], minlength=k * n
    ).reshape(k, n)  # per outcome and patient
    counts = zip(
        per_patient(observed), per_patient(observed & due),
        per_patient(treatment & ~included & observed), per_patient(~treatment & observed),
        lacking.T.tolist(), so_far.tolist(), sizes.tolist(), warnings,
        strict=True,
    )  # fmt: skip
    dates = np.concatenate([d.date for d in patients])
    gaps = np.flatnonzero(~observed & due)
    gap_dates = np.split(dates[gaps], np.searchsorted(gaps, first[1:]))
    periods = _periods(patients, phase, dates, included, observed, due, who)
    out = []
    for i, (seen, seen_due, washed, outside, lack, n_due, planned, warned) in enumerate(counts):
        d = patients[i]
        interim = None
        if n_due < planned:
            interim = {
                "days_so_far": n_due,
                "days_planned": planned,
                "last_date": iso_date(d.date[n_due - 1]),
            }
        out.append(
            {
                "days_planned": planned,
                "days_observed": seen,
                "completeness": seen_due / n_due if n_due else 0.0,
                "missing_dates": [iso_date(x) for x in gap_dates[i].tolist()],
                "missing_values": dict(zip(d.values, lack, strict=True)),
                "analytic_washout_days": int(washout),
                "excluded": {"analytic_washout": washed, "not_a_treatment_period": outside},
                "periods": periods[i],
                "warnings": list(warned),
                "interim": interim,
            }
        )
    return out


def _periods(patients, phase, dates, included, observed, due, who) -> list[list[dict]]:
    """Per patient, one entry per (phase, period, condition) of its days so far, in
    order of first day: the runs of equal rows (row by row when a group has two runs)."""
    at = np.flatnonzero(due)
    period = np.concatenate([d.period for d in patients])[at]
    condition = np.concatenate([d.condition for d in patients])[at]
    phase, w = phase[at], who[at]
    change = (phase[1:] != phase[:-1]) | (period[1:] != period[:-1])
    change |= (condition[1:] != condition[:-1]) | (w[1:] != w[:-1])
    starts = np.concatenate([[0], np.flatnonzero(change) + 1])
    ends = np.append(starts[1:], at.size)
    seen = observed[at]
    counts = np.stack([seen, seen & included[at]]).astype(np.intp)
    n_seen, n_in = np.add.reduceat(counts, starts, axis=1).tolist()
    dates = dates[at]
    runs = zip(
        phase[starts].tolist(), period[starts].tolist(), condition[starts].tolist(),
        dates[starts].tolist(), dates[ends - 1].tolist(), (ends - starts).tolist(), n_seen, n_in,
        strict=True,
    )  # fmt: skip
    run_who = w[starts]
    bounds = np.searchsorted(run_who, np.arange(len(patients) + 1)).tolist()
    runs = list(runs)
    out = []
    for i, d in enumerate(patients):
        mine = runs[bounds[i] : bounds[i + 1]]
        if len({r[:3] for r in mine}) < len(mine):  # a group in two runs: gather its days
            mask = due[who == i]
            out.append(_gathered(d, observed[who == i][mask], int(mask.sum())))
            continue
        out.append(
            [
                {
                    "phase": ph,
                    "period": int(pe) if pe > 0 else None,
                    "condition": co,
                    "first_date": iso_date(start),
                    "last_date": iso_date(end),
                    "days": days,
                    "observed": seen_n,
                    "included": in_n,
                    "completeness": seen_n / days,
                }
                for ph, pe, co, start, end, days, seen_n, in_n in mine
            ]
        )
    return out


def _gathered(days: PatientDays, seen: np.ndarray, so_far: int) -> list[dict]:
    """:func:`_periods` of a patient with a group's days in more than one run: row by row."""
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


class _IsoDates(dict):
    """date -> ``date.isoformat()``, made on first use: a series' patients share a calendar."""

    def __missing__(self, day) -> str:
        text = day.isoformat()
        if len(self) < 100_000:
            self[day] = text
        return text


_ISO = _IsoDates()


def iso_date(value) -> str | None:
    """A date of the aligned table as results.json writes it (None when missing)."""
    if type(value) is dt.date:  # the aligned table's dates
        return _ISO[value]
    import pandas as pd

    if pd.isna(value):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
