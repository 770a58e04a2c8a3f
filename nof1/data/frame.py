"""Diaries from a pandas DataFrame: the same columns, checks and messages as a diary file.

A DataFrame holds what a diary CSV holds (see :mod:`nof1.data.diary`): ``date`` and one
column per outcome (wide), or ``date``, ``outcome``, ``value`` (long); optionally
``patient_id``, ``day``, ``note``, ``condition`` and ``period``. The diary template
``nof1 schedule`` writes, read with :func:`pandas.read_csv`, is such a frame. Cells may be
what pandas holds: numbers, texts, :class:`datetime.date`, :class:`pandas.Timestamp` (a
``datetime64`` column), ``None``, ``NaN``, ``NaT`` or ``pd.NA`` (missing values).

A named index (``frame.set_index("date")``) is read as a column. Rows are numbered as
a spreadsheet of ``frame.to_csv(index=False)`` shows them, so messages read as for a
file: row 1 is the header and row 2 is ``frame.iloc[0]``. The frame's ``sha256`` (recorded
in results.json) is that of ``frame.to_csv(index=False, lineterminator="\\n")`` as UTF-8:
the frame saved that way is a file with the same hash.

Examples
--------
>>> import pandas as pd
>>> from nof1.protocol import load_protocol
>>> frame = pd.DataFrame({"date": ["2026-01-05", "2026-01-06", "2026-01-08"],
...                       "pain": [60, None, 55],
...                       "condition": ["baseline", "baseline", "active"]})
>>> d = read_diary_frame(frame, load_protocol("ldn-nof1-multicycle"))
>>> d.source, d.rows, d.table["pain"].tolist(), d.table["row"].tolist()
('DataFrame', 3, [60.0, nan, 55.0], [2, 3, 4])
>>> read_diary_frame(frame.rename(columns={"date": "when"}), load_protocol("ldn-nof1-multicycle"))
Traceback (most recent call last):
...
nof1.errors.DiaryError: DataFrame: 2 problem(s)
  - no date column (expected a header row: date, then one column per outcome (pain, ...
  - unknown column(s) 'when' (allowed: date, patient_id, day, note, condition, period and ...
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd

from nof1.data._tabular import RawTable, column_letter, is_missing, normalize_name
from nof1.data.align import Aligned, align
from nof1.data.allocation_file import AllocationFile, read_allocation, read_allocations
from nof1.data.diary import Diary, PatientTable, diary_from_raw, patients_from_raw
from nof1.errors import DiaryError
from nof1.protocol.model import Protocol

__all__ = [
    "SOURCE",
    "frame_table",
    "load_aligned_frame",
    "read_diary_frame",
    "read_patients_frame",
]

#: How messages name a diary given as a DataFrame.
SOURCE = "DataFrame"


def frame_table(frame: pd.DataFrame, source: str = SOURCE) -> RawTable:
    """A DataFrame's cells as the :class:`~nof1.data._tabular.RawTable` a file gives.

    Raises
    ------
    TypeError
        ``frame`` is not a DataFrame.
    DiaryError
        Columns a diary file could not have: two with the same name (ignoring case and
        spaces), values without a column name, several header rows (a column MultiIndex).
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if isinstance(frame.columns, pd.MultiIndex):
        raise DiaryError(
            source, ["has several header rows (a column MultiIndex): give one name per column"]
        )
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()  # a date (or patient_id) index is a column of the file
    names = ["" if _missing(n) else str(n).strip() for n in frame.columns]
    cells = [_column_cells(frame.iloc[:, i]) for i in range(frame.shape[1])]
    rows = [
        (number, list(record))
        for number, record in enumerate(zip(*cells, strict=True), 2)
        if any(c is not None and not is_missing(c) for c in record)  # a blank row is no row
    ]
    columns = [normalize_name(n) for n in names]
    keep = [i for i, c in enumerate(columns) if c or any(not is_missing(r[i]) for _, r in rows)]
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i in keep:
        if not columns[i]:
            problems.append(f"column {column_letter(i)} has values but no name")
        elif columns[i] in seen:
            first = seen[columns[i]]
            problems.append(
                f"column '{names[i]}' appears twice (columns {column_letter(first)} "
                f"'{names[first]}' and {column_letter(i)})"
            )
        seen.setdefault(columns[i], i)
    if problems:
        raise DiaryError(source, problems)
    text = frame.to_csv(index=False, lineterminator="\n")
    return RawTable(
        source=source,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        names=[names[i] for i in keep],
        columns=[columns[i] for i in keep],
        rows=[(n, [r[i] for i in keep]) for n, r in rows],
    )


def read_diary_frame(
    frame: pd.DataFrame,
    protocol: Protocol,
    allocation: AllocationFile | str | Path | None = None,
    patient_id: str | None = None,
    source: str = SOURCE,
) -> Diary:
    """Read and validate one patient's diary from a DataFrame, as ``read_diary`` a file.

    Parameters
    ----------
    frame : pandas.DataFrame
        The diary's columns (see the module notes).
    protocol : Protocol
    allocation : AllocationFile or path, optional
        Dates must fall inside its schedule and a condition column must agree with it.
    patient_id : str, optional
        Which patient, when the frame holds several.
    source : str
        How messages name the frame.

    Returns
    -------
    Diary
        With ``source`` as given and the frame's ``sha256`` (see the module notes).

    Raises
    ------
    DiaryError
        Every problem found, with rows numbered as in the module notes.
    """
    if allocation is not None and not isinstance(allocation, AllocationFile):
        allocation = read_allocation(allocation, patient_id)
    return diary_from_raw(frame_table(frame, source), protocol, allocation, patient_id)


def read_patients_frame(
    frame: pd.DataFrame,
    protocol: Protocol,
    allocations: dict[str, AllocationFile] | None = None,
    source: str = SOURCE,
) -> PatientTable:
    """A frame of many patients (a ``patient_id`` column), each validated on their own.

    As :func:`nof1.data.read_patients` reads a file: the patients without problems, and
    each other patient's problems.
    """
    return patients_from_raw(frame_table(frame, source), protocol, allocations)


def load_aligned_frame(
    frame: pd.DataFrame,
    protocol: Protocol,
    allocation: str | Path | None = None,
    patient_id: str | None = None,
    source: str = SOURCE,
) -> Aligned:
    """Read, validate and align a diary DataFrame: ``nof1.data.load_aligned`` for a frame.

    ``allocation`` is a file (one patient's or a series'; narrowed to the diary's patient).
    """
    alloc = None
    if allocation is not None and (
        patient_id is not None or len(read_allocations(allocation)) == 1
    ):
        alloc = read_allocation(allocation, patient_id)
    diary = read_diary_frame(
        frame, protocol, allocation=alloc, patient_id=patient_id, source=source
    )
    if allocation is not None and alloc is None:
        alloc = read_allocation(allocation, diary.patient_id)  # a series': the diary's patient
    return align(diary, protocol, alloc)


def _missing(value) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    )


def _column_cells(column: pd.Series) -> list:
    """A column's values as cells: plain Python values, None where missing."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiub":
        return column.tolist()  # Python numbers; a NaN float is a missing cell
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "M":
        return [None if v is pd.NaT else v.to_pydatetime() for v in column.tolist()]
    return [_cell(v) for v in column.tolist()]


def _cell(value):
    """A pandas value as a cell of a file: None when missing, else plain Python values."""
    if value.__class__ is str:
        return value.strip()
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
        return None if isinstance(value, float) and math.isnan(value) else value
    if isinstance(value, int | float | dt.date):
        return value
    return str(value)
