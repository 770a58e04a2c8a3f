"""Patient ids follow one rule at every entry point; kit codes are unique; dates stay in range.

Each case once got through or ended in a traceback: ``-A1`` and ``=HYPERLINK(...)`` became
file names and spreadsheet formulas, a 300-character id an OSError, a duplicated kit code
was accepted, and a schedule past 9999-12-31 an OverflowError.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from nof1.cli import main
from nof1.data import read_allocation, read_diary, read_diary_table
from nof1.errors import DiaryError
from nof1.ids import patient_id_problem
from nof1.protocol import load_protocol
from nof1.series.load import load_series

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "ldn-nof1-multicycle"
PROTOCOL = load_protocol("ldn-nof1-multicycle")
HOSTILE = ["-A1", "=HYPERLINK(1)", "+1", "@SUM", "A" * 300, "P 01", "P/01", "Ünal", ""]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _with_id(tmp_path, name: str, new_id: str) -> Path:
    """A sample file with patient P01 renamed (the id only, nothing else changed)."""
    path = tmp_path / name
    text = (SAMPLE / name).read_text()
    path.write_text(text.replace("P01,", f"{new_id},").replace('"P01"', json.dumps(new_id)))
    return path


@pytest.mark.parametrize("good", ["P01", "a", "7", "p-01_b", "A" * 64])
def test_ordinary_ids_are_valid(good):
    assert patient_id_problem(good) is None


@pytest.mark.parametrize("bad", HOSTILE + ["A" * 65, "P01\n", None, 7])
def test_ids_outside_the_documented_character_set_are_named(bad):
    assert patient_id_problem(bad).startswith("patient id ")


@pytest.mark.parametrize("bad", ["-A1", "=HYPERLINK(1)", "A" * 300])
@pytest.mark.parametrize("command", ["schedule", "simulate"])
def test_patient_option_refuses_a_hostile_id_before_writing(tmp_path, command, bad):
    out = tmp_path / "out"
    args = [command, "ldn-nof1-multicycle", f"--patient={bad}", "--seed", "1", "--out", out]
    args += (
        ["--start", "2026-01-05"]
        if command == "schedule"
        else ["--sd", "10", "--phi", "0.3", "--effect", "-10"]
    )
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "Invalid value for --patient: patient id" in result.output
    assert "Traceback" not in result.output and not out.exists()


@pytest.mark.parametrize("bad", ["-A1", "=HYPERLINK(1)", "A" * 300])
def test_a_diary_patient_id_column_with_a_hostile_id_is_named_with_its_row(tmp_path, bad):
    diary = _with_id(tmp_path, "P01-diary.csv", bad)
    with pytest.raises(DiaryError) as info:
        read_diary(diary, PROTOCOL)
    assert any(
        p.startswith("row 2, column patient_id (and 181 more rows): patient id")
        for p in info.value.problems
    ), info.value.problems
    with pytest.raises(DiaryError):
        read_diary_table(diary, PROTOCOL)


def test_analyze_with_a_hostile_diary_id_exits_1_writes_nothing_and_keeps_the_input(tmp_path):
    diary = _with_id(tmp_path, "P01-diary.csv", "=HYPERLINK(1)")
    before = sha(diary)
    out = tmp_path / "out"
    result = run("analyze", diary, "--protocol", "ldn-nof1-multicycle", "--out", out)
    assert result.exit_code == 1, result.output
    assert "column patient_id (and 181 more rows): patient id '=HYPERLINK(1)'" in result.output
    assert not out.exists() and sha(diary) == before


def test_analyze_patient_option_with_a_hostile_id_is_named(tmp_path):
    result = run(
        "analyze", SAMPLE / "P01-diary.csv", "--protocol", "ldn-nof1-multicycle",
        "--patient", "A" * 300, "--out", tmp_path / "out",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "patient_id asked for (--patient): patient id 'AAAA" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("P01-allocation-blinded.csv", "row 2, column patient_id: patient id '-A1'"),
        ("P01-unblinding-key.json", "patient_id: patient id '-A1'"),
    ],
)
def test_an_allocation_file_with_a_hostile_id_is_named(tmp_path, name, where):
    path = _with_id(tmp_path, name, "-A1")
    with pytest.raises(DiaryError) as info:
        read_allocation(path)
    assert any(p.startswith(where) for p in info.value.problems), info.value.problems


def test_a_series_folder_diary_with_a_hostile_id_is_skipped_with_its_reason(tmp_path):
    folder = tmp_path / "series"
    folder.mkdir()
    shutil.copy(SAMPLE / "P01-diary.csv", folder / "P01-diary.csv")
    bad = _with_id(tmp_path, "P01-diary.csv", "-X")
    shutil.move(bad, folder / "-X-diary.csv")
    found = load_series(folder, PROTOCOL)
    assert list(found.diaries) == ["P01"]
    assert "patient id '-X' must start with a letter or digit" in found.bad[0]["reason"]


# --- kit codes --------------------------------------------------------------------------


def test_a_blinded_allocation_with_a_repeated_kit_code_names_the_rows(tmp_path):
    path = tmp_path / "a.csv"
    lines = (SAMPLE / "P01-allocation-blinded.csv").read_text().splitlines(keepends=True)
    first, second = lines[2].split(",")[7], lines[3].split(",")[7]
    lines[3] = lines[3].replace(second, first)
    path.write_text("".join(lines))
    before = sha(path)
    with pytest.raises(DiaryError) as info:
        read_allocation(path)
    assert info.value.problems == [
        f"kit code '{first}' is on rows 3 and 4 (each treatment period has its own kit code)"
    ]
    assert sha(path) == before


def test_an_unblinding_key_with_a_repeated_kit_code_names_the_periods(tmp_path):
    data = json.loads((SAMPLE / "P01-unblinding-key.json").read_text())
    code = data["periods"][0]["kit_code"]
    data["periods"][4]["kit_code"] = code
    path = tmp_path / "key.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DiaryError) as info:
        read_allocation(path)
    assert info.value.problems == [
        f"kit code '{code}' is at periods.0 and periods.4 (each treatment period has its own "
        "kit code)"
    ]


# --- dates at the end of the calendar -------------------------------------------------


def test_a_schedule_running_past_9999_exits_1_and_names_the_latest_start(tmp_path):
    out = tmp_path / "out"
    args = ["schedule", "ldn-nof1-multicycle", "--patient", "P01", "--seed", "1"]
    result = run(*args, "--start", "9999-12-01", "--out", out)
    assert result.exit_code == 1, result.output
    assert "runs 182 days, past 9999-12-31; the latest start is 9999-07-02" in result.output
    assert not out.exists()
    assert run(*args, "--start", "9999-07-02", "--out", out).exit_code == 0


def test_drawing_schedules_from_python_refuses_a_hostile_id_too():
    import datetime as dt

    from nof1.design.blinding import draw_schedules
    from nof1.errors import ScheduleError
    from nof1.protocol import read_protocol

    with pytest.raises(ScheduleError, match="patient id '-A1' must start with a letter"):
        draw_schedules(read_protocol("ldn-nof1-multicycle"), ["P01", "-A1"], dt.date(2026, 1, 5), 1)
