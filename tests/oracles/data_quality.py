"""results.json's ``data_quality``, row by row (what ``data_quality`` computed before it
found the groups as runs): the oracle of :func:`nof1.analysis.quality.quality_entry`."""

from __future__ import annotations

import numpy as np

from nof1.analysis.days import PatientDays
from nof1.analysis.quality import iso_date as _iso
from nof1.analysis.summaries import DataQuality, Excluded, Interim, Period

__all__ = ["data_quality"]


def data_quality(
    days: PatientDays, analytic_washout_days: int, warnings: tuple[str, ...] = ()
) -> DataQuality:
    """Completeness per phase and period, missing dates, and days excluded and why.

    A day is observed when at least one outcome was recorded on it. ``periods`` has one
    entry per (phase, period, condition), in order of first appearance. When the last
    observed day comes before the last planned day the analysis is interim: the later
    days are not yet due, and are not counted as missing (see :class:`DataQuality`).
    """
    observed = days.observed
    seen_at = np.flatnonzero(observed)
    so_far = int(seen_at[-1]) + 1 if seen_at.size else int(days.day.size)
    interim = None
    if so_far < days.day.size:
        interim = Interim(so_far, int(days.day.size), _iso(days.date[so_far - 1]))
    keys = zip(
        days.phase[:so_far].tolist(),
        days.period[:so_far].tolist(),
        days.condition[:so_far].tolist(),
        strict=True,
    )
    groups: dict = {}  # (phase, period, condition) -> its days so far, in order of first day
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    dates = days.date.tolist()
    periods = []
    for (phase, period, condition), rows in groups.items():
        at = np.array(rows)
        seen = observed[at]
        periods.append(
            Period(
                phase=phase,
                period=int(period) if period > 0 else None,
                condition=condition,
                first_date=_iso(dates[rows[0]]),
                last_date=_iso(dates[rows[-1]]),
                days=int(at.size),
                observed=int(seen.sum()),
                included=int((seen & days.included[at]).sum()),
                completeness=float(seen.mean()),
            )
        )
    treatment = days.phase == "treatment"
    return DataQuality(
        days_planned=int(days.day.size),
        days_observed=int(observed.sum()),
        completeness=float(observed[:so_far].mean()) if so_far else 0.0,
        missing_dates=tuple(_iso(d) for d in days.date[:so_far][~observed[:so_far]]),
        missing_values={name: int(np.isnan(v[:so_far]).sum()) for name, v in days.values.items()},
        analytic_washout_days=int(analytic_washout_days),
        excluded=Excluded(
            analytic_washout=int((treatment & ~days.included & observed).sum()),
            not_a_treatment_period=int((~treatment & observed).sum()),
        ),
        periods=tuple(periods),
        warnings=tuple(warnings),
        interim=interim,
    )
