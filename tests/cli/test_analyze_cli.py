"""`nof1 analyze` as a user runs it: sample data in, results out; bad diaries exit 1 cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nof1.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "ldn-nof1-multicycle"
DIARY = SAMPLE / "P01-diary.csv"
BLINDED = SAMPLE / "P01-allocation-blinded.csv"
KEY = SAMPLE / "P01-unblinding-key.json"


def analyze(diary, out, *extra):
    args = ["analyze", str(diary), "--protocol", "ldn-nof1-multicycle", "--out", str(out), *extra]
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")


def results(out) -> dict:
    return json.loads((Path(out) / "results.json").read_text())


def test_sample_patient_blinded_equals_unblinded_with_labels_and_signs_swapped(tmp_path):
    assert analyze(DIARY, tmp_path / "key", "--allocation", KEY).exit_code == 0
    assert analyze(DIARY, tmp_path / "blind", "--allocation", BLINDED).exit_code == 0
    plain, blind = results(tmp_path / "key"), results(tmp_path / "blind")
    groups = json.loads(KEY.read_text())["groups"]  # e.g. {"A": "placebo", "B": "active"}
    sign = 1 if groups["B"] == "active" else -1
    assert blind["blinded"] is True and plain["blinded"] is False
    assert set(blind["outcomes"][0]["descriptive"]) == {"baseline", "A", "B"}
    assert "blinded" in blind["verdict"] and "LDN" not in blind["verdict"]
    for o_plain, o_blind in zip(plain["outcomes"], blind["outcomes"], strict=True):
        for letter, treatment in groups.items():
            assert o_blind["descriptive"][letter] == o_plain["descriptive"][treatment]
            assert o_blind["percent_change"][letter] == o_plain["percent_change"][treatment]
        for method in ("gls_ar1", "gls_ar1_trend", "welch_t", "paired_periods", "randomization"):
            a, b = o_plain["effects"][method], o_blind["effects"][method]
            assert b["estimate"] == pytest.approx(sign * a["estimate"], rel=1e-6)
            assert b["p_value"] == pytest.approx(a["p_value"], rel=1e-6)


def test_the_aligned_table_is_written_beside_the_results(tmp_path):
    analyze(DIARY, tmp_path, "--allocation", KEY)
    lines = (tmp_path / "aligned.csv").read_text().splitlines()
    assert lines[0].startswith("date,day,phase,cycle,period,condition,included,observed,pain")
    assert len(lines) == 1 + 182


def test_analyze_refuses_to_overwrite_results(tmp_path):
    analyze(DIARY, tmp_path, "--allocation", KEY)
    again = analyze(DIARY, tmp_path, "--allocation", KEY)
    assert again.exit_code == 1 and "would overwrite" in again.output
    assert analyze(DIARY, tmp_path, "--allocation", KEY, "--force").exit_code == 0


def _bad(tmp_path, name, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


HEADER = "date,condition,pain,fatigue,sleep_quality,mood,life_satisfaction\n"
GOOD = "2026-01-05,baseline,50,50,50,50,50\n"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "range.csv",
            HEADER + GOOD + "2026-01-06,baseline,130,50,50,50,50\n",
            "outcome 'pain' value 130 on row 3 is above its maximum 100",
        ),
        ("dup.csv", HEADER + GOOD + GOOD, "date 2026-01-05 is on rows 2 and 3"),
        ("date.csv", HEADER + GOOD + "5th Jan,baseline,50,50,50,50,50\n", "row 3"),
        ("column.csv", "date,condition,pain,headache\n2026-01-05,baseline,50,3\n", "headache"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "PNG"),
        ("empty.csv", "", "empty"),
        ("nocondition.csv", "date,pain\n2026-01-05,50\n", "--allocation"),
    ],
)
def test_a_bad_diary_exits_1_with_its_message_and_writes_nothing(tmp_path, name, content, message):
    diary = _bad(tmp_path, name, content)
    before = diary.read_bytes()
    result = analyze(diary, tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and message in result.output, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    assert diary.read_bytes() == before


def test_a_condition_contradicting_the_allocation_exits_1(tmp_path):
    text = KEY.read_text()
    first_active = next(p for p in json.loads(text)["periods"] if p["treatment"] == "active")
    diary = _bad(
        tmp_path, "d.csv", HEADER + f"{first_active['first_date']},placebo,50,50,50,50,50\n"
    )
    result = analyze(diary, tmp_path / "out", "--allocation", KEY)
    assert result.exit_code == 1 and "placebo" in result.output and "active" in result.output
    assert not (tmp_path / "out").exists()


def test_an_unknown_protocol_or_missing_diary_exits_1(tmp_path):
    assert analyze(tmp_path / "none.csv", tmp_path / "o", "--allocation", KEY).exit_code == 1
    r = CliRunner().invoke(
        main, ["analyze", str(DIARY), "--protocol", "nope", "--out", str(tmp_path / "o")]
    )
    assert r.exit_code == 1 and "not a shipped protocol id" in r.output


def test_every_problem_is_listed_even_on_a_row_whose_date_is_bad(tmp_path):
    diary = _bad(
        tmp_path,
        "d.csv",
        HEADER + GOOD + "5th Jan,baseline,50,x,50,50,50\n2026-01-07,sideways,50,50,50,50,50\n",
    )
    result = analyze(diary, tmp_path / "out")
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "  - date '5th Jan' on row 3 is not a date in the form YYYY-MM-DD",
        "  - outcome 'fatigue' value 'x' on row 3 is not a number",
        "  - condition 'sideways' on row 4 is not one of baseline, active, placebo, washout, "
        "follow_up",
    ]


@pytest.mark.parametrize("blank", ["every day", "every compared day"])
def test_a_diary_with_nothing_to_compare_exits_1_and_writes_nothing(tmp_path, blank):
    import csv

    key = json.loads((SAMPLE / "P01-unblinding-key.json").read_text())
    compared = {d for p in key["periods"] for d in _dates_after_washout(p, 7)}
    rows = list(csv.DictReader((SAMPLE / "P01-diary.csv").open()))
    for row in rows:
        if blank == "every day" or row["date"] in compared:
            for name in ("pain", "fatigue", "sleep_quality", "mood", "life_satisfaction"):
                row[name] = ""
    diary = tmp_path / "diary.csv"
    with diary.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["analyze", str(diary), "--protocol", "ldn-nof1-multicycle"]
        + ["--allocation", str(SAMPLE / "P01-unblinding-key.json"), "--out", str(out)],
    )
    assert result.exit_code == 1, result.output
    assert "nothing to analyse" in result.output and "Traceback" not in result.output
    assert ("unfilled template" in result.output) == (blank == "every day")
    assert not out.exists()


def _dates_after_washout(period: dict, washout: int) -> list[str]:
    import datetime as dt

    first = dt.date.fromisoformat(period["first_date"]) + dt.timedelta(days=washout)
    last = dt.date.fromisoformat(period["last_date"])
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
