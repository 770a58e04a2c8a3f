"""Per-patient records of a pooled series kept as columns.

A series' pooled results hold several per-patient lists (each outcome's percent changes
and shrunken estimates, each side effect's rates): as records, each patient costs a
record, maybe a dict, and its Python floats, about 250 bytes a list (2.5 MB per 10 000
patients). These keep the ids and float arrays, and make each record when read, with the
same values: a sequence of records to every reader (``plain``, ``to_dict``, the tests).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["ArmColumns", "ShrunkenEstimates", "per_arm"]


class ArmColumns(Sequence):
    """``record(patient_id, {arm: value or None, ...})`` for each patient, kept as columns
    (NaN for None)."""

    __slots__ = ("_record", "_ids", "_arms", "_values")

    def __init__(self, record: type, ids: Sequence[str], arms: tuple, values: np.ndarray):
        self._record, self._ids, self._arms, self._values = record, tuple(ids), arms, values

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self))))
        row = self._values[i]
        values = {
            a: None if np.isnan(v) else float(v) for a, v in zip(self._arms, row, strict=True)
        }
        return self._record(self._ids[i], values)

    def column(self, arm) -> np.ndarray:
        """Every patient's value for ``arm`` (NaN: None), a read-only view."""
        out = self._values[:, self._arms.index(arm)]
        out.flags.writeable = False
        return out

    def __repr__(self) -> str:
        return f"ArmColumns({self._record.__name__}, {len(self)} patients)"


class ShrunkenEstimates(Sequence):
    """Every patient's :class:`~nof1.series.meta.Shrunken` estimate, kept as columns (a
    sequence of ``record(patient_id, estimate, se, ci_low, ci_high)``, z intervals).

    A series pools several meta-analyses (each outcome, REML and DL): as records, five
    Python objects per patient in each, about 2.6 MB per 1 000 patients in all; as
    arrays, a tenth of that. Each record is made when read, with the same floats."""

    __slots__ = ("_record", "_ids", "_estimate", "_se", "_z")

    def __init__(self, record: type, ids, estimate: np.ndarray, se: np.ndarray, z: float):
        self._record, self._ids = record, tuple(ids)
        self._estimate, self._se, self._z = estimate, se, z

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self))))
        b, s, z = self._estimate[i], self._se[i], self._z
        return self._record(self._ids[i], float(b), float(s), float(b - z * s), float(b + z * s))

    def __repr__(self) -> str:
        return f"ShrunkenEstimates({len(self)} patients)"


def per_arm(record: type, ids: Sequence[str], arms: tuple, rows: Sequence[dict]):
    """Each patient's ``record(patient_id, {arm: row.get(arm)})``: an :class:`ArmColumns`
    when every value is a float or None (as they are), else a tuple of the records (a
    value a float array would change, e.g. an int, is kept as it is)."""
    rows = list(rows)
    values = [row.get(a) for row in rows for a in arms]
    if not all(v is None or type(v) is float for v in values):
        return tuple(
            record(pid, {a: r.get(a) for a in arms}) for pid, r in zip(ids, rows, strict=True)
        )
    out = np.array([np.nan if v is None else v for v in values], dtype=float)
    return ArmColumns(record, ids, tuple(arms), out.reshape(len(rows), len(arms)))
