"""Fuzzing diary import: random corruptions of a valid diary, CSV and XLSX.

Whatever the corruption (bytes flipped, the file cut short, rows dropped or repeated,
cells replaced, workbook parts corrupted), reading and aligning the diary either works
or raises the project's own error: any other exception is a bug.

Briefly in ``make test``; ``make fuzz`` runs many more examples
(``NOF1_FUZZ_EXAMPLES=N`` sets how many; the default here is a few seconds' worth).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
import warnings
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlsx_parts import parts_of, share_strings, zip_parts

from nof1.data import load_aligned, read_allocation
from nof1.errors import Nof1Error
from nof1.protocol import load_protocol

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "ldn-nof1-multicycle"
BLINDED = SAMPLE / "P01-allocation-blinded.csv"
PROTOCOL = load_protocol("ldn-nof1-multicycle")
EXAMPLES = int(os.environ.get("NOF1_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ROWS = list(csv.reader((SAMPLE / "P01-diary.csv").open()))[:60]
CSV_TEXT = "\n".join(",".join(r) for r in ROWS) + "\n"


def _with_conditions() -> str:
    """The diary with its condition and period columns (read without an allocation)."""
    plan = read_allocation(SAMPLE / "P01-unblinding-key.json").timeline(PROTOCOL)
    lines = [",".join(ROWS[0] + ["condition", "period"])]
    for row, (_, day) in zip(ROWS[1:], plan.iterrows(), strict=False):
        period = "" if pd.isna(day["period"]) else str(day["period"])
        lines.append(",".join(row + [day["condition"], period]))
    return "\n".join(lines) + "\n"


def _long() -> str:
    """The diary in the long form: one row per outcome per day."""
    lines = ["patient_id,date,outcome,value"]
    for row in ROWS[1:]:
        lines += [
            f"{row[0]},{row[1]},{name},{value}"
            for name, value in zip(ROWS[0][3:8], row[3:8], strict=True)
        ]
    return "\n".join(lines) + "\n"


CSV_BASES = [CSV_TEXT, _with_conditions(), _long(), CSV_TEXT.replace(",", ";")]


def _xlsx_bytes(formula: bool) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(ROWS[0])
    for row in ROWS[1:]:
        cells = [dt.datetime.fromisoformat(c) if i == 1 else c for i, c in enumerate(row)]
        sheet.append([int(c) if isinstance(c, str) and c.isdigit() else c for c in cells])
    sheet.cell(row=3, column=ROWS[0].index("note") + 1, value="a note")
    if formula:
        sheet["D5"] = "=D4+1"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX = _xlsx_bytes(formula=False)
SHARED = share_strings(XLSX)  # as Excel saves: strings in xl/sharedStrings.xml
FORMULA = _xlsx_bytes(formula=True)
CELL_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "NA", "nan", "-nan", "inf", "1e400", "1_0", "٣٣", "５５", "-1", "0"]),
    st.sampled_from(["2026-01-05", "0001-01-01", "9999-12-31", "1e300", "99999999999"]),
    st.sampled_from(["active", "placebo", "baseline", "washout", "A", '"', "\r", "\n", ";"]),
)


@st.composite
def _text_corruption(draw, data: bytes) -> bytes:
    kind = draw(st.sampled_from(["flip", "truncate", "insert"]))
    if not data:
        return draw(st.binary(max_size=20))
    at = draw(st.integers(0, len(data) - 1))
    if kind == "flip":
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    if kind == "truncate":
        return data[:at]
    return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]


@st.composite
def corrupted_csv(draw) -> bytes:
    lines = draw(st.sampled_from(CSV_BASES)).split("\n")
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["bytes", "drop", "repeat", "cell", "line_ends"]))
        if kind == "bytes":
            text = "\n".join(lines).encode()
            lines = draw(_text_corruption(text)).decode("utf-8", "replace").split("\n")
        elif kind == "drop" and len(lines) > 1:
            del lines[draw(st.integers(0, len(lines) - 1))]
        elif kind == "repeat":
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
        elif kind == "cell":
            i = draw(st.integers(0, len(lines) - 1))
            cells = lines[i].split(",")
            cells[draw(st.integers(0, len(cells) - 1))] = draw(CELL_TEXT)
            lines[i] = ",".join(cells)
        else:
            end = draw(st.sampled_from(["\r", "\r\n", ""]))
            lines = "\n".join(lines).replace("\n", end + "\n" if end else "").split("\n")
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@st.composite
def corrupted_xlsx(draw) -> bytes:
    book = draw(st.sampled_from([XLSX, XLSX, SHARED, SHARED, FORMULA]))
    kind = draw(st.sampled_from(["zip_bytes", "member", "member", "cell", "attribute"]))
    if kind == "zip_bytes":
        return draw(_text_corruption(book))
    parts = parts_of(book)
    sheet = "xl/worksheets/sheet1.xml"
    if kind == "member":
        name = draw(st.sampled_from(sorted(parts)))
        parts[name] = draw(_text_corruption(parts[name]))
    elif kind == "cell":  # a cell's value replaced by any text
        pieces = parts[sheet].decode().split("<v>")
        i = draw(st.integers(1, len(pieces) - 1))
        value = draw(CELL_TEXT).replace("&", "&amp;").replace("<", "&lt;")
        pieces[i] = value + pieces[i][pieces[i].index("</v>") :]
        parts[sheet] = "<v>".join(pieces).encode("utf-8", "replace")
    else:  # an attribute (r, t, s, numFmtId, date1904...) given another value
        name = draw(st.sampled_from([sheet, "xl/styles.xml", "xl/workbook.xml"]))
        pieces = parts[name].split(b'="')
        i = draw(st.integers(1, len(pieces) - 1))
        value = draw(st.sampled_from([b"0", b"-1", b"99999999", b"x", b"", b"s", b"b", b"d"]))
        value = draw(st.sampled_from([value, b"A0", b"XFD1", b"1e3", b"str", b"inlineStr", b"e"]))
        pieces[i] = value + pieces[i][pieces[i].index(b'"') :]
        parts[name] = b'="'.join(pieces)
    return zip_parts(parts)


def _import(data: bytes, suffix: str, with_allocation: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"diary{suffix}"
        path.write_bytes(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                load_aligned(path, PROTOCOL, allocation=BLINDED if with_allocation else None)
            except Nof1Error:
                pass  # a clean, named error: what a broken diary should give
        assert path.read_bytes() == data  # never modified


def test_the_uncorrupted_diaries_import_and_the_formula_is_named(tmp_path):
    import pytest

    path = tmp_path / "diary.csv"
    path.write_text(CSV_TEXT)
    assert len(load_aligned(path, PROTOCOL, allocation=BLINDED).table) == 182
    path = tmp_path / "diary.xlsx"
    path.write_bytes(XLSX)
    assert len(load_aligned(path, PROTOCOL, allocation=BLINDED).table) == 182
    path.write_bytes(SHARED)
    assert len(load_aligned(path, PROTOCOL, allocation=BLINDED).table) == 182
    path.write_bytes(FORMULA)
    with pytest.raises(Nof1Error, match="cell D5 .column 'pain'. holds the formula =D4\\+1"):
        load_aligned(path, PROTOCOL, allocation=BLINDED)


@FUZZ
@given(data=corrupted_csv(), with_allocation=st.booleans())
def test_a_corrupted_csv_diary_imports_or_gives_a_clean_error(data, with_allocation):
    _import(data, ".csv", with_allocation)


@FUZZ
@given(data=corrupted_xlsx(), with_allocation=st.booleans())
def test_a_corrupted_xlsx_diary_imports_or_gives_a_clean_error(data, with_allocation):
    _import(data, ".xlsx", with_allocation)
