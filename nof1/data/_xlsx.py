"""Reading a workbook sheet as rows of cells, with bounded memory and time.

The sheet is the first, or with several the first whose header has a date column.

A small streaming reader of the XLSX format rather than openpyxl's workbook loader, which
trusts the sheet's declared size (one stray cell at XFD1048576 made it build 17 billion
empty cells) and inflates members whatever their size. Here:

- the ZIP directory's uncompressed sizes are checked before anything is inflated (Python's
  ``zipfile`` never inflates a member past its declared size);
- the sheet is parsed as a stream, one ``<row>`` at a time, only cells that hold a value are
  kept, and a value beyond :data:`~nof1.data._tabular.MAX_COLUMNS` columns or more than
  :data:`~nof1.data._tabular.MAX_ROWS` rows stops the reading with a clear error;
- nothing is taken from ``<dimension>`` (R's openxlsx writes a stale ``A1``);
- a formula cell without a saved result becomes an :class:`Uncomputed` cell, which the
  table reader names, instead of passing for an empty cell.

Every way a broken workbook can fail (bad ZIP, XML errors, a shared-string index that does
not exist, an unknown cell type...) ends in one :class:`~nof1.errors.DiaryError`.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError, iterparse

from nof1.errors import DiaryError

__all__ = ["MAX_UNCOMPRESSED", "Uncomputed", "xlsx_rows"]

#: Most bytes all members of a workbook may inflate to together (a diary of a million rows
#: is about 300 MB of sheet XML).
MAX_UNCOMPRESSED = 1024 * 2**20
#: Most bytes of the members read whole (shared strings, styles, workbook, relationships).
_MAX_WHOLE_MEMBER = 128 * 2**20

_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_OFFICE_DOCUMENT = "/officeDocument"
_BROKEN = "is a ZIP file but not a readable XLSX workbook"


@dataclass(frozen=True)
class Uncomputed:
    """A formula cell saved without its result (written by a program that does not
    calculate, e.g. a script): its value is unknown, not missing."""

    formula: str

    def __str__(self) -> str:
        return f"={self.formula}"


class _Stop(Exception):
    """A limit was reached: the message for the user."""


def xlsx_rows(
    data: bytes, source: str, max_rows: int, max_columns: int, wanted=None
) -> tuple[list[tuple[int, list]], str]:
    """A sheet's rows: (spreadsheet row number, cells), rows without values left out.

    Cells are str (stripped), int, float, bool, datetime.datetime, :class:`Uncomputed`,
    or None (no value); a row's list ends at its last cell that has a value.

    The sheet is the first one, or with ``wanted`` (a function of a sheet's rows) and
    several sheets, the first for which ``wanted`` is true (else the first). Returns the
    rows and a note naming the sheet read when the workbook has several ("" otherwise).

    Raises
    ------
    DiaryError
        A workbook that cannot be read, or one past the limits.
    """
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        _check_sizes(book)
        workbook = _Workbook(book)
        if not workbook.sheets:
            raise KeyError("the workbook lists no sheets")
        rows = workbook.sheet_rows(0, max_rows, max_columns)
        if len(workbook.sheets) == 1:
            return rows, ""
        if wanted is not None and not wanted(rows):
            for index in range(1, len(workbook.sheets)):
                other = workbook.sheet_rows(index, max_rows, max_columns)
                if wanted(other):
                    name = workbook.sheet_names[index]
                    return other, f"read sheet '{name}', the first with a date column"
        return rows, f"read sheet '{workbook.sheet_names[0]}', the first of {len(workbook.sheets)}"
    except _Stop as exc:
        raise DiaryError(source, [str(exc)]) from None
    except (
        zipfile.BadZipFile,
        zlib.error,
        ParseError,
        KeyError,
        ValueError,
        IndexError,
        EOFError,
        OSError,
        NotImplementedError,  # an unsupported compression method
        RuntimeError,  # an encrypted member
        OverflowError,
    ) as exc:
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise DiaryError(source, [f"{_BROKEN} ({detail})"]) from None


def _check_sizes(book: zipfile.ZipFile) -> None:
    total = sum(info.file_size for info in book.infolist())
    if total > MAX_UNCOMPRESSED:
        raise _Stop(
            f"is a workbook that would inflate to {total / 2**20:,.0f} MB (at most "
            f"{MAX_UNCOMPRESSED / 2**20:,.0f} MB are read: is it a ZIP bomb?)"
        )


def _local(tag: str) -> str:
    """A tag without its namespace (transitional and strict OOXML use different ones)."""
    return tag.rpartition("}")[2]


class _Workbook:
    """The parts of a workbook needed to read one sheet's values."""

    def __init__(self, book: zipfile.ZipFile):
        self.book = book
        self.names = set(book.namelist())
        main = self._office_document()
        self.base = posixpath.dirname(main)
        rels = self._relationships(main)
        self.sheets = []  # targets of the sheets, in the workbook's order
        self.sheet_names = []
        self.date1904 = False
        for _, element in self._parse_whole(main):
            name = _local(element.tag)
            if name == "workbookPr":
                self.date1904 = element.get("date1904", "0").lower() in ("1", "true")
            elif name == "sheet":
                rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
                if rid in rels:
                    self.sheets.append(rels[rid][1])
                    self.sheet_names.append(element.get("name", f"sheet {len(self.sheets)}"))
        by_type = {kind.rpartition("/")[2]: target for kind, target in rels.values()}
        self.strings = self._shared_strings(by_type.get("sharedStrings"))
        self.date_styles = self._date_styles(by_type.get("styles"))

    # --- parts read whole ---------------------------------------------------------------

    def _member(self, name: str):
        info = self.book.getinfo(name)  # KeyError: a part the workbook says it has is absent
        if info.file_size > _MAX_WHOLE_MEMBER:
            raise _Stop(
                f"has a part {name} of {info.file_size / 2**20:,.0f} MB (at most "
                f"{_MAX_WHOLE_MEMBER / 2**20:,.0f} MB are read)"
            )
        return self.book.open(info)

    def _parse_whole(self, name: str):
        with self._member(name) as stream:
            yield from iterparse(stream, events=("end",))

    def _office_document(self) -> str:
        if "_rels/.rels" in self.names:
            for _, element in self._parse_whole("_rels/.rels"):
                if _local(element.tag) == "Relationship" and element.get("Type", "").endswith(
                    _OFFICE_DOCUMENT
                ):
                    return self._resolve("", element.get("Target", ""))
        return "xl/workbook.xml"

    def _resolve(self, base: str, target: str) -> str:
        if target.startswith("/"):
            return target.lstrip("/")
        return posixpath.normpath(posixpath.join(base, target))

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        folder, name = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", name + ".rels")
        out: dict[str, tuple[str, str]] = {}
        if rels_name not in self.names:
            return out
        for _, element in self._parse_whole(rels_name):
            if _local(element.tag) == "Relationship" and element.get("TargetMode") != "External":
                target = self._resolve(folder, element.get("Target", ""))
                out[element.get("Id", "")] = (element.get("Type", ""), target)
        return out

    def _shared_strings(self, name: str | None) -> list[str]:
        name = name or posixpath.join(self.base, "sharedStrings.xml")
        if name not in self.names:
            return []
        strings = []
        for _, element in self._parse_whole(name):
            if _local(element.tag) == "si":
                strings.append(_text(element))
                element.clear()
        return strings

    def _date_styles(self, name: str | None) -> list[bool]:
        """Per cell style index: whether its number format shows a date."""
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

        name = name or posixpath.join(self.base, "styles.xml")
        if name not in self.names:
            return []
        formats = dict(BUILTIN_FORMATS)
        out = []
        in_xfs = False
        with self._member(name) as stream:
            for event, element in iterparse(stream, events=("start", "end")):
                tag = _local(element.tag)
                if tag == "numFmt" and event == "end":
                    number = _int(element.get("numFmtId", "0"), "a number format id")
                    formats[number] = element.get("formatCode", "")
                elif tag == "cellXfs":
                    in_xfs = event == "start"
                elif tag == "xf" and in_xfs and event == "end":
                    code = formats.get(_int(element.get("numFmtId", "0"), "a format"), "General")
                    out.append(is_date_format(code))
        return out

    # --- the sheet, streamed ---------------------------------------------------------

    def sheet_rows(self, index: int, max_rows: int, max_columns: int) -> list[tuple[int, list]]:
        rows: list[tuple[int, list]] = []
        number = 0
        with self.book.open(self.sheets[index]) as stream:
            parent = row_element = None
            cells: dict[int, object] = {}
            column = -1
            for event, element in iterparse(stream, events=("start", "end")):
                tag = _local(element.tag)
                if event == "start":
                    if tag == "row":
                        row_element = element
                        given = element.get("r")
                        number = _int(given, "a row number") if given else number + 1
                        cells, column = {}, -1
                    elif tag == "sheetData":
                        parent = element
                    continue
                if tag == "c":
                    column = _column(element.get("r"), column, number)
                    value = self._value(element)
                    if value is not None:
                        if column >= max_columns:
                            raise _Stop(_too_wide(element.get("r"), column, number, max_columns))
                        cells[column] = value
                    if row_element is not None:
                        row_element.remove(element)  # memory stays one cell deep
                elif tag == "row":
                    if cells:
                        if len(rows) >= max_rows:
                            raise _Stop(
                                f"has more than {max_rows:,} rows (the most a diary may have)"
                            )
                        row = [None] * (max(cells) + 1)
                        for i, v in cells.items():
                            row[i] = v
                        rows.append((number, row))
                    if parent is not None:
                        parent.clear()
                    row_element = None
        return rows

    def _value(self, c):
        kind = c.get("t", "n")
        v = f = inline = None
        for child in c:
            name = _local(child.tag)
            if name == "v":
                v = child.text
            elif name == "f":
                f = child
            elif name == "is":
                inline = child
        if kind == "inlineStr":
            return _strip(_text(inline)) if inline is not None else None
        if v is None:
            if f is not None:
                return Uncomputed((f.text or "").strip())
            return None
        if kind == "s":
            index = _int(v, "a shared string index")
            if not 0 <= index < len(self.strings):
                raise IndexError(
                    f"cell {c.get('r', '?')} refers to shared string {v}, which is absent"
                )
            return _strip(self.strings[index])
        if kind in ("str", "e"):
            return _strip(v)
        if kind == "b":
            return v.strip() in ("1", "true")
        if kind == "d":
            return dt.datetime.fromisoformat(v.strip())
        if kind != "n":
            raise ValueError(f"cell {c.get('r', '?')} has the unknown type '{kind}'")
        text = v.strip()
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"cell {c.get('r', '?')} holds '{text[:20]}', which is not a number")
        number = int(text) if text.lstrip("-").isdigit() else float(text)
        style = _int(c.get("s", "0"), "a cell style")
        if 0 <= style < len(self.date_styles) and self.date_styles[style]:
            return _from_excel(number, self.date1904)
        return number


