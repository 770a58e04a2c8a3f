"""nof1.analyze: a DataFrame or a file, the same results as `nof1 analyze`, the same errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import nof1
from nof1.analysis.registry import METHODS
from nof1.cli import main
from nof1.errors import DiaryError, Nof1Error, ProtocolError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "ldn-nof1-multicycle"
DIARY = SAMPLE / "P01-diary.csv"
KEY = SAMPLE / "P01-unblinding-key.json"
BLINDED = SAMPLE / "P01-allocation-blinded.csv"
PROTOCOL = "ldn-nof1-multicycle"


@pytest.fixture(scope="module")
def from_file():
    return nof1.analyze(str(DIARY), PROTOCOL, allocation=str(KEY))


@pytest.fixture(scope="module")
def from_frame():
    return nof1.analyze(pd.read_csv(DIARY), PROTOCOL, allocation=KEY)


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")


def without(results: dict, *paths: str) -> dict:
    """results.json with the keys at ``paths`` ("software.command") taken out."""
    out = json.loads(json.dumps(results))
    for path in paths:
        *parents, last = path.split(".")
        node = out
        for part in parents:
            node = node[part]
        del node[last]
    return out


def test_a_dataframe_and_its_file_give_the_same_results(from_file, from_frame):
    # data.sha256 is the file's bytes for a file, the frame's CSV text for a frame
    assert without(from_frame.to_dict(), "data.sha256") == without(
        from_file.to_dict(), "data.sha256"
    )
    pd.testing.assert_frame_equal(from_frame.effects, from_file.effects)
    pd.testing.assert_frame_equal(from_frame.aligned, from_file.aligned)
    assert from_frame.verdict == from_file.verdict


@pytest.mark.parametrize("allocation", [KEY, BLINDED], ids=["unblinded", "blinded"])
def test_results_are_what_nof1_analyze_writes(tmp_path, allocation):
    assert cli("analyze", DIARY, "--protocol", PROTOCOL, "--allocation", allocation,
               "--out", tmp_path).exit_code == 0  # fmt: skip
    written = json.loads((tmp_path / "results.json").read_text())
    result = nof1.analyze(DIARY, PROTOCOL, allocation)
    assert result.to_dict()["software"]["command"] is None
    assert without(result.to_dict(), "software.command") == without(written, "software.command")
    aligned = pd.read_csv(tmp_path / "aligned.csv")
    assert len(result.aligned) == len(aligned) and list(result.aligned) == list(aligned)


def test_the_report_is_the_page_nof1_analyze_writes(tmp_path, from_file):
    cli("analyze", DIARY, "--protocol", PROTOCOL, "--allocation", KEY, "--out", tmp_path / "cli")
    page = (tmp_path / "cli" / "report.html").read_text()
    written = from_file.report(tmp_path / "api.html")
    assert written == tmp_path / "api.html"
    command = re.search(r"<p>Command: <code>nof1 analyze [^<]*</code></p>", page).group(0)
    assert written.read_text() == page.replace(command, "")  # the API has no command line


def test_effects_are_one_row_per_outcome_and_method_in_registry_order(from_file):
    effects = from_file.effects
    head = ["outcome", "method", "estimate", "se", "ci_low", "ci_high", "p_value", "df", "reason"]
    assert list(effects.columns[: len(head)]) == head
    assert "density" not in effects  # a curve: in to_dict() only
    outcomes = [o["name"] for o in from_file.to_dict()["outcomes"]]
    assert list(effects["outcome"]) == [o for o in outcomes for _ in METHODS]
    assert list(effects["method"]) == list(METHODS) * len(outcomes)
    results = from_file.to_dict()["outcomes"]
    for (_, row), (outcome, method) in zip(
        effects.iterrows(), [(o, m) for o in results for m in METHODS], strict=True
    ):
        effect = outcome["effects"][method]
        for column in ("estimate", "se", "ci_low", "ci_high", "p_value", "df"):
            value = effect.get(column)
            assert (pd.isna(row[column]) and value is None) or row[column] == value
    assert effects.loc[effects["method"] == "randomization", "n_allocations"].iloc[0] == 8
    assert effects["estimate"].dtype == float and effects["exact"].dtype == "boolean"


def test_to_dict_and_the_tables_are_fresh_copies(from_file):
    first = from_file.to_dict()
    first["verdict"] = "changed"
    assert from_file.to_dict()["verdict"] != "changed"
    effects = from_file.effects
    effects.loc[0, "estimate"] = 99.0
    assert from_file.effects.loc[0, "estimate"] != 99.0


def test_a_frame_without_a_date_column_fails_as_the_cli_does(tmp_path):
    frame = pd.read_csv(DIARY).drop(columns="date")
    frame.to_csv(tmp_path / "nodate.csv", index=False)
    run = cli("analyze", tmp_path / "nodate.csv", "--protocol", PROTOCOL, "--out", tmp_path / "o")
    assert run.exit_code == 1
    with pytest.raises(DiaryError) as caught:
        nof1.analyze(frame, PROTOCOL)
    message = str(caught.value)
    assert message.startswith("<DataFrame>: 1 problem(s)\n  - no date column")
    assert run.output == f"Error: {tmp_path / 'nodate.csv'}{message.removeprefix('<DataFrame>')}\n"


def test_a_wrong_protocol_id_fails_as_the_cli_does(tmp_path):
    run = cli("analyze", DIARY, "--protocol", "no-such-protocol", "--out", tmp_path)
    with pytest.raises(ProtocolError) as caught:
        nof1.analyze(pd.read_csv(DIARY), "no-such-protocol")
    assert "not a shipped protocol id" in str(caught.value)
    assert run.exit_code == 1 and run.output == f"Error: {caught.value}\n"


def test_bad_cells_are_named_by_spreadsheet_row():
    frame = pd.read_csv(DIARY)
    frame.loc[3, "pain"] = 160
    frame["fatigue"] = frame["fatigue"].astype(object)
    frame.loc[5, "fatigue"] = "lots"
    with pytest.raises(DiaryError) as caught:
        nof1.analyze(frame, PROTOCOL, KEY)
    assert caught.value.source == "<DataFrame> (row 1 is the header)"
    assert caught.value.problems == [
        "outcome 'pain' value 160 on row 5 is above its maximum 100",
        "outcome 'fatigue' value 'lots' on row 7 is not a number",
    ]


def test_dates_as_timestamps_or_as_the_index_read_the_same(from_frame):
    frame = pd.read_csv(DIARY, parse_dates=["date"])
    assert frame["date"].dtype.kind == "M"
    for diary in (frame, frame.set_index("date"), frame.assign(date=frame["date"].dt.date)):
        got = nof1.analyze(diary, PROTOCOL, KEY)
        pd.testing.assert_frame_equal(got.effects, from_frame.effects)


def test_a_condition_column_instead_of_an_allocation_gives_the_same_effects(from_file):
    aligned = from_file.aligned
    frame = aligned.loc[aligned["observed"]].drop(columns=["day", "phase", "cycle", "period"])
    frame = frame.drop(columns=["included", "observed"])  # date, condition and the outcomes
    got = nof1.analyze(frame, PROTOCOL)  # no allocation: the diary says each day's condition
    pd.testing.assert_frame_equal(got.effects, from_file.effects)


def test_one_patient_of_a_series_frame_with_the_series_allocation():
    folder = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series"
    frame = pd.read_csv(folder / "series-diary.csv")
    key = folder / "series-unblinding-key.json"
    alone = nof1.analyze(frame[frame["patient_id"] == "P02"], "ldn-fibromyalgia-2013", key)
    picked = nof1.analyze(frame, "ldn-fibromyalgia-2013", key, patient_id="P02")
    assert alone.patient_id == picked.patient_id == "P02"
    pd.testing.assert_frame_equal(alone.effects, picked.effects)
    with pytest.raises(DiaryError, match=r"holds 31 patients .*pick one with patient_id"):
        nof1.analyze(frame, "ldn-fibromyalgia-2013", key)


def test_columns_a_file_could_not_have_are_errors():
    frame = pd.read_csv(DIARY)
    frame.insert(4, "Pain ", frame["pain"])
    with pytest.raises(DiaryError, match=r"column 'Pain' appears twice \(columns D and E\)"):
        nof1.analyze(frame, PROTOCOL, KEY)


def test_inputs_of_the_wrong_kind_say_what_is_expected():
    with pytest.raises(TypeError, match="file path or a pandas DataFrame"):
        nof1.analyze([1, 2, 3], PROTOCOL)
    with pytest.raises(TypeError, match="nof1.read_protocol"):
        nof1.analyze(DIARY, nof1.read_protocol(PROTOCOL).protocol)
    same = nof1.analyze(DIARY, nof1.read_protocol(PROTOCOL), KEY)  # what read_protocol returns
    assert same.to_dict()["protocol"]["id"] == PROTOCOL


def test_repr_html_is_the_verdict_and_a_compact_table(from_file):
    page = from_file._repr_html_()
    assert len(page.encode("utf-8")) < 100_000
    assert "<script" not in page and "plotly" not in page.lower()
    assert "Pain was on average 8.9 points lower on LDN 4.5 mg than on Placebo" in page
    assert "AR(1) regression" in page and "Randomization test" in page and "95% CI" in page
    assert "-8.88" in page and "-13.84 to -3.92" in page
    assert "P01" in repr(from_file) and "ldn-nof1-multicycle" in repr(from_file)


def test_repr_html_escapes_what_comes_from_files(from_file):
    hostile = nof1.api.analysis.AnalysisResult(
        from_file._json.replace("Pain was on average", "<b>Pain</b> was on average"),
        from_file._csv,
        from_file.protocol,
    )
    assert "&lt;b&gt;Pain&lt;/b&gt;" in hostile._repr_html_()


def test_report_refuses_to_overwrite_unless_told(tmp_path, from_file):
    target = tmp_path / "report.html"
    from_file.report(target)
    before = target.read_text()
    with pytest.raises(Nof1Error, match=r"would overwrite .*report\.html \(pass overwrite=True"):
        from_file.report(target)
    target.write_text("edited")
    from_file.report(target, overwrite=True)
    assert target.read_text() == before


def test_report_never_overwrites_an_input(tmp_path):
    diary = tmp_path / "diary.csv"
    diary.write_bytes(DIARY.read_bytes())
    result = nof1.analyze(diary, PROTOCOL, KEY)
    with pytest.raises(Nof1Error, match="never overwrites an input"):
        result.report(diary, overwrite=True)
    assert diary.read_bytes() == DIARY.read_bytes()
