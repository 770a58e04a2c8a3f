"""Aligning a diary by its own ``condition`` column, when there is no allocation file.

Two rules, tried in order (see the Notes of :func:`nof1.data.align`): the protocol's own
timeline when the stated conditions fit it, else the diary's runs of one condition.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from nof1.data._answer_days import spread_answers
from nof1.data._period_warnings import period_warnings
from nof1.data._tabular import with_row_note
from nof1.data.allocation_file import day_numbers, scheme_allows
from nof1.data.diary import Diary
from nof1.design.timeline import build_timeline, is_included
from nof1.errors import DiaryError
from nof1.protocol.model import Protocol

__all__ = ["from_conditions"]

_TREATMENTS = ("active", "placebo")


def from_conditions(diary: Diary, protocol: Protocol):
    """The plan of a diary with a condition column (rules in ``nof1.data.align``'s Notes).

    Returns
    -------
    (table, allocation, warnings)
        ``table`` holds every planned day with the aligned columns but ``observed``;
        ``allocation`` is the bool array per treatment period, or None; ``warnings``
        says how the periods found differ from the protocol's (empty when they follow it).
    """
    fitted = _on_protocol_calendar(diary, protocol)
    if fitted is not None:
        return (*fitted, ())
    outcomes = [o.name for o in protocol.outcomes]
    first, last = diary.table["date"].iloc[0], diary.table["date"].iloc[-1]
    n = (last - first).days + 1
    table = pd.DataFrame(
        {"date": [first + dt.timedelta(days=k) for k in range(n)], "day": np.arange(1, n + 1)}
    )
    given = ["condition"] + (["period"] if "period" in diary.table else [])
    items = protocol.answer_items
    table = table.merge(diary.table[["date", *given, *outcomes, *items]], on="date", how="left")
    condition = table["condition"].fillna("").to_numpy(dtype=object)
    treatment = np.isin(condition, _TREATMENTS)
    if "period" in table:
        period = table["period"].to_numpy(dtype=object)
        period = np.array([None if pd.isna(p) else int(p) for p in period], dtype=object)
        period[~treatment & (condition != "")] = None  # a period only numbers treatment days
        _check_periods(diary, condition, period)
    else:
        period = np.full(n, None, dtype=object)
    _fill_gaps(condition, period)
    treatment = np.isin(condition, _TREATMENTS)
    if "period" not in table:
        period = _runs(condition, treatment)
    _check_fixed_sequence(diary, protocol, table["date"], condition, period)
    day_in_period = np.zeros(n, dtype=int)
    for p in set(period[treatment]):
        days = np.flatnonzero(period == p)
        day_in_period[days] = days - days[0] + 1
    table["phase"] = np.where(treatment, "treatment", condition)
    table["condition"] = condition
    table["period"] = pd.array(list(period), dtype="Int64")
    table["cycle"] = (table["period"] + 1) // 2
    table["included"] = treatment & is_included(day_in_period, protocol)
    warnings = period_warnings(protocol, table["date"].tolist(), condition, period)
    return table, None, warnings  # off the protocol's calendar: no allocation to test


def _on_protocol_calendar(diary: Diary, protocol: Protocol):
    """The protocol's timeline from the diary's first date, if every stated condition fits it.

    Then the calendar, not the diary's runs, places period boundaries: a missing first day
    of a period does not move its analytic washout. Returns (columns, allocation) or None.
    """
    s = protocol.schedule
    start = diary.table["date"].iloc[0]
    day = day_numbers(diary.table["date"], start)
    if day[-1] > protocol.total_days:
        return None
    stated = diary.table["condition"].to_numpy(dtype=object)
    by_day = np.full(protocol.total_days + 1, "", dtype=object)
    by_day[day] = stated
    # Read each period's treatment off its first days (lengths may differ by treatment).
    # An interim diary ends before some periods start: their treatment is not known yet.
    allocation = []
    first = s.baseline_days + 1
    for i in range(protocol.n_periods):
        first += s.washout_days if i else 0
        if (by_day[first:] == "").all():
            break  # no condition stated from here on: the diary ends before this period
        window = by_day[first : first + min(s.active_days, s.placebo_days)]
        seen = [c for c in window if c in ("active", "placebo")]
        if not seen:
            return None
        allocation.append(seen[0] == "active")
        first += s.active_days if allocation[-1] else s.placebo_days
    known = len(allocation)
    allocation = _completed(protocol, allocation)
    if allocation is None:
        return None
    plan = build_timeline(protocol, allocation, start)
    if ((stated != "") & (stated != plan["condition"].to_numpy(dtype=object)[day - 1])).any():
        return None
    if "period" in diary.table:
        given = diary.table["period"].fillna(0).to_numpy(dtype=int)
        planned = plan["period"].fillna(0).to_numpy(dtype=int)[day - 1]
        if ((given > 0) & (given != planned)).any():
            return None
    for outcome in protocol.outcomes:
        values = np.full(len(plan), np.nan)
        values[day - 1] = diary.table[outcome.name].to_numpy(dtype=float)
        plan[outcome.name] = values
    for name, values in spread_answers(diary, protocol, day - 1, len(plan)).items():
        plan[name] = values
    if known < protocol.n_periods:
        # Periods the diary has not reached: treatment unknown, nothing compared, no test.
        unknown = np.flatnonzero(plan["period"].fillna(0).to_numpy(dtype=int) > known)
        later = np.arange(len(plan)) >= unknown[0]  # from the first unknown period on
        plan.loc[later, ["phase", "condition"]] = ""
        plan.loc[later, ["period", "cycle"]] = pd.NA
        plan.loc[later, "included"] = False
        return plan, None
    return plan, allocation


def _completed(protocol: Protocol, known: list[bool]):
    """The first allocation the scheme allows that starts with ``known``, or None."""
    n = protocol.n_periods
    rest = n - len(known)
    for k in range(2**rest):
        tail = [bool(k >> j & 1) for j in range(rest)]
        allocation = np.array(known + tail, dtype=bool)
        if scheme_allows(protocol, allocation):
            return allocation
    return None


def _check_periods(diary: Diary, condition, period) -> None:
    """A period column must number every treatment day, one condition per period."""
    problems = []
    rows = diary.table.set_index("date")["row"]
    dates = [diary.table["date"].iloc[0] + dt.timedelta(days=k) for k in range(len(condition))]
    empty = np.array([p is None for p in period], dtype=bool)
    for i in np.flatnonzero(np.isin(condition, _TREATMENTS) & empty):
        problems.append(
            f"period is empty on row {rows[dates[i]]}, a {condition[i]} day (the period "
            "column must be filled on every active or placebo day)"
        )
    seen: dict[int, str] = {}
    order: list[int] = []
    for i, p in enumerate(period):
        if p is None:
            continue
        if seen.setdefault(p, condition[i]) != condition[i]:
            problems.append(
                f"period {p} has both {seen[p]} and {condition[i]} days (row {rows[dates[i]]})"
            )
            seen[p] = condition[i]
        if not order or order[-1] != p:
            if p in order:
                problems.append(
                    f"period {p} is interrupted by another period (row {rows[dates[i]]})"
                )
            order.append(p)
    if problems:
        raise DiaryError(with_row_note(diary.source), problems)


def _check_fixed_sequence(diary: Diary, protocol: Protocol, dates, condition, period) -> None:
    """With a fixed scheme the protocol says each period's treatment: the diary must agree."""
    r = protocol.randomization
    if r.scheme != "fixed":
        return
    rows = diary.table.set_index("date")["row"]
    stated = set(diary.table["date"][diary.table["condition"] != ""])
    sequence = ", ".join(r.sequence)
    problems, seen = [], set()
    for i, p in enumerate(period):
        if p is None or condition[i] not in _TREATMENTS or p in seen or dates[i] not in stated:
            continue
        planned = r.sequence[p - 1] if p <= len(r.sequence) else None
        if condition[i] == planned:
            continue
        seen.add(p)
        where = f"condition '{condition[i]}' on row {rows[dates[i]]} is in period {p}"
        if planned is None:
            why = f"but the protocol's fixed sequence has {len(r.sequence)} periods"
        else:
            why = f"which the protocol's fixed sequence makes {planned}"
        problems.append(f"{where}, {why} (sequence: {sequence})")
    if problems:
        raise DiaryError(with_row_note(diary.source), problems)


def _fill_gaps(condition, period) -> None:
    """In place: unknown days take their neighbours' condition and period when they agree."""
    n = len(condition)
    i = 0
    while i < n:
        if condition[i] != "":
            i += 1
            continue
        j = i
        while j < n and condition[j] == "":
            j += 1
        if i > 0 and j < n and (condition[i - 1], period[i - 1]) == (condition[j], period[j]):
            condition[i:j] = condition[j]
            period[i:j] = period[j]
        i = j


def _runs(condition, treatment):
    """Period numbers from runs of one treatment condition, counted from 1."""
    period = np.full(len(condition), None, dtype=object)
    count = 0
    for i in np.flatnonzero(treatment):
        if i == 0 or condition[i - 1] != condition[i]:
            count += 1
        period[i] = count
    return period
