"""Hostile and broken diaries (issue 10): each ends in one clean error (exit 1, no
traceback), or in the right result; nothing is written and the inputs are unchanged."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import threading
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from xlsx_parts import share_strings

from nof1.cli import main
from nof1.data import read_diary
from nof1.errors import SHOWN_PROBLEMS, DiaryError
from nof1.protocol import load_protocol

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "ldn-nof1-multicycle"
DIARY = SAMPLE / "P01-diary.csv"
BLINDED = SAMPLE / "P01-allocation-blinded.csv"
PROTOCOL = load_protocol("ldn-nof1-multicycle")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(args: list, inputs: list[Path], out: Path | None = None):
    """Run nof1; check the inputs are unchanged and (when given) that ``out`` is not made."""
    before = {p: sha(p) for p in inputs if p.is_file()}
    result = CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")
    assert {p: sha(p) for p in before} == before
    if out is not None and result.exit_code != 0:
        assert not out.exists()
    return result


def analyze_fails(diary: Path, tmp_path: Path, *extra) -> str:
    """`nof1 analyze` on the diary: exit 1, no traceback, nothing written; the message."""
    out = tmp_path / "out"
    args = ["analyze", diary, "--protocol", "ldn-nof1-multicycle", "--out", out, *extra]
    result = run(args, [diary, *[Path(e) for e in extra if Path(str(e)).is_file()]], out)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: ")
    return result.output


def sample_rows() -> list[list[str]]:
    return list(csv.reader(DIARY.open()))


def workbook(rows: list[list[str]]) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append([int(c) if c.isdigit() else c for c in row])
    return book


def rewrite_member(path: Path, member: str, change) -> None:
    """Replace one member of a ZIP by ``change(its bytes)``."""
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    parts[member] = change(parts[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


# --- memory and time stay bounded ------------------------------------------------------


def test_a_stray_cell_at_xfd1048576_is_named_instead_of_filling_gigabytes(tmp_path):
    path = tmp_path / "diary.xlsx"
    book = workbook(sample_rows())
    book.active["XFD1048576"] = 1  # a 12 KB file; openpyxl padded every row to 16384 cells
    book.save(path)
    message = analyze_fails(path, tmp_path)
    assert "cell XFD1048576, beyond column AMJ" in message
    assert "at most 1024 columns" in message


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    """A 1 MB workbook whose sheet inflates to 1.1 GB (one cell of 1.1 GB of 'x')."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    buffer = io.BytesIO()
    workbook(sample_rows()[:3]).save(buffer)
    with zipfile.ZipFile(buffer) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    head, tail = parts["xl/worksheets/sheet1.xml"].split(b"</sheetData>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in parts.items():
            if name != "xl/worksheets/sheet1.xml":
                z.writestr(name, data)
                continue
            with z.open(name, "w", force_zip64=True) as f:
                f.write(head + b'<row r="9"><c r="I9" t="inlineStr"><is><t>')
                chunk = b"x" * 2**24
                for _ in range(66):  # 1.1 GB
                    f.write(chunk)
                f.write(b"</t></is></c></row></sheetData>" + tail)
    return path


def test_a_zip_bomb_is_refused_from_its_directory_before_inflating(zip_bomb, tmp_path):
    assert zip_bomb.stat().st_size < 8 * 2**20
    message = analyze_fails(zip_bomb, tmp_path)
    assert "would inflate to 1,056 MB" in message and "ZIP bomb" in message


def test_many_bad_rows_give_a_short_message_and_all_of_them_in_the_problems_csv(tmp_path):
    rows = sample_rows()
    for row in rows[1:]:
        row[3] = "x"  # pain
    path = tmp_path / "diary.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    problems = tmp_path / "problems.csv"
    message = analyze_fails(path, tmp_path, "--problems", problems)
    bad = len(rows) - 1
    assert message.count("\n  - ") == SHOWN_PROBLEMS
    assert f"... and {bad - SHOWN_PROBLEMS} more (--problems FILE lists them all)" in message
    table = list(csv.DictReader(problems.open()))
    assert len(table) == bad
    assert table[0] == {
        "file": str(path),
        "row": "2",
        "column": "pain",
        "problem": "outcome 'pain' value 'x' on row 2 is not a number",
    }
    assert [int(r["row"]) for r in table] == list(range(2, bad + 2))


def test_the_problems_csv_is_only_a_header_when_the_diary_is_fine(tmp_path):
    problems = tmp_path / "problems.csv"
    args = ["analyze", DIARY, "--protocol", "ldn-nof1-multicycle", "--out", tmp_path / "out"]
    result = run([*args, "--allocation", BLINDED, "--problems", problems], [DIARY, BLINDED])
    assert result.exit_code == 0, result.output
    assert problems.read_text() == "file,row,column,problem\n"


def test_an_existing_problems_csv_is_not_overwritten_without_force(tmp_path):
    problems = tmp_path / "problems.csv"
    problems.write_text("mine\n")
    message = analyze_fails(DIARY, tmp_path, "--problems", problems)
    assert "would overwrite" in message and problems.read_text() == "mine\n"


def test_a_fifo_as_the_diary_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "diary.csv"
    os.mkfifo(fifo)

    def feed():  # so that a reader that opens it does not wait forever: it gets a diary
        try:
            with open(fifo, "wb") as f:
                f.write(DIARY.read_bytes())
        except OSError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    message = analyze_fails(fifo, tmp_path, "--allocation", BLINDED)
    assert "is not a regular file (it is a named pipe)" in message
    if writer.is_alive():  # nobody read it: unblock the writer
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    writer.join(5)


def test_dev_zero_as_the_diary_is_refused_before_reading(tmp_path):
    message = analyze_fails(Path("/dev/zero"), tmp_path)
    assert "is not a regular file (it is a device)" in message


def test_series_skip_bad_reads_the_table_once_whatever_its_problems(tmp_path, monkeypatch):
    import nof1.data.reading as reading_module
    from nof1.series import load_series

    reads = []
    real = reading_module.read_raw
    monkeypatch.setattr(
        reading_module, "read_raw", lambda *a, **k: reads.append(a) or real(*a, **k)
    )
    path, patient = _series_with_a_bad_row(tmp_path)
    data = load_series(path, load_protocol("ldn-fibromyalgia-2013"), skip_bad=True)
    assert len(reads) == 1
    assert [b["patient_id"] for b in data.bad] == [patient]
    assert "outcome 'pain' value 'x' on row 6 is not a number" in data.bad[0]["reason"]
    assert len(data.diaries) == 30


# --- silent wrong data becomes a named problem -----------------------------------------


def test_a_file_cut_short_in_its_last_row_is_a_problem_naming_the_row(tmp_path):
    text = DIARY.read_text()
    path = tmp_path / "diary.csv"
    path.write_text(text[: text.rindex("\n", 0, len(text) - 1) + 1] + "P01,2026-07-05,182,6")
    message = analyze_fails(path, tmp_path, "--allocation", BLINDED)
    columns = len(text.splitlines()[0].split(","))
    assert (
        f"row 183 has 4 cell(s) but the header {columns} columns (the last row, without a line end"
        in message
    )


def test_a_short_row_inside_a_csv_is_a_problem_not_padded(tmp_path):
    path = tmp_path / "diary.csv"
    path.write_text("date,pain,fatigue\n2026-01-05,40,30\n2026-01-06,41\n2026-01-07,42,30\n")
    with pytest.raises(DiaryError) as caught:
        read_diary(path, PROTOCOL)
    assert caught.value.problems == [
        "row 3 has 2 cell(s) but the header 3 columns (a value or a separator is missing)"
    ]


def test_a_complete_last_row_without_a_line_end_is_fine(tmp_path):
    path = tmp_path / "diary.csv"
    path.write_text("date,pain\n2026-01-05,40\n2026-01-06,63")
    assert read_diary(path, PROTOCOL).table["pain"].tolist() == [40.0, 63.0]


def test_a_formula_cell_without_a_saved_result_is_named_not_read_as_missing(tmp_path):
    path = tmp_path / "diary.xlsx"
    book = workbook([["date", "pain"], ["2026-01-05", "40"], ["2026-01-06", "41"]])
    book.active["B3"] = "=B2+1"  # openpyxl saves formulas without their result
    book.save(path)
    with pytest.raises(DiaryError) as caught:
        read_diary(path, PROTOCOL)
    (problem,) = caught.value.problems
    assert problem.startswith("cell B3 (column 'pain') holds the formula =B2+1 saved without")
    assert (problem.row, problem.column) == (3, "pain")


def test_a_formula_cell_with_a_saved_result_gives_that_result(tmp_path):
    path = tmp_path / "diary.xlsx"
    workbook([["date", "pain"], ["2026-01-05", "40"]]).save(path)
    rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b'<c r="B2" t="n"><v>40</v>', b'<c r="B2"><f>39+1</f><v>40</v>'),
    )
    assert read_diary(path, PROTOCOL).table["pain"].tolist() == [40.0]


