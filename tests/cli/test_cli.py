"""The command line: exit codes, messages and written files, through click's CliRunner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nof1 import __version__
from nof1.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1", **kwargs)


def schedule_args(out, *extra):
    return (
        "schedule",
        "ldn-nof1-multicycle",
        "--patient",
        "P01",
        "--start",
        "2026-01-05",
        "--seed",
        "7",
        "--out",
        out,
        *extra,
    )


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.output == f"nof1, version {__version__}\n"


def test_protocols_list_shows_id_title_and_design():
    result = run("protocols", "list")
    assert result.exit_code == 0
    assert "ldn-fibromyalgia-2013\n  Low-dose naltrexone" in result.output
    assert (
        "3 cycles of LDN 4.5 mg 4 wk and Placebo 4 wk, order random within each cycle"
        in result.output
    )


def test_protocols_show_gives_the_timeline_in_weeks_and_the_analysis_plan():
    result = run("protocols", "show", "ldn-fibromyalgia-2013")
    assert result.exit_code == 0
    for text in [
        "Timeline (154 days, 22 weeks)",
        "active  84 d (12 wk)",
        "blinding: double",
        "counterbalanced",
        "2 possible allocations",
        "pain ",
        "[primary]",
        "end point: mean of the last 3 observed day(s)",
    ]:
        assert text in result.output


def test_protocols_show_accepts_a_file_path():
    path = ROOT / "protocols" / "ldn-nof1-multicycle.yaml"
    result = run("protocols", "show", path)
    assert result.exit_code == 0 and "id: ldn-nof1-multicycle" in result.output


def test_validate_a_good_file():
    result = run("protocols", "validate", ROOT / "protocols" / "ldn-fibromyalgia-2013.yaml")
    assert result.exit_code == 0 and "valid protocol 'ldn-fibromyalgia-2013'" in result.output


def test_validate_a_bad_file_lists_every_problem_and_exits_1_without_traceback(tmp_path):
    text = (ROOT / "protocols" / "ldn-nof1-multicycle.yaml").read_text()
    bad = tmp_path / "mine.yaml"
    bad.write_text(
        text.replace("cycles: 3", "cycles: 0").replace("blinding: double", "blinding: yes")
    )
    result = run("protocols", "validate", bad)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {bad}: 2 problems\n")
    assert "  - blinding: input should be 'none', 'single' or 'double', got True" in result.output
    assert "  - schedule.cycles: input should be greater than or equal to 1, got 0" in result.output
    assert "Traceback" not in result.output


def test_validate_a_missing_file_exits_1():
    result = run("protocols", "validate", "nope.yaml")
    assert result.exit_code == 1 and "Error: nope.yaml: no such file" in result.output


def test_new_copies_a_protocol_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "my-protocol.yaml"
    assert run("protocols", "new", target, "--from", "ldn-nof1-multicycle").exit_code == 0
    shipped = (ROOT / "protocols" / "ldn-nof1-multicycle.yaml").read_text()
    # the copy takes its file's name as id, so it never passes for the shipped protocol
    assert target.read_text() == shipped.replace("id: ldn-nof1-multicycle", "id: my-protocol")
    again = run("protocols", "new", target, "--from", "ldn-fibromyalgia-2013")
    assert again.exit_code == 1 and "would overwrite" in again.output
    assert run("protocols", "validate", target).exit_code == 0


def test_a_copy_whose_file_name_is_no_id_keeps_the_id_and_says_so(tmp_path):
    target = tmp_path / "My Copy (v2).yaml"
    result = run("protocols", "new", target, "--from", "ldn-nof1-multicycle")
    assert result.exit_code == 0
    assert "id: my-copy-v2" in target.read_text() and "with id 'my-copy-v2'" in result.output
    hidden = tmp_path / "---.yaml"
    result = run("protocols", "new", hidden, "--from", "ldn-nof1-multicycle")
    assert "id: ldn-nof1-multicycle" in hidden.read_text()
    assert "give it an id of its own" in result.output


def test_protocols_schema_prints_the_shipped_json_schema():
    result = run("protocols", "schema")
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "Protocol"


def test_schedule_writes_the_five_files_and_says_who_each_is_for(tmp_path):
    result = run(*schedule_args(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        ".nof1-outputs.json",  # the manifest of the output set (see nof1.outputs)
        "P01-allocation-blinded.csv",
        "P01-calendar.csv",
        "P01-calendar.ics",
        "P01-diary-template.csv",
        "P01-unblinding-key.json",
    ]
    assert "P01-unblinding-key.json  (pharmacist)" in result.output


def test_schedule_from_its_key_is_byte_identical_and_the_same_seed_alone_is_not(tmp_path):
    run(*schedule_args(tmp_path / "a"))
    run(*schedule_args(tmp_path / "seed-again"))
    key = tmp_path / "a" / "P01-unblinding-key.json"
    result = run("schedule", "ldn-nof1-multicycle", "--from-key", key, "--out", tmp_path / "b")
    assert result.exit_code == 0, result.output
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()
    calendar = "P01-calendar.csv"
    assert (tmp_path / "a" / calendar).read_text() != (
        tmp_path / "seed-again" / calendar
    ).read_text()


def test_schedule_refuses_to_overwrite_and_changes_nothing_unless_forced(tmp_path):
    out = tmp_path / "out"
    run(*schedule_args(out))
    calendar = out / "P01-calendar.csv"
    calendar.write_text("edited by hand\n")
    result = run(*schedule_args(out))
    assert result.exit_code == 1 and "would overwrite 5 existing file(s)" in result.output
    assert calendar.read_text() == "edited by hand\n"
    assert run(*schedule_args(out, "--force")).exit_code == 0
    assert calendar.read_text().startswith("patient_id,day,date")


def test_schedule_for_a_series(tmp_path):
    result = run(
        "schedule",
        "ldn-fibromyalgia-2013",
        "--patients",
        31,
        "--start",
        "2026-01-05",
        "--seed",
        1,
        "--out",
        tmp_path,
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "P31" / "P31-calendar.ics").is_file()
    key = json.loads((tmp_path / "series-unblinding-key.json").read_text())
    assert sorted(key["orders"].values()) == [15, 16]


def test_schedule_without_a_seed_draws_one_and_records_it(tmp_path):
    result = run(
        "schedule",
        "ldn-nof1-multicycle",
        "--patient",
        "X1",
        "--start",
        "2026-01-05",
        "--out",
        tmp_path,
    )
    assert result.exit_code == 0
    seed = json.loads((tmp_path / "X1-unblinding-key.json").read_text())["seed"]
    assert f"drew seed {seed}" in result.output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--patient", "P01", "--patients", "3"), 2, "give either --patient ID or --patients N"),
        ((), 2, "give either --patient ID or --patients N"),
        (("--patient", "../P01"), 2, "Invalid value for --patient"),
    ],
)
def test_schedule_usage_errors_exit_2(tmp_path, args, code, message):
    result = run(
        "schedule", "ldn-nof1-multicycle", *args, "--start", "2026-01-05", "--out", tmp_path / "o"
    )
    assert result.exit_code == code and message in result.output
    assert not (tmp_path / "o").exists()


def test_schedule_with_a_bad_date_or_protocol(tmp_path):
    bad_date = run(
        "schedule",
        "ldn-nof1-multicycle",
        "--patient",
        "P01",
        "--start",
        "5/1/2026",
        "--out",
        tmp_path,
    )
    assert (
        bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.output or "%Y-%m-%d" in bad_date.output
    )
    unknown = run(
        "schedule",
        "no-such-protocol",
        "--patient",
        "P01",
        "--start",
        "2026-01-05",
        "--out",
        tmp_path,
    )
    assert unknown.exit_code == 1
    assert "Error: no-such-protocol: no such file, and not a shipped protocol id" in unknown.output
    assert list(tmp_path.iterdir()) == []


def test_python_dash_m_and_the_console_script_run():
    result = subprocess.run(
        [sys.executable, "-m", "nof1", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"nof1, version {__version__}"
