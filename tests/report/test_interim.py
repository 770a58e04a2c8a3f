"""An interim diary (it ends before the schedule does) says so and does not count the days
not yet due as missing (issue 13, 5)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from nof1.cli import main
from nof1.data import load_aligned
from nof1.protocol import load_protocol

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "ldn-nof1-multicycle"
DIARY = SAMPLE / "P01-diary.csv"
BLINDED = SAMPLE / "P01-allocation-blinded.csv"
KEY = SAMPLE / "P01-unblinding-key.json"
PROTOCOL = "ldn-nof1-multicycle"
DAYS = 60


def analyze(path: Path, out: Path, *extra):
    args = ["analyze", str(path), "--protocol", PROTOCOL, "--out", str(out), *map(str, extra)]
    result = CliRunner().invoke(main, args, prog_name="nof1")
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    return result, results, (out / "report.html").read_text()


@pytest.fixture(scope="module")
def diary() -> pd.DataFrame:
    return pd.read_csv(DIARY)


def _interim_checks(result, results, html, diary):
    q = results["data_quality"]
    first = diary.iloc[:DAYS]
    observed = int(first[["pain", "fatigue", "sleep_quality", "mood", "life_satisfaction"]]
                   .notna().any(axis=1).sum())  # fmt: skip
    assert q["interim"] == {"days_so_far": DAYS, "days_planned": 182, "last_date": "2026-03-05"}
    assert q["days_planned"] == 182 and q["days_observed"] == observed
    assert len(q["missing_dates"]) == DAYS - observed  # not 182 - observed
    assert all(d <= "2026-03-05" for d in q["missing_dates"])
    assert q["missing_values"]["pain"] == int(first["pain"].isna().sum())
    assert q["completeness"] == pytest.approx(observed / DAYS)
    assert sum(p["days"] for p in q["periods"]) == DAYS
    assert f"interim: {DAYS} of 182 days so far" in result.stderr
    assert f"Interim: {DAYS} of 182 days so far" in html
    ticks = set(re.findall(r"red ticks mark (\d+) missing days", html))
    assert ticks == {str(DAYS - observed)}


def test_interim_with_an_allocation_file(diary, tmp_path):
    path = tmp_path / "interim.csv"
    diary.iloc[:DAYS].to_csv(path, index=False)
    result, results, html = analyze(path, tmp_path / "out", "--allocation", BLINDED)
    _interim_checks(result, results, html, diary)
    assert results["data_quality"]["warnings"] == []


def test_interim_with_a_condition_column_stays_on_the_protocol_calendar(diary, tmp_path):
    aligned = load_aligned(DIARY, load_protocol(PROTOCOL), allocation=KEY)
    conditions = aligned.table[["date", "condition"]].assign(date=lambda t: t["date"].astype(str))
    path = tmp_path / "interim.csv"
    diary.merge(conditions, on="date").iloc[:DAYS].to_csv(path, index=False)
    result, results, html = analyze(path, tmp_path / "out")
    _interim_checks(result, results, html, diary)
    assert results["data_quality"]["warnings"] == []  # the periods so far follow the protocol
    assert "Warning" not in result.stderr


def test_a_complete_diary_is_not_interim(tmp_path):
    result, results, html = analyze(DIARY, tmp_path / "out", "--allocation", BLINDED)
    assert results["data_quality"]["interim"] is None
    assert "interim" not in result.stderr and "Interim:" not in html