@pytest.mark.parametrize("text", ["1_0", "٣٣", "５５", "-nan", "+nan"])
def test_only_ascii_decimal_numbers_are_numbers(tmp_path, text):
    path = tmp_path / "diary.csv"
    path.write_text(f"date,pain\n2026-01-05,{text}\n", encoding="utf-8")
    with pytest.raises(DiaryError) as caught:
        read_diary(path, PROTOCOL)
    assert caught.value.problems == [f"outcome 'pain' value '{text}' on row 2 is not a number"]


@pytest.mark.parametrize("column, text", [("period", "1_0"), ("day", "٣")])
def test_period_and_day_take_ascii_whole_numbers_only(tmp_path, column, text):
    path = tmp_path / "diary.csv"
    path.write_text(f"date,pain,{column}\n2026-01-05,40,{text}\n", encoding="utf-8")
    with pytest.raises(DiaryError) as caught:
        read_diary(path, PROTOCOL)
    assert caught.value.problems[0].startswith(f"{column} '{text}' on row 2 is not a whole number")


def test_a_day_in_other_digits_is_a_problem_even_when_it_would_match(tmp_path):
    rows = sample_rows()
    rows[1][2] = "١"  # Arabic-Indic 1, on day 1
    path = tmp_path / "diary.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    message = analyze_fails(path, tmp_path, "--allocation", BLINDED)
    assert "day '١' on row 2 is not a whole number" in message


