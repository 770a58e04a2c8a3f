"""An allocation file, read back and matched to a protocol's timeline and to a diary.

Two kinds, each for one patient or a whole series, each format written and parsed in
``nof1.files``:

- the analyst's blinded allocation, ``*-allocation-blinded.csv`` (one row per phase, group
  ``A``/``B`` on treatment periods, never the treatment;
  :mod:`nof1.files.allocation_csv`);
- the pharmacist's unblinding key, ``*-unblinding-key.json`` (the treatment of every
  period; :mod:`nof1.files.unblinding_key`).

An :class:`AllocationFile` is what either says about one patient. Matching it to a
protocol's timeline, and checking a diary against it, are here, so that reading a
diary and aligning it apply the same rules.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from nof1.design.timeline import build_timeline, segments
from nof1.errors import DiaryError
from nof1.files.allocation_csv import read_blinded_csv
from nof1.files.unblinding_key import read_key_json
from nof1.ids import patient_id_problem
from nof1.inputs import read_input
from nof1.protocol.model import Protocol

__all__ = [
    "AllocationFile",
    "day_numbers",
    "read_allocation",
    "read_allocations",
    "schedule_problems",
    "scheme_allows",
]


@dataclass(frozen=True)
class AllocationFile:
    """One patient's allocation, as read from a blinded allocation or an unblinding key.

    Attributes
    ----------
    source : str
        The file it was read from.
    patient_id, protocol_id, protocol_sha256 : str
    start_date : datetime.date
        Date of day 1.
    blinded : bool
        True for the analyst's blinded allocation (groups only).
    labels : tuple of str
        Per treatment period, in order: ``"A"``/``"B"`` when blinded, else
        ``"active"``/``"placebo"``.
    spans : tuple of (int, int)
        First and last day of each treatment period.
    kit_codes : tuple of str
        Kit code of each treatment period.
    groups : dict or None
        Unblinding keys only: ``{"A": "active" or "placebo", "B": the other}``.
    """

    source: str
    patient_id: str
    protocol_id: str
    protocol_sha256: str
    start_date: dt.date
    blinded: bool
    labels: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    kit_codes: tuple[str, ...]
    groups: dict | None = None

    @property
    def treated(self) -> np.ndarray:
        """Bool per treatment period: active (unblinded) or group B (blinded)."""
        return np.array([label in ("active", "B") for label in self.labels], dtype=bool)

    def timeline_allocation(self, protocol: Protocol) -> np.ndarray:
        """The allocation (True = active) whose timeline has this file's periods.

        For a blinded file both readings are tried, B active first: when active and
        placebo periods last equally long both fit and B active is taken.

        Raises
        ------
        DiaryError
            The file is for another protocol, or its periods are not the protocol's.
        """
        if self.protocol_id != protocol.id:
            raise DiaryError(
                self.source,
                [f"is for protocol '{self.protocol_id}', not '{protocol.id}'"],
            )
        if self.blinded:
            candidates = [self.treated, ~self.treated]
        else:
            candidates = [self.treated]
        for allocation in candidates:
            if len(allocation) == protocol.n_periods and scheme_allows(protocol, allocation):
                spans = [
                    (s.first_day, s.last_day)
                    for s in segments(protocol, allocation)
                    if s.phase == "treatment"
                ]
                if tuple(spans) == self.spans:
                    return allocation
        shown = ", ".join(f"{a}-{b}" for a, b in self.spans)
        raise DiaryError(
            self.source,
            [
                f"its treatment periods (days {shown}) are not a timeline of protocol "
                f"'{protocol.id}' ({protocol.n_periods} periods of {protocol.schedule.active_days}"
                f" active and {protocol.schedule.placebo_days} placebo days after "
                f"{protocol.schedule.baseline_days} baseline days)"
            ],
        )

    def timeline(self, protocol: Protocol):
        """``build_timeline`` for this allocation, dated, with treatment days relabelled.

        The ``condition`` of a treatment day is the period's label: the group letter in a
        blinded file, so nothing downstream can see the treatment.

        Examples
        --------
        >>> from nof1.protocol import load_protocol
        >>> a = AllocationFile("x.csv", "P01", "ldn-fibromyalgia-2013", "", dt.date(2026, 1, 5),
        ...                    True, ("B", "A"), ((15, 98), (99, 126)), ("K1", "K2"))
        >>> t = a.timeline(load_protocol("ldn-fibromyalgia-2013"))
        >>> t.condition.iloc[[0, 14, 98, 126]].tolist()
        ['baseline', 'B', 'A', 'follow_up']
        """
        return _plan(self, protocol).table.copy()


class _Plan(NamedTuple):
    """An allocation's relabelled timeline, and the columns the checks read, as arrays."""

    table: object  # pandas.DataFrame; never handed out (callers get copies)
    phase: np.ndarray
    condition: np.ndarray
    period: np.ndarray  # 0 outside treatment periods


