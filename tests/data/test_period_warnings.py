"""A diary's condition column whose periods differ from the protocol's warns (issue 13, 4):
on stderr (``nof1 analyze``, ``nof1 series``), in results.json and in the report."""

from __future__ import annotations

import json
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
KEY = SAMPLE / "P01-unblinding-key.json"
PROTOCOL = "ldn-nof1-multicycle"


@pytest.fixture(scope="module")
def with_conditions() -> pd.DataFrame:
    """The sample diary with the condition column its unblinding key gives."""
    aligned = load_aligned(DIARY, load_protocol(PROTOCOL), allocation=KEY)
    conditions = aligned.table[["date", "condition"]].assign(date=lambda t: t["date"].astype(str))
    return pd.read_csv(DIARY).merge(conditions, on="date")


def analyze(diary: pd.DataFrame, tmp_path: Path, name: str):
    path = tmp_path / f"{name}.csv"
    diary.to_csv(path, index=False)
    args = ["analyze", str(path), "--protocol", PROTOCOL, "--out", str(tmp_path / name)]
    result = CliRunner().invoke(main, args, prog_name="nof1")
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / name / "results.json").read_text())
    html = (tmp_path / name / "report.html").read_text()
    return result, results, html


def test_a_condition_column_that_follows_the_protocol_does_not_warn(with_conditions, tmp_path):
    result, results, html = analyze(with_conditions, tmp_path, "plain")
    assert results["data_quality"]["warnings"] == []
    assert "Warning" not in result.stderr and 'id="period-warnings"' not in html


def test_one_day_mis_keyed_as_placebo_names_the_periods_found(with_conditions, tmp_path):
    diary = with_conditions.copy()
    active = diary.index[diary["condition"] == "active"]
    diary.loc[active[10], "condition"] = "placebo"
    result, results, html = analyze(diary, tmp_path, "miskeyed")
    warnings = results["data_quality"]["warnings"]
    assert any("does not follow the protocol's timeline" in w for w in warnings)
    assert "the condition column gives 8 treatment periods, the protocol has 6" in warnings
    lengths = next(w for w in warnings if "other lengths" in w)
    assert "period 1 (active) 10 days, period 2 (placebo) 1 day, period 3 (active) 17 days" in (
        lengths
    )
    for warning in warnings:
        assert f"Warning (P01): {warning}." in result.stderr
    assert 'id="period-warnings"' in html and "8 treatment periods" in html


def test_missing_first_baseline_days_say_day_1_is_shifted(with_conditions, tmp_path):
    result, results, html = analyze(with_conditions.iloc[3:], tmp_path, "shifted")
    warnings = results["data_quality"]["warnings"]
    shift = next(w for w in warnings if "baseline" in w)
    assert "3 days shorter than the protocol's 14" in shift and "day 1 is 3 days late" in shift
    assert "2026-01-08" in shift
    assert not any("treatment periods" in w for w in warnings)  # the periods are intact
    assert "day 1 is 3 days late" in result.stderr and "day 1 is 3 days late" in html


def test_series_warns_once_per_patient(with_conditions, tmp_path):
    folder = tmp_path / "diaries"
    folder.mkdir()
    bad = with_conditions.copy()
    active = bad.index[bad["condition"] == "active"]
    bad.loc[active[10], "condition"] = "placebo"
    bad.to_csv(folder / "P01-diary.csv", index=False)
    with_conditions.assign(patient_id="P02").to_csv(folder / "P02-diary.csv", index=False)
    args = ["series", str(folder), "--protocol", PROTOCOL, "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args, prog_name="nof1")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("Warning (P01): the condition column gives 8 treatment") == 1
    assert "Warning (P02)" not in result.stderr