def test_a_condition_column_that_contradicts_itself_under_a_blinded_allocation(tmp_path):
    rows = sample_rows()
    rows[0].append("condition")
    for row in rows[1:]:  # day 15 on is treatment; alternate inside each period
        day = int(row[2])
        row.append("baseline" if day <= 14 else ("active" if day % 2 else "placebo"))
    path = tmp_path / "diary.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    message = analyze_fails(path, tmp_path, "--allocation", BLINDED)
    assert "condition says active on row" in message and "one group has one treatment" in message


def test_a_condition_column_that_contradicts_a_fixed_sequence(tmp_path):
    # The 2009 pilot: 14 baseline days, placebo 14 days, then LDN 56 days.
    lines = ["date,symptom_severity,condition"]
    import datetime as dt

    start = dt.date(2026, 1, 5)
    for k in range(84):
        condition = "baseline" if k < 14 else ("active" if k < 28 else "placebo")
        lines.append(f"{start + dt.timedelta(days=k)},50,{condition}")
    path = tmp_path / "diary.csv"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    args = ["analyze", path, "--protocol", "ldn-fibromyalgia-2009-pilot", "--out", out]
    result = run(args, [path], out)
    assert result.exit_code == 1, result.output
    assert (
        "condition 'active' on row 16 is in period 1, which the protocol's fixed sequence "
        "makes placebo (sequence: placebo, active)"
    ) in result.output


def test_a_diary_without_the_primary_outcome_column_is_an_error_naming_it(tmp_path):
    path = tmp_path / "diary.csv"
    rows = sample_rows()
    keep = [i for i, name in enumerate(rows[0]) if name != "pain"]
    path.write_text("\n".join(",".join(r[i] for i in keep) for r in rows) + "\n")
    message = analyze_fails(path, tmp_path, "--allocation", BLINDED)
    assert "no column for the primary outcome 'pain'" in message


# --- tracebacks from diaries -----------------------------------------------------------