# In a series most patients share a handful of allocations and one start date.
_PLANS: dict = {}


def _plan(allocation: AllocationFile, protocol: Protocol) -> _Plan:
    """:meth:`AllocationFile.timeline`, built once per protocol and schedule."""
    a = allocation
    key = (id(protocol), a.protocol_id, a.blinded, a.labels, a.spans, a.start_date)
    hit = _PLANS.get(key)
    # The cache holds the protocol itself, so its id cannot be reused by another one.
    if hit is None or hit[0] is not protocol:
        table = build_timeline(protocol, a.timeline_allocation(protocol), a.start_date)
        labels = np.array(["", *a.labels], dtype=object)
        period = table["period"].fillna(0).to_numpy(dtype=int)
        table["condition"] = np.where(period > 0, labels[period], table["condition"])
        plan = _Plan(
            table,
            table["phase"].to_numpy(dtype=object),
            table["condition"].to_numpy(dtype=object),
            period,
        )
        if len(_PLANS) >= 256:
            _PLANS.clear()
        hit = _PLANS[key] = (protocol, plan)
    return hit[1]


def read_allocations(path: str | Path) -> dict[str, AllocationFile]:
    """Every patient in an allocation file, by patient id (in file order).

    Parameters
    ----------
    path : str or Path
        A blinded allocation CSV or an unblinding key JSON, for one patient or a series.

    Raises
    ------
    DiaryError
        Naming the file and each row or field at fault.
    """
    path = Path(path)
    looks_json = read_input(path, DiaryError)[:256].lstrip().startswith(b"{")
    read = read_key_json if looks_json or path.suffix.lower() == ".json" else read_blinded_csv
    return {pid: AllocationFile(**fields) for pid, fields in read(path).items()}


def read_allocation(path: str | Path, patient_id: str | None = None) -> AllocationFile:
    """One patient's allocation from a file ``nof1 schedule`` wrote.

    Parameters
    ----------
    path : str or Path
        ``*-allocation-blinded.csv`` (blinded) or ``*-unblinding-key.json`` (unblinded),
        for one patient or a series.
    patient_id : str, optional
        Which patient; needed when the file holds several.

    Returns
    -------
    AllocationFile

    Raises
    ------
    DiaryError
        A bad file, a missing patient, or several patients and no ``patient_id``.

    Examples
    --------
    >>> import tempfile
    >>> from nof1.design.blinding import draw_schedules, schedule_files
    >>> from nof1.protocol import read_protocol
    >>> pf = read_protocol("ldn-nof1-multicycle")
    >>> start = dt.date(2026, 1, 5)
    >>> files = schedule_files(pf, draw_schedules(pf, ["P01"], start, 7), start, 7)
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.csv").write_text(files["P01-allocation-blinded.csv"])
    >>> a = read_allocation(folder / "a.csv")
    >>> a.patient_id, a.blinded, a.labels, a.spans[0]
    ('P01', True, ('B', 'A', 'B', 'A', 'B', 'A'), (15, 42))
    """
    if patient_id is not None and (problem := patient_id_problem(patient_id)):
        raise DiaryError(str(path), [f"patient_id asked for (--patient): {problem}"])
    patients = read_allocations(path)
    if patient_id is not None:
        if patient_id not in patients:
            raise DiaryError(
                str(path),
                [f"has no patient '{patient_id}' (patients: {', '.join(patients)})"],
            )
        return patients[patient_id]
    if len(patients) > 1:
        shown = ", ".join(list(patients)[:5]) + (", ..." if len(patients) > 5 else "")
        raise DiaryError(
            str(path),
            [f"holds {len(patients)} patients ({shown}); pick one with patient_id (--patient)"],
        )
    return next(iter(patients.values()))


