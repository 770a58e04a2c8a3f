"""From a file (or a DataFrame) to the table of nof1's columns that diaries are read from.

Every diary reader goes through :func:`read_table`: nof1's own template as it is; a file
with a mapping (:class:`ReadOptions` ``mapping``, ``--map``) through its map; otherwise a
REDCap export, a European spreadsheet or day-first / month-first dates are recognised
(``nof1.data._recognise``) and what was recognised is said in the table's ``note``.
A StudyU export is refused with the command that imports it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from nof1.data._cells import normalize_name
from nof1.data._tabular import RawTable, read_raw
from nof1.data.dates import DAY_FIRST, MONTH_FIRST, DateRule
from nof1.errors import DiaryError

__all__ = ["DATE_ORDERS", "ReadOptions", "raw_from_frame", "read_table"]

#: What ``--date-format`` takes besides a strptime pattern.
DATE_ORDERS = (DAY_FIRST, MONTH_FIRST)


@dataclass(frozen=True)
class ReadOptions:
    """How to read a diary that is not in nof1's own template.

    Attributes
    ----------
    mapping : DiaryMap or path, optional
        A mapping file (``nof1.data.mapping``); read against the protocol when a path.
    date_format : str, optional
        ``day-first``, ``month-first`` or a ``strptime`` pattern, for dates whose order
        the data does not settle.
    """

    mapping: object = None
    date_format: str | None = None


def read_table(source, protocol, expected: str, options: ReadOptions | None = None) -> RawTable:
    """The table of a diary file or DataFrame, in nof1's columns (see the module notes).

    Raises
    ------
    DiaryError
    """
    options = options or ReadOptions()
    mapping = options.mapping
    if mapping is not None and not hasattr(mapping, "outcomes"):
        from nof1.data.mapping import read_map

        mapping = read_map(mapping, protocol)
    if isinstance(source, RawTable):  # read already (a part of a large table)
        raw = source
    elif _is_frame(source):
        raw = raw_from_frame(source)
    else:
        _refuse_studyu(source)
        wants = {"date"} | ({normalize_name(mapping.date_column.column)} if mapping else set())
        raw = read_raw(source, expected, duplicates="keep", sheet_wants=frozenset(wants))
    if mapping is not None:
        from nof1.data._mapped import apply_map

        return apply_map(raw, mapping, options.date_format)
    from nof1.data._recognise import recognise

    return recognise(raw, protocol, DateRule(format=options.date_format))


def raw_from_frame(frame, source: str = "<DataFrame>") -> RawTable:
    """A pandas DataFrame as a :class:`RawTable` (row 2 is its first row, as in a file).

    Examples
    --------
    >>> import pandas as pd
    >>> raw = raw_from_frame(pd.DataFrame({"Date": ["2026-01-05"], "pain": [50.0]}))
    >>> raw.columns, raw.rows
    (['date', 'pain'], [(2, ['2026-01-05', 50.0])])
    """
    names = [str(c).strip() for c in frame.columns]
    digest = hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()
    rows = []
    for number, record in enumerate(frame.itertuples(index=False, name=None), 2):
        cells = [_cell(c) for c in record]
        if any(c is not None and c != "" for c in cells):
            rows.append((number, cells))
    columns = [normalize_name(n) for n in names]
    first: dict[str, int] = {}
    twice = []  # as a file's: refused by the reader, with the file's message
    for i, column in enumerate(columns):
        if column in first:
            twice.append((names[i], first[column], i))
        first.setdefault(column, i)
    return RawTable(
        source=source,
        sha256=digest,
        names=names,
        columns=columns,
        rows=rows,
        duplicates=tuple(twice),
    )


def _cell(value):
    if value is None or type(value).__name__ in ("NAType", "NaTType"):  # pd.NA, pd.NaT
        return None
    if isinstance(value, str):
        return value.strip()
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp
        try:
            return value.to_pydatetime()
        except ValueError:
            return None  # NaT
    if isinstance(value, dt.date | bool):
        return value
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _is_frame(source) -> bool:
    return hasattr(source, "itertuples") and hasattr(source, "columns")


def _refuse_studyu(path) -> None:
    """A StudyU export (its ZIP or folder) is imported first: say how."""
    p = Path(path)
    studyu = (p / "study_definition.json").is_file() if p.is_dir() else False
    if not studyu and p.suffix.lower() == ".zip" and p.is_file():
        import zipfile

        try:
            with zipfile.ZipFile(p) as book:
                studyu = any(n.endswith("study_definition.json") for n in book.namelist())
        except (zipfile.BadZipFile, OSError):
            studyu = False
    if studyu:
        raise DiaryError(
            str(path),
            [
                "is a StudyU export: import it first with `nof1 import studyu "
                f"{p.name} --out DIR`, then analyse DIR/diaries with DIR/protocol.yaml and "
                "DIR/allocations"
            ],
        )