@pytest.mark.parametrize(
    "member, change, detail",
    [
        ("xl/worksheets/sheet1.xml", lambda x: x[: len(x) // 2], "line 1"),
        (
            "xl/worksheets/sheet1.xml",
            lambda x: x.replace(b'<row r="2"', b'<row r="x"'),
            "row number 'x' is not",
        ),
        ("xl/sharedStrings.xml", lambda x: x.replace(b"<si>", b"", 1), "mismatched tag"),
        (
            "xl/worksheets/sheet1.xml",
            lambda x: x.replace(b't="s"><v>0</v>', b't="s"><v>99999</v>', 1),
            "refers to shared string 99999, which is absent",
        ),
        ("xl/workbook.xml", lambda x: b"<workbook", "line 1"),
        (
            "xl/styles.xml",
            lambda x: x.replace(b'numFmtId="', b'numFmtId="x'),
            "is not a whole number",
        ),
    ],
)
def test_corrupt_workbook_internals_are_one_clean_error(tmp_path, member, change, detail):
    path = tmp_path / "diary.xlsx"
    book = workbook(sample_rows())
    header = [c.value for c in book.active[1]]
    book.active.cell(row=2, column=header.index("note") + 1, value="a note")
    book.save(path)
    _share_strings(path)  # openpyxl writes inline strings; Excel shares them
    rewrite_member(path, member, change)
    message = analyze_fails(path, tmp_path)
    assert "is a ZIP file but not a readable XLSX workbook (" in message
    assert detail in message


def _share_strings(path: Path) -> None:
    path.write_bytes(share_strings(path.read_bytes()))


def test_shared_strings_are_read(tmp_path):
    path = tmp_path / "diary.xlsx"
    workbook([["date", "pain"], ["2026-01-05", "40"], ["2026-01-06", "NA"]]).save(path)
    _share_strings(path)
    assert read_diary(path, PROTOCOL).table["pain"].tolist()[0] == 40.0


def test_a_huge_period_is_a_problem_not_an_overflow(tmp_path):
    path = tmp_path / "diary.csv"
    path.write_text("date,pain,condition,period\n2026-01-05,40,active,1e300\n")
    with pytest.raises(DiaryError) as caught:
        read_diary(path, PROTOCOL)
    assert caught.value.problems == ["period '1e300' on row 2 is larger than 9999"]


@pytest.mark.parametrize("day", ["10", "99999999999"])
def test_a_day_putting_day_1_before_the_year_1_is_a_problem(tmp_path, day):
    path = tmp_path / "diary.csv"
    path.write_text(f"date,day,pain\n0001-01-05,{day},40\n")
    with pytest.raises(DiaryError) as caught:
        read_diary(path, PROTOCOL)
    assert caught.value.problems == [
        f"day {day} on row 2 cannot be a day of date 0001-01-05 (day 1 would be outside the "
        "years 1 to 9999)"
    ]


def test_an_old_mac_csv_with_cr_line_ends_is_read_like_any_other(tmp_path):
    text = DIARY.read_text()
    path = tmp_path / "diary.csv"
    path.write_bytes(text.replace("\n", "\r").encode())
    plain = read_diary(DIARY, PROTOCOL).table
    assert read_diary(path, PROTOCOL).table.equals(plain)


def _series_with_a_bad_row(tmp_path: Path) -> tuple[Path, str]:
    series = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series"
    lines = (series / "series-diary.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[5].split(",")
    cells[header.index("pain")] = "x"
    lines[5] = ",".join(cells)
    path = tmp_path / "series-diary.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, cells[header.index("patient_id")]


@pytest.mark.parametrize("skip_bad", [False, True])
def test_series_problems_csv_lists_the_bad_rows_with_or_without_skip_bad(tmp_path, skip_bad):
    path, patient = _series_with_a_bad_row(tmp_path)
    problems, out = tmp_path / "problems.csv", tmp_path / "out"
    allocations = (
        ROOT / "sample_data" / "ldn-fibromyalgia-2013-series" / "series-unblinding-key.json"
    )
    args = ["series", path, "--protocol", "ldn-fibromyalgia-2013", "--out", out]
    args += ["--allocations", allocations, "--problems", problems] + ["--skip-bad"] * skip_bad
    result = run(args, [path], out)
    assert result.exit_code == (0 if skip_bad else 1), result.output
    assert list(csv.DictReader(problems.open())) == [
        {
            "file": str(path),
            "row": "6",
            "column": "pain",
            "problem": "outcome 'pain' value 'x' on row 6 is not a number",
        }
    ]
    if skip_bad:
        assert f"skipped patient {patient}" in result.output
