"""Keys re-create schedules; designs that cannot be blind say so; the protocol hash is checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nof1.cli import main
from nof1.design import visibility
from nof1.protocol import load_protocol, read_protocol

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "ldn-nof1-multicycle"
SERIES = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- --from-key ----------------------------------------------------------------------


def test_a_series_is_re_created_byte_for_byte_from_its_series_key(tmp_path):
    first, again = tmp_path / "a", tmp_path / "b"
    assert run("schedule", "ldn-fibromyalgia-2013", "--patients", 31, "--start", "2026-01-05",
               "--out", first).exit_code == 0  # fmt: skip
    key = first / "series-unblinding-key.json"
    result = run("schedule", "ldn-fibromyalgia-2013", "--from-key", key, "--out", again)
    assert result.exit_code == 0, result.output
    assert _files(first) == _files(again) and len(_files(first)) == 31 * 5 + 2 + 1  # manifest


def test_one_patients_key_within_a_series_points_to_the_series_key(tmp_path):
    assert run("schedule", "ldn-nof1-multicycle", "--patients", 3, "--start", "2026-01-05",
               "--out", tmp_path / "a").exit_code == 0  # fmt: skip
    key = tmp_path / "a" / "P02" / "P02-unblinding-key.json"
    result = run("schedule", "ldn-nof1-multicycle", "--from-key", key, "--out", tmp_path / "b")
    assert result.exit_code == 1
    assert "is patient P02's key within a series of 3" in result.output
    assert "series-unblinding-key.json" in result.output and not (tmp_path / "b").exists()


def test_an_old_key_without_a_secret_cannot_re_create_its_schedule(tmp_path):
    result = run("schedule", "ldn-nof1-multicycle", "--from-key",
                 SAMPLE / "P01-unblinding-key.json", "--out", tmp_path / "b")  # fmt: skip
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "schema nof1.unblinding_key/1" in result.output
    assert "cannot be re-created" in result.output and not (tmp_path / "b").exists()


def test_a_key_for_another_protocol_or_an_edited_key_is_refused(tmp_path):
    assert run("schedule", "ldn-nof1-multicycle", "--patient", "P01", "--start", "2026-01-05",
               "--out", tmp_path / "a").exit_code == 0  # fmt: skip
    key = tmp_path / "a" / "P01-unblinding-key.json"
    other = run("schedule", "ldn-fibromyalgia-2013", "--from-key", key, "--out", tmp_path / "b")
    assert other.exit_code == 1 and "SHA-256" in other.output
    edited = json.loads(key.read_text())
    edited["periods"][0]["kit_code"] = "AAAAAA"
    key.write_text(json.dumps(edited))
    result = run("schedule", "ldn-nof1-multicycle", "--from-key", key, "--out", tmp_path / "c")
    assert result.exit_code == 1 and "was it edited" in result.output
    assert not (tmp_path / "c").exists()


def test_from_key_takes_patients_start_and_seed_from_the_key(tmp_path):
    key = SAMPLE / "P01-unblinding-key.json"
    result = run(
        "schedule", "ldn-nof1-multicycle", "--from-key", key, "--seed", 3, "--out", tmp_path
    )
    assert result.exit_code == 2 and "drop --seed" in result.output


# --- designs that cannot be blind ----------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("protocols", "validate", ROOT / "protocols" / "ldn-fibromyalgia-2013.yaml"),
        ("protocols", "show", "ldn-fibromyalgia-2013"),
        ("schedule", "ldn-fibromyalgia-2013", "--patient", "P01", "--start", "2026-01-05"),
    ],
)
def test_unequal_period_lengths_are_warned_about_on_stderr(tmp_path, args):
    if args[0] == "schedule":
        args = (*args, "--out", tmp_path)
    result = CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")
    assert result.exit_code == 0, result.output
    assert "differ in length (84 and 28 days)" in result.stderr
    assert "This design cannot be blind." in result.stderr
    assert "cannot be blind" not in result.stdout


def test_a_design_with_equal_periods_gets_no_warning():
    result = CliRunner().invoke(
        main, ["protocols", "show", "ldn-nof1-multicycle"], prog_name="nof1"
    )
    assert result.exit_code == 0 and "Warning" not in result.stderr


def test_the_fixed_order_pilot_is_warned_about_its_order_too():
    warnings = visibility.visible_differences(load_protocol("ldn-fibromyalgia-2009-pilot"))
    assert len(warnings) == 2 and "fixes the order" in warnings[1]


def test_a_titration_shown_for_one_treatment_only_is_named(monkeypatch):
    from nof1.design import timeline

    real = timeline.build_timeline

    def placebo_not_titrated(protocol, allocation, start=None):
        t = real(protocol, allocation, start)
        placebo = t["treatment"] == "placebo"
        t.loc[placebo, "step_dose_mg"] = protocol.treatments.active.dose_mg
        return t

    monkeypatch.setattr(timeline, "build_timeline", placebo_not_titrated)
    warnings = visibility.visible_differences(load_protocol("ldn-nof1-multicycle"))
    assert len(warnings) == 1
    assert "dose instructions differ" in warnings[0] and "on day 1 of a period" in warnings[0]


def test_a_blinded_analysis_of_the_2013_design_says_it_is_not_blind(tmp_path):
    diary, blinded = SERIES / "P01" / "P01-diary.csv", SERIES / "P01" / "P01-allocation-blinded.csv"
    result = run("analyze", diary, "--protocol", "ldn-fibromyalgia-2013",
                 "--allocation", blinded, "--out", tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["blinded"] and len(results["blinding"]["warnings"]) == 1
    report = (tmp_path / "report.html").read_text()
    assert "Blinded report of a design that cannot be blind." in report
    assert "is not known to this analysis" not in report


# --- the protocol hash ---------------------------------------------------------------


def _edited_protocol(tmp_path, source="ldn-nof1-multicycle.yaml"):
    text = (ROOT / "protocols" / source).read_text()
    edited = tmp_path / "edited.yaml"
    edited.write_text(text.replace("alpha: 0.05", "alpha: 0.2"))
    assert edited.read_text() != text
    return edited


def test_an_allocation_made_from_another_protocol_is_refused_then_recorded_when_allowed(tmp_path):
    edited = _edited_protocol(tmp_path)
    blinded = SAMPLE / "P01-allocation-blinded.csv"
    args = ("analyze", SAMPLE / "P01-diary.csv", "--protocol", edited,
            "--allocation", blinded, "--out", tmp_path / "out")  # fmt: skip
    refused = run(*args)
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "P01-allocation-blinded.csv was made from protocol" in refused.output
    old = read_protocol("ldn-nof1-multicycle").sha256  # the sample schedule's protocol
    assert old in refused.output and "--allow-protocol-change" in refused.output
    assert not (tmp_path / "out").exists()
    allowed = run(*args, "--allow-protocol-change")
    assert allowed.exit_code == 0, allowed.output
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["protocol"]["schedule_sha256"] == old != results["protocol"]["sha256"]
    assert results["protocol"]["sha256"] in refused.output
    assert "--allow-protocol-change" in results["software"]["command"]
    report = (tmp_path / "out" / "report.html").read_text()
    assert "The protocol changed after the schedule was made." in report


def test_a_series_made_from_another_protocol_is_refused_even_with_skip_bad(tmp_path):
    edited = _edited_protocol(tmp_path, "ldn-fibromyalgia-2013.yaml")
    args = ("series", SERIES / "series-diary.csv", "--protocol", edited, "--allocations",
            SERIES / "series-allocation-blinded.csv", "--out", tmp_path / "out")  # fmt: skip
    refused = run(*args, "--skip-bad")
    assert (
        refused.exit_code == 1 and "series-allocation-blinded.csv was made from" in refused.output
    )
    assert not (tmp_path / "out").exists()
    allowed = run(*args, "--allow-protocol-change")
    assert allowed.exit_code == 0, allowed.output
    series = json.loads((tmp_path / "out" / "series.json").read_text())
    assert series["protocol"]["schedule_sha256"] == [read_protocol("ldn-fibromyalgia-2013").sha256]
    patient = json.loads((tmp_path / "out" / "patients" / "P01" / "results.json").read_text())
    assert patient["protocol"]["schedule_sha256"] == series["protocol"]["schedule_sha256"][0]


def test_analyses_with_the_protocol_they_were_made_from_record_its_hash(tmp_path):
    result = run("analyze", SAMPLE / "P01-diary.csv", "--protocol", "ldn-nof1-multicycle",
                 "--allocation", SAMPLE / "P01-unblinding-key.json", "--out", tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.output
    protocol = json.loads((tmp_path / "results.json").read_text())["protocol"]
    assert protocol["schedule_sha256"] == protocol["sha256"]
