"""``aligned.csv``'s text (:meth:`nof1.data.Aligned.to_csv`), written fast: a series
writes one per patient, so nothing here takes a Python step per value where a column can
be done at once. Read back by :func:`aligned_table` (``nof1 series --patient-reports``
draws each patient's report from the aligned.csv just written): the csv module and a
column at a time, not ``pandas.read_csv`` and a pandas step per column, which took 4.5 ms
of a patient's table (now about 0.6 ms).
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import pandas as pd

from nof1.data._frame import frame_from_columns

__all__ = ["aligned_csv_text", "aligned_table"]

#: The aligned table's leading columns; one column per outcome (and answer item) follows.
ALIGNED_COLUMNS = ("date", "day", "phase", "cycle", "period", "condition", "included", "observed")
_TEXT = pd.Series([], dtype=str).dtype  # how pandas keeps a column of texts (``str``)


def aligned_csv_text(table: pd.DataFrame) -> str:
    """``aligned.csv`` text, byte for byte what pandas' ``to_csv`` gives for the table with
    ISO dates and true/false flags (and what the C csv writer gives for its columns as
    text), column by column without a Python step per value: whole numbers from a table
    of their texts, other floats by ``repr`` (the shortest text that reads back), missing
    values empty, the rows joined by ``str.join``. A column of another kind goes to pandas,
    a text that needs quoting to the csv writer.

    Examples
    --------
    >>> import datetime as dt
    >>> t = pd.DataFrame({"date": [dt.date(2026, 1, 5), dt.date(2026, 1, 6)],
    ...                   "included": [True, False], "pain": [61.0, float("nan")],
    ...                   "sleep": [7.5, 6.0], "guess": [None, "drug"]})
    >>> print(aligned_csv_text(t), end="")
    date,included,pain,sleep,guess
    2026-01-05,true,61.0,7.5,
    2026-01-06,false,,6.0,drug
    """
    names = [str(c) for c in table.columns]
    arrays = list(_column_arrays(table))
    columns: list = [None] * len(names)
    floats = [
        i
        for i, (name, a) in enumerate(zip(names, arrays, strict=True))
        if name not in _FLAGS and isinstance(a, np.ndarray) and a.dtype.kind == "f"
    ]
    if floats:  # all at once: most columns of a patient's table are scores
        block = _float_texts(np.column_stack([arrays[i] for i in floats]))
        for i, texts in zip(floats, block, strict=True):
            columns[i] = texts
    quoted = [names]  # the texts that may need quotes
    for i, (name, values) in enumerate(zip(names, arrays, strict=True)):
        if columns[i] is None:
            texts = _column_texts(name, values)
            if texts is None:
                return _pandas_csv(table)
            columns[i] = texts
            if values.dtype.kind not in "biuf":
                quoted.append(texts)
    if len(columns) < 2 or any(map(_needs_quotes, quoted)):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(zip(*columns, strict=True))
        return buffer.getvalue()
    rows = "\n".join(map(",".join, zip(*columns, strict=True)))
    return ",".join(names) + "\n" + (rows + "\n" if len(table) else "")


def _column_arrays(table: pd.DataFrame):
    """Each column's values as stored (a numpy or pandas array), without making a Series
    of each (pandas' ``items()`` takes a third of the writer's time on a patient's table)."""
    arrays = getattr(table, "_iter_column_arrays", None)  # pandas' own, read-only view
    if arrays is None:
        return [col.array for _, col in table.items()]
    return arrays()


class _IsoDates(dict):
    """date -> ``date.isoformat()``, made on first use: a series' patients share a calendar."""

    def __missing__(self, day):
        text = day.isoformat()
        if len(self) < 100_000:
            self[day] = text
        return text


_ISO = _IsoDates()
#: ``repr`` of the whole numbers -1000 to 1000 as floats (``"61.0"``), then "" (missing).
_WHOLE_RANGE = 1000
_WHOLE_TEXTS = np.array([repr(float(i)) for i in range(-_WHOLE_RANGE, _WHOLE_RANGE + 1)]
                        + [""], dtype=object)  # fmt: skip
#: ``str`` of the integers -1000 to 1000, then "".
_INT_TEXTS = np.array([str(i) for i in range(-_WHOLE_RANGE, _WHOLE_RANGE + 1)] + [""],
                      dtype=object)  # fmt: skip
_MISSING = 2 * _WHOLE_RANGE + 1
_FLAGS = ("included", "observed")
_BOOL_TEXTS = np.array(["false", "true"], dtype=object)
_QUOTED = (",", '"', "\n", "\r")


def _column_texts(name: str, values) -> list[str] | None:
    """A column's fields as the csv writer writes them; None for a column of another kind."""
    dtype = values.dtype
    if name == "date":
        return list(map(_ISO.__getitem__, values.tolist()))
    if name in _FLAGS:
        return _BOOL_TEXTS[np.asarray(values, dtype=bool).view(np.uint8)].tolist()
    if not isinstance(dtype, np.dtype):  # pandas' str, and Int64 (cycles, with missing)
        if isinstance(dtype, pd.StringDtype):
            return values.to_numpy(dtype=object, na_value="").tolist()
        data, mask = getattr(values, "_data", None), getattr(values, "_mask", None)
        if dtype.kind == "i" and isinstance(data, np.ndarray) and isinstance(mask, np.ndarray):
            return _int_texts(data.astype(np.int64, copy=False), mask)  # pandas' masked ints
        if dtype.kind in "iu":
            missing = np.asarray(values.isna())
            return _int_texts(values.to_numpy(dtype=np.int64, na_value=0), missing)
        return None
    if dtype.kind == "f":
        return _float_texts(values[:, None])[0]
    if dtype.kind in "iu":
        return _int_texts(values, np.zeros(len(values), dtype=bool))
    if dtype.kind == "O":
        values = values.tolist()
        if all(v is None or isinstance(v, str) for v in values):
            return ["" if v is None else v for v in values]  # text answers (the guess)
    return None


def _float_texts(values: np.ndarray) -> list[list[str]]:
    """Per column of ``values`` (rows x columns), ``repr`` of each float and "" for NaN:
    looked up when all are whole numbers."""
    missing = np.isnan(values)
    known = np.where(missing, 0.0, values)
    if (
        known.size
        and np.abs(known).max() <= _WHOLE_RANGE
        and (known == np.rint(known)).all()
        and not np.signbit(known[known == 0]).any()  # -0.0 is written "-0.0"
    ):
        index = np.where(missing, _MISSING, known.astype(np.intp) + _WHOLE_RANGE)
        return _WHOLE_TEXTS[index.T].tolist()
    out = []
    for column, gaps in zip(values.T.tolist(), missing.T, strict=True):
        texts = list(map(repr, column))
        for i in np.flatnonzero(gaps).tolist():
            texts[i] = ""
        out.append(texts)
    return out


def _int_texts(values: np.ndarray, missing: np.ndarray) -> list[str]:
    """``str`` of each integer, "" where ``missing``: looked up when all are small."""
    if not len(values) or np.abs(values).max() > _WHOLE_RANGE:
        texts = list(map(str, values.tolist()))
        for i in np.flatnonzero(missing).tolist():
            texts[i] = ""
        return texts
    return _INT_TEXTS[np.where(missing, _MISSING, values + _WHOLE_RANGE)].tolist()


def _needs_quotes(texts: list[str]) -> bool:
    """A field the csv writer would quote (a delimiter, quote or line end in it)."""
    joined = "\x00".join(texts)
    return any(c in joined for c in _QUOTED)


def _pandas_csv(table: pd.DataFrame) -> str:
    out = table.copy()
    out["date"] = [d.isoformat() for d in out["date"]]
    for col in ("included", "observed"):
        out[col] = np.where(out[col], "true", "false")
    return out.to_csv(index=False, lineterminator="\n")


def aligned_table(text: str, guesses: tuple[str, ...], guess: str | None = None) -> pd.DataFrame:
    """The table of an ``aligned.csv`` text, with the dtypes ``Aligned.table`` has (those
    ``pandas.read_csv(dtype=str)`` and pandas' conversions gave): dates, ``day`` int64,
    ``phase`` and ``condition`` texts, ``cycle`` and ``period`` Int64, the flags bool, the
    column ``guess`` (or one holding only ``guesses`` and empty cells) object with None for
    empty, the other columns float64 (empty: NaN).

    Raises
    ------
    ValueError
        Not an aligned table (the message says why), or a cell that does not parse
        (``has a cell that does not parse (...)``).

    Examples
    --------
    >>> t = aligned_table("date,day,phase,cycle,period,condition,included,observed,pain\\n"
    ...                   "2026-01-05,1,baseline,,,baseline,false,true,49.0\\n", ("drug",))
    >>> t.dtypes.astype(str).tolist()[1:5], t["pain"].tolist()
    (['int64', 'str', 'Int64', 'Int64'], [49.0])
    """
    text = text.removeprefix("\ufeff")
    try:  # blank (or only blank-space) lines skipped, as pandas did
        rows = [r for r in csv.reader(io.StringIO(text)) if len(r) > 1 or (r and r[0].strip())]
    except csv.Error as exc:  # a field over the csv module's limit, a NUL byte
        raise ValueError(f"cannot be read as an aligned table ({exc})") from None
    header = rows[0] if rows else []
    if header[: len(ALIGNED_COLUMNS)] != list(ALIGNED_COLUMNS) or len(set(header)) < len(header):
        raise ValueError(
            "is not an aligned table: expected the columns "
            f"{', '.join(ALIGNED_COLUMNS)} then one per outcome"
        )
    for number, row in enumerate(rows[1:], start=2):
        if len(row) > len(header):
            raise ValueError(
                f"cannot be read as an aligned table (line {number} has {len(row)} fields, "
                f"the header {len(header)})"
            )
        row += [""] * (len(header) - len(row))  # trailing empty cells left out (as pandas)
    cells = dict(zip(header, zip(*rows[1:], strict=True), strict=True)) if len(rows) > 1 else {}
    cells = {name: cells.get(name, ()) for name in header}
    try:
        return frame_from_columns({name: _column(name, cells[name], guesses, guess)
                                   for name in header})  # fmt: skip
    except (ValueError, TypeError) as exc:
        raise ValueError(f"has a cell that does not parse ({exc})") from None


def _column(name: str, cells: tuple, guesses: tuple[str, ...], guess: str | None):
    if name == "date":
        return np.array([dt.date.fromisoformat(d) for d in cells] or [], dtype=object)
    if name == "day":
        return np.array([int(v) for v in cells], dtype=np.int64)
    if name in ("phase", "condition"):
        texts = np.array(cells, dtype=object)
        return texts if isinstance(_TEXT, np.dtype) else pd.array(texts, dtype=_TEXT)
    if name in ("cycle", "period"):
        return pd.array(np.array([float(v) if v else np.nan for v in cells]), dtype="Int64")
    if name in _FLAGS:
        flags = [v.lower() for v in cells]
        if not all(v in ("true", "false") for v in flags):
            raise ValueError(f"column {name} must hold true or false")
        return np.array([v == "true" for v in flags], dtype=bool)
    known = ("", *guesses)
    if name == guess or (all(v in known for v in cells) and any(cells)):
        return np.array([v or None for v in cells], dtype=object)  # the blinding guess
    return np.array([float(v) if v else np.nan for v in cells], dtype=np.float64)