def _from_excel(number: float, date1904: bool) -> dt.datetime:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

    return from_excel(number, CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900)


def _int(text: str, what: str) -> int:
    """A whole number of the workbook's own markup."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{what} '{text[:20]}' is not a whole number")
    return int(text)


def _text(element) -> str:
    """A shared or inline string: its ``<t>``, or its rich-text runs' (phonetic runs left out)."""
    parts = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _strip(text: str) -> str:
    return text.strip()


def _column(ref: str | None, previous: int, row: int) -> int:
    """0-based column of a cell reference such as ``B7`` (or the next one when absent)."""
    if not ref:
        return previous + 1
    match = _CELL_REF.fullmatch(ref)
    if not match:
        raise ValueError(f"a cell reference '{ref[:20]}' on row {row} is not like B7")
    index = 0
    for letter in match.group(1):
        index = index * 26 + ord(letter) - 64
    return index - 1


def _too_wide(ref: str | None, column: int, row: int, max_columns: int) -> str:
    from nof1.data._tabular import column_letter

    where = ref or f"{column_letter(column)}{row}"
    return (
        f"has a value in cell {where}, beyond column {column_letter(max_columns - 1)} (a diary "
        f"may have at most {max_columns} columns: delete the stray cell, or everything right "
        "of the diary)"
    )
