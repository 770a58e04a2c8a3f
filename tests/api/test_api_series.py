"""nof1.series: a table, a DataFrame or a folder; what `nof1 series` writes, as objects."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import nof1
from nof1.api.analysis import AnalysisResult
from nof1.cli import main
from nof1.errors import DiaryError, Nof1Error
from nof1.series import SeriesError

ROOT = Path(__file__).resolve().parents[2]
SERIES = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series"
PROTOCOL = "ldn-fibromyalgia-2013"
CHOSEN = ["P01", "P02", "P03", "P04", "P05"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Five patients of the sample series: their diary table and blinded allocations."""
    folder = tmp_path_factory.mktemp("five")
    diary = pd.read_csv(SERIES / "series-diary.csv")
    diary = diary[diary["patient_id"].isin(CHOSEN)]
    diary.to_csv(folder / "series-diary.csv", index=False)
    blinded = pd.read_csv(SERIES / "series-allocation-blinded.csv", dtype=str)
    blinded = blinded[blinded["patient_id"].isin(CHOSEN)]
    blinded.to_csv(folder / "series-allocation-blinded.csv", index=False)
    return folder / "series-diary.csv", folder / "series-allocation-blinded.csv"


@pytest.fixture(scope="module")
def from_file(inputs):
    return nof1.series(inputs[0], PROTOCOL, allocations=inputs[1])


def without(data: dict, *keys) -> dict:
    out = json.loads(json.dumps(data))
    for path in keys:
        *parents, last = path.split(".")
        node = out
        for part in parents:
            node = node[part]
        del node[last]
    return out


def test_results_are_what_nof1_series_writes(tmp_path, inputs, from_file):
    diary, allocations = inputs
    args = ["series", diary, "--protocol", PROTOCOL, "--allocations", allocations]
    run = CliRunner().invoke(main, [str(a) for a in [*args, "--out", tmp_path]])
    assert run.exit_code == 0, run.output
    written = json.loads((tmp_path / "series.json").read_text())
    assert without(from_file.to_dict(), "software.command") == without(written, "software.command")
    assert list(from_file.patients) == CHOSEN
    for pid, result in from_file.patients.items():
        theirs = json.loads((tmp_path / "patients" / pid / "results.json").read_text())
        assert isinstance(result, AnalysisResult) and result.patient_id == pid
        assert without(result.to_dict(), "software.command") == without(theirs, "software.command")


def test_a_dataframe_gives_what_its_file_gives(inputs, from_file):
    frame = pd.read_csv(inputs[0])
    from_frame = nof1.series(frame, PROTOCOL, allocations=inputs[1])
    differ = ("data.source", "data.sha256")  # "<DataFrame>" and the frame's CSV text's hash
    assert without(from_frame.to_dict(), *differ) == without(from_file.to_dict(), *differ)
    assert from_frame.to_dict()["data"]["source"] == "<DataFrame>"
    pd.testing.assert_frame_equal(from_frame.meta_analysis, from_file.meta_analysis)
    pd.testing.assert_frame_equal(from_frame.effects, from_file.effects)


def test_worker_processes_give_the_same_results(inputs, from_file):
    protocol = nof1.read_protocol(PROTOCOL)  # what read_protocol returns goes to the workers
    two = nof1.series(inputs[0], protocol, allocations=inputs[1], workers=2)
    assert two.to_dict() == from_file.to_dict()


def test_meta_analysis_is_one_row_per_outcome(from_file):
    meta = from_file.meta_analysis
    outcomes = from_file.to_dict()["outcomes"]
    assert list(meta["outcome"]) == [o["name"] for o in outcomes]
    assert list(meta.columns[:3]) == ["outcome", "primary", "estimate"]
    for column in ("se", "ci_low", "ci_high", "p_value", "tau2", "i2", "pi_low", "pi_high", "k"):
        assert column in meta
    assert meta["k"].tolist() == [5] * len(outcomes)
    assert meta.loc[0, "estimate"] == outcomes[0]["meta_analysis"]["estimate"]
    assert meta["primary"].tolist() == [o["primary"] for o in outcomes]


def test_effects_hold_every_patient(from_file):
    effects = from_file.effects
    assert list(effects.columns[:3]) == ["patient_id", "outcome", "method"]
    assert effects["patient_id"].unique().tolist() == CHOSEN
    p01 = effects[effects["patient_id"] == "P01"].drop(columns="patient_id")
    expected = from_file.patients["P01"].effects
    pd.testing.assert_frame_equal(p01.reset_index(drop=True), expected)


def test_bad_patients_are_named_or_skipped(inputs):
    frame = pd.read_csv(inputs[0])
    frame.loc[frame.index[frame["patient_id"] == "P03"][2], "pain"] = 500
    with pytest.raises(SeriesError) as caught:
        nof1.series(frame, PROTOCOL, allocations=inputs[1])
    assert caught.value.source == "<DataFrame> (row 1 is the header)"
    assert len(caught.value.problems) == 1 and "value 500 on row" in caught.value.problems[0]
    assert "skip_bad=True analyses the other patients" in caught.value.__notes__[0]
    kept = nof1.series(frame, PROTOCOL, allocations=inputs[1], skip_bad=True)
    assert list(kept.patients) == ["P01", "P02", "P04", "P05"]
    assert kept.skipped["patient_id"].tolist() == ["P03"]
    assert "value 500" in kept.skipped["reason"][0]
    assert "P03" in kept._repr_html_() and "1 skipped" in kept._repr_html_()


def test_a_frame_with_a_folder_of_allocations_says_to_name_the_file(inputs):
    with pytest.raises(DiaryError, match="give the allocation file"):
        nof1.series(pd.read_csv(inputs[0]), PROTOCOL, allocations=inputs[1].parent)


def test_repr_html_is_compact(from_file):
    page = from_file._repr_html_()
    assert len(page.encode("utf-8")) < 100_000 and "<script" not in page
    assert "Random-effects meta-analysis" in page and "group B minus group A" in page
    assert "5 patients analysed, 0 skipped" in page and "blinded" in page
    assert "5 patients analysed" in repr(from_file)


def test_report_writes_series_html_and_refuses_to_overwrite(tmp_path, from_file):
    target = from_file.report(tmp_path / "series.html")
    assert target.read_text().startswith("<!DOCTYPE html>")
    with pytest.raises(Nof1Error, match="pass overwrite=True"):
        from_file.report(target)
    from_file.report(target, overwrite=True)
    one = from_file.patients["P02"].report(tmp_path / "P02.html")
    assert "P02" in one.read_text()
