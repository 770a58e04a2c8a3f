"""Reading a CSV or XLSX file into rows of cells, and parsing single cells.

Shared by diaries and StudyU exports. Rows are numbered as a spreadsheet shows them: the
header is row 1, so the first data row is row 2. A file is read once, as bytes (for its
SHA-256), and never written.

Limits, so that memory and time stay bounded whatever the file: only regular files are
read (not a FIFO or a device), of at most :data:`MAX_FILE_BYTES`; a table may have at most
:data:`MAX_ROWS` rows and :data:`MAX_COLUMNS` columns (a value past them is an error, not
silently dropped); a workbook may inflate to at most ``nof1.data._xlsx.MAX_UNCOMPRESSED``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from nof1.data._cells import (
    MISSING,
    cell_text,
    column_letter,
    is_missing,
    is_plain_number_text,
    normalize_name,
    parse_date,
    parse_int,
    parse_number,
)
from nof1.errors import DiaryError, Problem
from nof1.inputs import MAX_FILE_BYTES, read_input

__all__ = [
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "MISSING",
    "ROW_NOTE",
    "RawTable",
    "with_row_note",
    "cell_text",
    "column_letter",
    "is_missing",
    "normalize_name",
    "parse_date",
    "parse_int",
    "is_plain_number_text",
    "parse_number",
    "read_file_bytes",
    "csv_delimiter",
    "read_csv_text",
    "read_raw",
    "twice_message",
]

#: Largest input file read, in bytes.
#: Most rows a table may have (a spreadsheet's own limit), header included.
MAX_ROWS = 1_048_576
#: Most columns a table may have.
MAX_COLUMNS = 1024
#: Added to a file name in messages that cite rows.
ROW_NOTE = " (row 1 is the header)"

# Magic numbers of files people attach by mistake, for a clearer message.
_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF document",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old-style .xls/.doc file (save it as .xlsx or CSV)",
}


def with_row_note(source: str) -> str:
    """A file name for messages that cite rows, saying how rows are counted.

    Examples
    --------
    >>> with_row_note("diary.csv")
    'diary.csv (row 1 is the header)'
    """
    return f"{source}{ROW_NOTE}"


@dataclass(frozen=True)
class RawTable:
    """A file's cells before any interpretation.

    Attributes
    ----------
    source : str
        The path, as given.
    sha256 : str
        Hex SHA-256 of the file's bytes.
    names : list of str
        Column names as written in the header.
    columns : list of str
        The same, normalized (see :func:`normalize_name`); "" for an unnamed column.
    rows : list of (int, list)
        Each non-blank data row with its spreadsheet row number; cells are stripped strings
        (CSV) or the workbook's values (XLSX: str, int, float, datetime or None).
    """

    source: str
    sha256: str
    names: list[str]
    columns: list[str]
    rows: list[tuple[int, list]]
    #: The CSV field separator (``","`` for a workbook): ``";"`` usually means decimal commas.
    delimiter: str = ","
    #: How the file was read, for the user (e.g. which sheet of a workbook); "" if plainly.
    note: str = ""
    #: Columns whose name is in the header twice: (name, first index, second index), when
    #: the reader was asked to leave them to the caller (``duplicates="keep"``).
    duplicates: tuple = ()

    def column(self, name: str) -> int | None:
        """Index of the (normalized) column ``name``, or None."""
        return self._index.get(name)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.columns)}


def read_file_bytes(path: str | Path, source: str | None = None) -> bytes:
    """The bytes of an input file (see :func:`nof1.inputs.read_input`); DiaryError if not."""
    return read_input(path, DiaryError, source)


def read_raw(
    path: str | Path,
    expected: str,
    duplicates: str = "refuse",
    sheet_wants: frozenset = frozenset(),
) -> RawTable:
    """Read a CSV or XLSX file into a :class:`RawTable`.

    Parameters
    ----------
    path : str or Path
    expected : str
        What the header should hold, for the message when there is none
        (e.g. "date, then one column per outcome").
    duplicates : {"refuse", "keep"}
        A column name twice in the header is a problem, or is left to the caller
        (listed in ``RawTable.duplicates``; a REDCap labels export repeats "Complete?").
    sheet_wants : frozenset of str
        Normalized column names that mark the sheet to read in a workbook of several: the
        first sheet whose header has one of them (else the first sheet).

    Raises
    ------
    DiaryError
        Unreadable, empty, binary or malformed file, a file past the limits (see the
        module notes); nothing else is checked here.
    """
    source = str(path)
    data = read_file_bytes(path, source)
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise DiaryError(source, [f"is empty (expected a header row: {expected})"])
    if data.startswith(b"PK\x03\x04"):
        from nof1.data._xlsx import xlsx_rows

        cells, note = xlsx_rows(data, source, MAX_ROWS, MAX_COLUMNS, _wanted(sheet_wants))
        return _table(source, digest, cells, expected, False, duplicates=duplicates, note=note)
    for magic, kind in _SIGNATURES.items():
        if data.startswith(magic):
            raise DiaryError(source, [f"is not a CSV or XLSX file (it is {kind})"])
    if Path(path).suffix.lower() in (".xlsx", ".xlsm"):
        raise DiaryError(source, ["has an .xlsx name but is not an XLSX workbook"])
    delimiter, cells = _csv_rows(_decode(data, source), source)
    return _table(source, digest, cells, expected, True, delimiter, duplicates)


def read_csv_text(source, digest, text, expected, numbers, delimiter) -> RawTable:
    """Part of a CSV file (its header line, then some rows; ``numbers``: their rows in the
    whole file; ``digest``: its SHA-256) as :func:`read_raw` reads the whole (keeping
    duplicates), for a large table read patient by patient (``nof1.series.stream``)."""
    cells = list(zip(numbers, (r for _, r in _csv_records(text, source, delimiter)), strict=True))
    return _table(source, digest, cells, expected, True, delimiter, "keep")


def _wanted(names: frozenset):
    """Whether a sheet's first rows hold a header with one of ``names``."""

    def wanted(rows) -> bool:
        return any(normalize_name(c) in names for _, row in rows[:1] for c in row if c)

    return wanted if names else None


