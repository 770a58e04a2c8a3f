"""One patient's aligned table as plain numpy arrays, read once per patient.

The analyses select rows many times per outcome (compared days, baseline days, one
condition's periods...); masks over these arrays do it in microseconds, where pandas
indexing and ``groupby`` took most of a patient's analysis time. Nothing is re-derived
here: every column is the aligned table's (see :class:`nof1.data.Aligned`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["PatientDays", "patient_days"]


@dataclass(frozen=True, eq=False)
class PatientDays:
    """The aligned table's columns, one entry per planned day, in table order.

    Attributes
    ----------
    day : ndarray of int
        Day number (1 on the start date).
    date : ndarray of object
        ``datetime.date`` (or None when the table has no dates).
    phase, condition : ndarray of object
        As in the aligned table (str).
    period : ndarray of int
        Treatment period number; 0 outside treatment periods (NA in the table).
    included : ndarray of bool
        Counts in treated-vs-control comparisons.
    values : dict of str to ndarray of float
        Per outcome, in protocol order; NaN = missing.
    cycle : ndarray of int or None
        Cycle number; 0 outside treatment periods (NA in the table).
    """

    day: np.ndarray
    date: np.ndarray
    phase: np.ndarray
    condition: np.ndarray
    period: np.ndarray
    included: np.ndarray
    values: dict
    cycle: np.ndarray | None = None
    _periods: dict = field(default_factory=dict, init=False, repr=False)
    _masks: dict = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_table(cls, table, outcomes: list[str]) -> PatientDays:
        """Read the columns of an aligned table (``Aligned.table``)."""
        return cls(
            day=table["day"].to_numpy(dtype=int),
            date=table["date"].to_numpy(dtype=object),
            phase=table["phase"].to_numpy(dtype=object),
            condition=table["condition"].to_numpy(dtype=object),
            period=table["period"].to_numpy(dtype=int, na_value=0),
            included=table["included"].to_numpy(dtype=bool),
            values={name: table[name].to_numpy(dtype=float) for name in outcomes},
            cycle=table["cycle"].to_numpy(dtype=int, na_value=0),
        )

    @property
    def observed(self) -> np.ndarray:
        """Days on which at least one outcome was recorded (found once)."""
        seen = self._masks.get(None)
        if seen is None:
            seen = np.zeros(self.day.size, dtype=bool)
            for values in self.values.values():
                seen |= ~np.isnan(values)
            self._masks[None] = seen
        return seen

    def is_condition(self, condition: str) -> np.ndarray:
        """``condition == condition`` (found once per condition: the analyses ask often)."""
        mask = self._masks.get(condition)
        if mask is None:
            mask = self._masks[condition] = self.condition == condition
        return mask

    def compared(self, outcome: str, treated: str, control: str) -> np.ndarray:
        """Rows of the treated-vs-control comparison: included days of either condition
        with the outcome observed."""
        rows = self.included & (self.is_condition(treated) | self.is_condition(control))
        return rows & ~np.isnan(self.values[outcome])

    def vs_baseline(self, outcome: str, condition: str) -> np.ndarray:
        """Rows of a condition-vs-baseline comparison: baseline days and the condition's
        included days, with the outcome observed."""
        rows = self.is_condition("baseline") | (self.included & self.is_condition(condition))
        return rows & ~np.isnan(self.values[outcome])

    def series(self, rows: np.ndarray, outcome: str, condition: str):
        """``(y, day, is_condition)`` on ``rows``: what the AR(1) fits take."""
        return self.values[outcome][rows], self.day[rows], self.condition[rows] == condition

    def period_values(self, outcome: str, condition: str, included_only: bool) -> list:
        """The outcome's observed values per period of ``condition``, in period order.

        Returns
        -------
        list of numpy.ndarray
            One array per period (days in day order, NaN dropped).
        """
        key = (condition, included_only)
        found = self._periods.get(key)
        if found is None:  # the same rows for every outcome: found once
            rows = self.is_condition(condition) & (self.period > 0)
            if included_only:
                rows &= self.included
            at = np.flatnonzero(rows)
            at = at[np.lexsort((self.day[at], self.period[at]))]
            starts = (np.flatnonzero(np.diff(self.period[at])) + 1).tolist()
            bounds = list(zip([0, *starts], [*starts, at.size], strict=True)) if at.size else []
            found = self._periods[key] = (at, bounds)
        at, bounds = found
        values = self.values[outcome][at]  # every period's days at once
        finite = np.isfinite(values)
        return [values[a:b][finite[a:b]] for a, b in bounds]


def patient_days(aligned, outcomes: list[str]) -> PatientDays:
    """``PatientDays.from_table(aligned.table, outcomes)``, read once per
    :class:`~nof1.data.Aligned` (kept in its ``cache``: the analysis and ``nof1 series``'
    pooling statistics read the same days); an object without a cache is read each time.

    When ``align`` left its arrays in the cache (``nof1.data.align.aligned_columns``),
    they are the days: the table is not read at all."""
    cache = getattr(aligned, "cache", None)
    if not isinstance(cache, dict):
        return PatientDays.from_table(aligned.table, outcomes)
    key = ("days", tuple(outcomes), id(aligned.table))
    if key not in cache:
        made = cache.get(("columns", id(aligned.table)))
        if made is not None and all(name in made["values"] for name in outcomes):
            cache[key] = PatientDays(
                day=made["day"],
                date=made["date"],
                phase=made["phase"],
                condition=made["condition"],
                period=made["period"],
                included=made["included"],
                values={name: made["values"][name] for name in outcomes},
                cycle=made["cycle"],
            )
        else:
            cache[key] = PatientDays.from_table(aligned.table, outcomes)
    return cache[key]