def schedule_problems(
    table, allocation: AllocationFile, protocol: Protocol, timeline=None, *, day=None
) -> list[str]:
    """Diary rows that fall outside the schedule or contradict the allocation.

    Parameters
    ----------
    table : pandas.DataFrame
        A diary table (see :class:`nof1.data.Diary`): ``date`` and ``row`` (spreadsheet
        row), optional ``condition`` and ``period``.
    allocation : AllocationFile
    protocol : Protocol
    timeline : pandas.DataFrame, optional
        ``allocation.timeline(protocol)``, when the caller has it already.
    day : numpy.ndarray of int, optional
        The day numbers of the table's dates (``day_numbers``), when the caller has them.

    Returns
    -------
    list of str
        One message per problem, in row order. A blinded file cannot contradict
        ``active`` or ``placebo``, only a treatment day given as another phase.
    """
    if timeline is None:
        timeline = (plan := _plan(allocation, protocol)).table
        phase, planned, planned_period = plan.phase, plan.condition, plan.period
    else:
        phase = timeline["phase"].to_numpy(dtype=object)
        planned = timeline["condition"].to_numpy(dtype=object)
        planned_period = timeline["period"].fillna(0).to_numpy(dtype=int)
    n = len(phase)
    if day is None:
        day = day_numbers(table["date"], allocation.start_date)
    outside = (day < 1) | (day > n)
    at = np.clip(day, 1, n) - 1
    phase, planned, planned_period = phase[at], planned[at], planned_period[at]
    treatment_day = phase == "treatment"
    has_condition, has_period = "condition" in table, "period" in table
    bad = outside.copy()
    if has_condition:
        given = table["condition"].to_numpy(dtype=object)
        vague = np.isin(given, ["active", "placebo"]) & allocation.blinded
        agrees = np.where(vague, treatment_day, given == planned)
        bad_condition = (given != "") & ~agrees & ~outside
        bad |= bad_condition
    if has_period:
        given_period = table["period"].fillna(0).to_numpy(dtype=int)
        wrong = ~treatment_day | (given_period != planned_period)
        bad_period = (given_period > 0) & wrong & ~outside
        bad |= bad_period
    if allocation.blinded and has_condition:
        inside = treatment_day & ~outside
        blinded = _blinded_contradictions(table, inside, planned, planned_period)
    else:
        blinded = []
    if not bad.any():
        return blinded
    if not has_condition:
        bad_condition = np.zeros(len(day), dtype=bool)
    if not has_period:
        bad_period = np.zeros(len(day), dtype=bool)
    name = Path(allocation.source).name
    first, last = (timeline["date"].iloc[k].isoformat() for k in (0, -1))
    rows, dates = table["row"].to_numpy(), table["date"].to_numpy(dtype=object)
    problems = []
    for i in np.flatnonzero(bad):
        where = f"on row {rows[i]} ({dates[i].isoformat()})"
        if outside[i]:
            problems.append(
                f"date {dates[i].isoformat()} on row {rows[i]} is outside the schedule in "
                f"{name} ({first} to {last})"
            )
            continue
        if treatment_day[i]:
            has = f"treatment period {planned_period[i]} ({planned[i]})"
        else:
            has = planned[i]
        planned_text = f"the allocation in {name}, which has day {day[i]} in {has}"
        if bad_condition[i]:
            given = table["condition"].iloc[i]
            problems.append(f"condition '{given}' {where} contradicts {planned_text}")
        if bad_period[i]:
            problems.append(f"period {given_period[i]} {where} contradicts {planned_text}")
    return problems + blinded


def _blinded_contradictions(table, inside, group, period) -> list[str]:
    """A blinded allocation cannot say which group is active, but a condition column that
    calls one group's days both active and placebo contradicts itself."""
    given = table["condition"].to_numpy(dtype=object)
    rows = table["row"].to_numpy()
    out = []
    for label in dict.fromkeys(group[inside]):
        days = inside & (group == label)
        active = np.flatnonzero(days & (given == "active"))
        placebo = np.flatnonzero(days & (given == "placebo"))
        if len(active) and len(placebo):
            a, b = active[0], placebo[0]
            out.append(
                f"condition says active on row {rows[a]} (period {period[a]}) but placebo on "
                f"row {rows[b]} (period {period[b]}), both days of group {label}: one group "
                "has one treatment (is the condition column wrong, or the allocation?)"
            )
    return out


#: ``date.toordinal()`` called from C (``map`` over a diary's dates takes no Python step).
_ORDINAL = operator.methodcaller("toordinal")


def day_numbers(dates, start: dt.date) -> np.ndarray:
    """Day numbers (1 on ``start``) of a sequence of dates.

    Examples
    --------
    >>> day_numbers([dt.date(2026, 1, 5), dt.date(2026, 2, 1)], dt.date(2026, 1, 5)).tolist()
    [1, 28]
    """
    ordinals = np.fromiter(map(_ORDINAL, dates), dtype=int, count=len(dates))
    return ordinals - start.toordinal() + 1


def scheme_allows(protocol: Protocol, allocation: np.ndarray) -> bool:
    """Whether the protocol's randomization scheme can produce ``allocation``.

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> p = load_protocol("ldn-nof1-multicycle")  # pairwise: one of each per cycle
    >>> scheme_allows(p, np.array([1, 0, 0, 1, 1, 0], bool))
    True
    >>> scheme_allows(p, np.array([1, 1, 0, 0, 1, 0], bool))
    False
    """
    scheme = protocol.randomization.scheme
    if scheme == "fixed":
        return [bool(a) for a in allocation] == [
            t == "active" for t in protocol.randomization.sequence
        ]
    if int(allocation.sum()) != protocol.schedule.cycles:
        return False
    if scheme in ("pairwise", "counterbalanced"):
        return bool((allocation[0::2] != allocation[1::2]).all())
    return True  # balanced