def _decode(data: bytes, source: str) -> str:
    if b"\x00" in data[:8192]:
        raise DiaryError(source, ["is not a CSV or XLSX file (it looks binary)"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Windows saves "CSV" in the ANSI code page.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise DiaryError(source, ["is not a UTF-8 (or Windows-1252) text file"]) from None


def _delimiter(text: str) -> str:
    """The field separator: the one that gives the first rows the header's width, and
    most columns.

    Quotes are respected (a quoted question may hold commas); European spreadsheets save
    with ';' when ',' is the decimal mark. Ties go to ','.

    Examples
    --------
    >>> _delimiter('"Pain, today, 0-100";date\\n50;2026-01-05\\n')
    ';'
    """
    head = text.lstrip("\r\n")[:65536]
    best, score = ",", (False, 1)
    for candidate in ",;\t":
        if candidate not in head:
            continue
        try:
            reader = csv.reader(io.StringIO(head, newline=None), delimiter=candidate)
            records = [r for _, r in zip(range(6), reader, strict=False)]
        except csv.Error:
            continue
        if not records:
            continue
        width = len(records[0])
        # The separator that gives every row the header's width, then the most columns.
        rows = [r for r in records[1:5] if r]
        fits = bool(rows) and all(len(r) == width for r in rows)
        if (fits, width) > score:
            best, score = candidate, (fits, width)
    return best


def _csv_rows(text: str, source: str) -> tuple[str, list[tuple[int, list]]]:
    delimiter = _delimiter(text)
    out = _csv_records(text, source, delimiter)
    if out and not text.endswith(("\n", "\r")):
        out[-1] = (_Unterminated(out[-1][0]), out[-1][1])
    return delimiter, out


def _csv_records(text: str, source: str, delimiter: str) -> list[tuple[int, list]]:
    out = []
    try:
        # newline=None: rows may end in \n, \r\n or a lone \r (old Mac files).
        records = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter)
        # A spreadsheet shows one row per CSV record, blank ones included: so does this.
        for number, record in enumerate(records, 1):
            if number > MAX_ROWS:
                raise DiaryError(
                    source, [f"has more than {MAX_ROWS:,} rows (the most a table may have)"]
                )
            if len(record) > MAX_COLUMNS:
                raise DiaryError(
                    source,
                    [
                        f"row {number} has {len(record):,} cells (a table may have at most "
                        f"{MAX_COLUMNS})"
                    ],
                )
            out.append((number, list(map(str.strip, record))))
    except csv.Error as exc:
        raise DiaryError(source, [f"is not a readable CSV file ({exc})"]) from None
    return out


class _Unterminated(int):
    """The number of a last CSV row without a line end (the file may be cut short)."""


def _table(
    source: str,
    digest: str,
    cells: list[tuple[int, list]],
    expected: str,
    from_csv: bool,
    delimiter: str = ",",
    duplicates: str = "refuse",
    note: str = "",
) -> RawTable:
    cells = [(n, row) for n, row in cells if _has_value(row)]
    if not cells:
        raise DiaryError(source, [f"is empty (expected a header row: {expected})"])
    _, header = cells[0]
    names = ["" if h is None else str(h).strip() for h in header]
    columns = [normalize_name(n) for n in names]
    width = len(names)
    problems = []
    rows = []
    for number, row in cells[1:]:
        if len(row) != width:
            if any(not is_missing(c) for c in row[width:]):
                problems.append(
                    Problem(
                        f"row {number} has {len(row)} cells but the header only {width} columns",
                        row=int(number),
                    )
                )
            elif from_csv and len(row) < width:  # a workbook leaves empty cells out
                problems.append(_short_row(number, len(row), width))
            row = list(row[:width]) + [None] * (width - len(row))
        rows.append((int(number), row))
    # Unnamed columns are fine when empty (spreadsheets leave them behind).
    keep = [i for i, c in enumerate(columns) if c or any(not is_missing(row[i]) for _, row in rows)]
    for i in keep:
        if not columns[i]:
            problems.append(f"column {column_letter(i)} has values but no name in row 1")
    seen: dict[str, int] = {}
    twice = []
    for i in keep:
        if columns[i] and columns[i] in seen:
            twice.append((names[i], keep.index(seen[columns[i]]), keep.index(i)))
            if duplicates == "refuse":
                problems.append(twice_message(names[i], seen[columns[i]], i))
        seen.setdefault(columns[i], i)
    if not from_csv:
        problems += _uncomputed(rows, keep, names)
    if problems:
        raise DiaryError(with_row_note(source), problems)
    if len(keep) < width:
        rows = [(n, [row[i] for i in keep]) for n, row in rows]
    return RawTable(
        source=source,
        sha256=digest,
        names=[names[i] for i in keep],
        columns=[columns[i] for i in keep],
        rows=rows,
        delimiter=delimiter,
        note=note,
        duplicates=tuple(twice),
    )


def twice_message(name: str, first: int, second: int) -> str:
    """The problem of a column name given twice (0-based column indexes)."""
    return (
        f"column '{name}' appears twice (columns {column_letter(first)} and "
        f"{column_letter(second)})"
    )


def _short_row(number: int, cells: int, width: int) -> Problem:
    if isinstance(number, _Unterminated):
        why = "the last row, without a line end: is the file cut short?"
    else:
        why = "a value or a separator is missing"
    return Problem(
        f"row {number} has {cells} cell(s) but the header {width} columns ({why})", row=int(number)
    )


def _uncomputed(rows: list[tuple[int, list]], keep: list[int], names: list[str]) -> list[Problem]:
    """Workbook formulas saved without their result, named by row and column."""
    from nof1.data._xlsx import Uncomputed

    out = []
    for number, row in rows:
        for i in keep:
            if isinstance(row[i], Uncomputed):
                out.append(
                    Problem(
                        f"cell {column_letter(i)}{number} (column '{names[i]}') holds the formula "
                        f"{row[i]} saved without its result: open the workbook in Excel or "
                        "LibreOffice and save it again, or type the value",
                        row=number,
                        column=names[i],
                    )
                )
    return out


def _has_value(row: list) -> bool:
    """Whether a row has a cell that is not missing (most rows: their first cell)."""
    for cell in row:
        if not is_missing(cell):
            return True
    return False


csv_delimiter = _delimiter  # the separator read_raw finds in a CSV text (its first 64 kB)
