"""`nof1 series` end to end on a small simulated series (ldn-nof1-multicycle, 6 patients):
inputs in every accepted form, blinding, bad input, output files and their schema."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

from nof1.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "nof1" / "schemas" / "series.schema.json").read_text())
PROTOCOL = "ldn-nof1-multicycle"
N = 6


@pytest.fixture(scope="module")
def series_dir(tmp_path_factory) -> Path:
    """What `nof1 simulate ldn-nof1-multicycle --patients 6` writes (folders and series files)."""
    from nof1.design.blinding import patient_ids, schedule_files
    from nof1.protocol import read_protocol
    from nof1.simulate import simulate_diaries

    pf = read_protocol(PROTOCOL)
    start = dt.date(2026, 1, 5)
    pairs = simulate_diaries(
        pf, patient_ids(N), start, 11, effect=-10, effect_sd=5, sd=12, phi=0.5, missing=0.05
    )
    folder = tmp_path_factory.mktemp("simulated")
    files = schedule_files(pf, [s for s, _ in pairs], start, 11)
    for s, diary in pairs:
        files[f"{s.patient_id}/{s.patient_id}-diary.csv"] = diary.to_csv(index=False)
    files["series-diary.csv"] = pd.concat([d for _, d in pairs]).to_csv(index=False)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory, series_dir) -> dict:
    """The runs several tests compare: name -> (series.json, output folder)."""
    table, key = series_dir / "series-diary.csv", series_dir / "series-unblinding-key.json"
    args = {
        "unblinded": (table, "--allocations", key),
        "blinded": (table, "--allocations", series_dir / "series-allocation-blinded.csv"),
        "folder": (series_dir, "--allocations", series_dir),
        "workers": (
            table,
            "--allocations",
            series_dir / "series-allocation-blinded.csv",
            "--workers",
            "2",
        ),
    }
    out = {}
    for name, extra in args.items():
        folder = tmp_path_factory.mktemp(name)
        out[name] = (analyse(folder, *extra), folder / "out")
    return out


def run(*args: str):
    return CliRunner().invoke(main, ["series", *map(str, args)])


def analyse(tmp_path: Path, source, *extra, name="out") -> dict:
    out = tmp_path / name
    result = run(source, "--protocol", PROTOCOL, *extra, "--out", out)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "series.json").read_text())
    jsonschema.validate(data, SCHEMA)
    return data


def numbers(series: dict) -> list:
    """The pooled numbers of a series.json, to compare runs."""
    out = []
    for o in series["outcomes"]:
        m = o["meta_analysis"]
        out += [
            m["estimate"],
            m["se"],
            m["tau2"],
            m["dl"]["estimate"],
            o["mixed_model"]["estimate"],
        ]
        out += [o["percent_change"]["estimate"], o["percent_change"]["p_value"]]
        out += [s["estimate"] for s in m["shrunken"]]
    return out


def test_series_writes_series_json_and_every_patients_files(runs):
    data, out = runs["unblinded"]
    assert data["schema"] == "nof1.series/2" and not data["blinded"]
    assert data["counts"] == {"patients": N, "analysed": N, "skipped": 0}
    assert [o["name"] for o in data["outcomes"]][0] == "pain"
    for patient in data["patients"]:
        results = json.loads((out / patient["results"]).read_text())
        assert results["patient_id"] == patient["patient_id"]
        gls = results["outcomes"][0]["effects"]["gls_ar1"]
        assert patient["effect"]["estimate"] == gls["estimate"]
        assert (out / "patients" / patient["folder"] / "aligned.csv").exists()
        assert patient["order"][0] == patient["first"] and len(patient["order"]) == 6
    pain = data["outcomes"][0]
    assert pain["meta_analysis"]["k"] == N and len(pain["meta_analysis"]["shrunken"]) == N
    assert pain["meta_analysis"]["estimate"] < 0  # the simulated effect is -10
    assert pain["percent_change"]["test"].startswith("paired t")


def test_blinded_series_uses_groups_and_b_minus_a(runs, series_dir):
    unblinded, _ = runs["unblinded"]
    blinded, out = runs["blinded"]
    groups = json.loads((series_dir / "series-unblinding-key.json").read_text())["groups"]
    sign = 1.0 if groups["B"] == "active" else -1.0
    assert blinded["blinded"] and blinded["comparison"]["effect"] == "B minus A"
    assert "B minus A" in blinded["comparison"]["note"]
    for u, b in zip(unblinded["outcomes"], blinded["outcomes"], strict=True):
        mu, mb = u["meta_analysis"], b["meta_analysis"]
        assert_allclose(mb["estimate"], sign * mu["estimate"], rtol=1e-9)
        assert_allclose([mb["tau2"], mb["se"]], [mu["tau2"], mu["se"]], rtol=1e-9)
        assert set(b["percent_change"]) >= {"A_mean", "B_mean"}
        assert set(b["order_effect"]["first"]) == {"A", "B"}
    assert set(blinded["responders"]["conditions"]) == {"A", "B"}
    text = (out / "series.json").read_text()
    # "placebo" only as an answer to the blinding question (the key of its count)
    text = re.sub(r'"placebo": \d+', "", text)
    assert '"active' not in text and '"placebo' not in text


def test_a_folder_of_diaries_gives_the_same_numbers_as_the_table(runs):
    table, _ = runs["blinded"]
    folder, _ = runs["folder"]
    assert folder["blinded"]  # a folder of allocations: the blinded files come first
    assert numbers(folder) == numbers(table)


def test_worker_processes_give_identical_results(runs):
    (one, out_one), (two, out_two) = runs["blinded"], runs["workers"]
    assert one == two  # the recorded command too: --workers is not in it, --out is by name
    for p in one["patients"]:
        a = json.loads((out_one / p["results"]).read_text())
        b = json.loads((out_two / p["results"]).read_text())
        assert {**a, "software": None} == {**b, "software": None}


def test_diaries_with_a_condition_column_need_no_allocations(tmp_path, series_dir, runs):
    from nof1.data import read_allocations
    from nof1.protocol import read_protocol

    p = read_protocol(PROTOCOL).protocol
    table = pd.read_csv(series_dir / "series-diary.csv")
    allocs = read_allocations(series_dir / "series-unblinding-key.json")
    conditions = []
    for pid, rows in table.groupby("patient_id", sort=False):
        plan = allocs[pid].timeline(p)
        conditions += list(plan["condition"].iloc[rows["day"].to_numpy() - 1])
    table["condition"] = conditions
    table.to_csv(tmp_path / "with-conditions.csv", index=False)
    plain = analyse(tmp_path, tmp_path / "with-conditions.csv", name="c")
    keyed = analyse(
        tmp_path,
        series_dir / "series-diary.csv",
        "--allocations",
        series_dir / "series-unblinding-key.json",
        name="k",
    )
    assert_allclose(numbers(plain), numbers(keyed), rtol=1e-9)


def bad_table(tmp_path: Path, series_dir: Path) -> Path:
    """P03 without placebo days; P05 unknown to the allocations."""
    table = pd.read_csv(series_dir / "series-diary.csv")
    key = json.loads((series_dir / "series-unblinding-key.json").read_text())
    p03 = next(k for k in key["patients"] if k["patient_id"] == "P03")
    dates = pd.to_datetime(table["date"])
    for period in p03["periods"]:
        if period["treatment"] == "placebo":
            inside = (dates >= period["first_date"]) & (dates <= period["last_date"])
            table = table[~(inside & (table["patient_id"] == "P03"))]
            dates = dates[table.index]
    table.loc[table["patient_id"] == "P05", "patient_id"] = "P99"
    path = tmp_path / "bad.csv"
    table.to_csv(path, index=False)
    return path


def test_bad_patients_are_named_and_nothing_is_written(tmp_path, series_dir):
    path = bad_table(tmp_path, series_dir)
    out = tmp_path / "out"
    key = series_dir / "series-unblinding-key.json"
    result = run(path, "--protocol", PROTOCOL, "--allocations", key, "--out", out)
    assert result.exit_code == 1
    assert "patient P03: has no placebo days" in result.output
    assert "patient P99: is not in the allocations" in result.output
    assert "--skip-bad" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_skip_bad_analyses_the_others_and_lists_the_skipped(tmp_path, series_dir):
    path = bad_table(tmp_path, series_dir)
    key = series_dir / "series-unblinding-key.json"
    data = analyse(tmp_path, path, "--allocations", key, "--skip-bad")
    skipped = {s["patient_id"]: s["reason"] for s in data["skipped"]}
    assert set(skipped) == {"P03", "P99", "P05"}
    assert skipped["P03"].startswith("has no placebo days")
    assert skipped["P05"] == "is in the allocations but has no diary"
    assert data["counts"] == {"patients": N + 1, "analysed": N - 2, "skipped": 3}
    assert data["outcomes"][0]["meta_analysis"]["k"] == N - 2
    entry = next(p for p in data["patients"] if p["patient_id"] == "P03")
    assert entry["included"] is False and entry["results"] is None
    assert not (tmp_path / "out" / "patients" / "P03").exists()


def test_a_folder_diary_without_patient_id_is_named(tmp_path, series_dir):
    folder = tmp_path / "diaries"
    for pid in ("P01", "P02", "P04", "P06"):
        text = (series_dir / pid / f"{pid}-diary.csv").read_text()
        (folder / pid).mkdir(parents=True)
        (folder / pid / f"{pid}-diary.csv").write_text(text)
    anonymous = pd.read_csv(folder / "P04" / "P04-diary.csv").drop(columns="patient_id")
    anonymous.to_csv(folder / "P04" / "P04-diary.csv", index=False)
    key = series_dir / "series-unblinding-key.json"
    result = run(folder, "--protocol", PROTOCOL, "--allocations", key, "--out", tmp_path / "x")
    assert result.exit_code == 1
    assert "patient P04:" in result.output and "has no patient_id column" in result.output
    data = analyse(tmp_path, folder, "--allocations", key, "--skip-bad")
    assert [s["patient_id"] for s in data["skipped"]][0] == "P04"
    assert data["counts"]["analysed"] == 3


def test_a_table_without_patient_id_is_an_error(tmp_path, series_dir):
    table = pd.read_csv(series_dir / "P01" / "P01-diary.csv").drop(columns="patient_id")
    table.to_csv(tmp_path / "one.csv", index=False)
    result = run(tmp_path / "one.csv", "--protocol", PROTOCOL, "--out", tmp_path / "o")
    assert result.exit_code == 1 and "has no patient_id column" in result.output


def test_a_single_patient_gives_no_pooled_estimate_but_a_reason(tmp_path, series_dir):
    table = pd.read_csv(series_dir / "series-diary.csv")
    table[table["patient_id"] == "P01"].to_csv(tmp_path / "p01.csv", index=False)
    key = series_dir / "series-unblinding-key.json"
    data = analyse(tmp_path, tmp_path / "p01.csv", "--allocations", key, "--skip-bad")
    meta = data["outcomes"][0]["meta_analysis"]
    assert meta["estimate"] is None and meta["k"] == 1 and "at least 2" in meta["reason"]
    assert data["outcomes"][0]["mixed_model"]["reason"].startswith("needs at least 3")
    assert data["outcomes"][0]["order_effect"]["reason"]


def two_patients(tmp_path: Path, series_dir: Path) -> tuple:
    table = pd.read_csv(series_dir / "series-diary.csv")
    table[table["patient_id"].isin(["P01", "P02"])].to_csv(tmp_path / "two.csv", index=False)
    key = series_dir / "series-unblinding-key.json"
    return (tmp_path / "two.csv", "--protocol", PROTOCOL, "--allocations", key, "--skip-bad")


def test_existing_output_is_not_overwritten_without_force(tmp_path, series_dir):
    args = two_patients(tmp_path, series_dir)
    assert run(*args, "--out", tmp_path / "o").exit_code == 0
    again = run(*args, "--out", tmp_path / "o")
    assert again.exit_code == 1 and "--force" in again.output
    assert run(*args, "--out", tmp_path / "o", "--force").exit_code == 0


def test_progress_bar_only_on_a_terminal(tmp_path, series_dir, monkeypatch):
    args = two_patients(tmp_path, series_dir)
    quiet = run(*args, "--out", tmp_path / "q")
    assert quiet.exit_code == 0 and "Analysing patients" not in quiet.output
    import nof1.cli.series as cli

    monkeypatch.setattr(cli, "_on_terminal", lambda: True)
    shown = run(*args, "--out", tmp_path / "t")
    assert shown.exit_code == 0 and "Analysing patients" in shown.output


def test_series_help_names_every_option():
    result = CliRunner().invoke(main, ["series", "--help"])
    assert result.exit_code == 0
    for option in ("--protocol", "--allocations", "--skip-bad", "--workers", "--out", "--force"):
        assert option in result.output


def test_a_bad_value_in_the_table_is_reported_by_row_then_skipped_by_patient(tmp_path, series_dir):
    table = pd.read_csv(series_dir / "series-diary.csv")
    row = table.index[table["patient_id"] == "P02"][20]
    table.loc[row, "pain"] = 130
    table.to_csv(tmp_path / "bad-value.csv", index=False)
    args = (tmp_path / "bad-value.csv", "--protocol", PROTOCOL, "--allocations", series_dir)
    result = run(*args, "--out", tmp_path / "x")
    assert result.exit_code == 1
    assert f"outcome 'pain' value 130 on row {row + 2} is above its maximum 100" in result.output
    assert "--skip-bad" in result.output
    data = analyse(tmp_path, *args, "--skip-bad")
    assert [s["patient_id"] for s in data["skipped"]] == ["P02"]
    assert "value 130" in data["skipped"][0]["reason"]


def test_series_prints_where_its_report_and_patients_are(tmp_path, series_dir):
    table, key = series_dir / "series-diary.csv", series_dir / "series-unblinding-key.json"
    out = tmp_path / "out"
    args = ["series", table, "--protocol", PROTOCOL, "--allocations", key, "--out", out]
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    printed = result.stdout.splitlines()
    assert printed == [str(out / "series.json"), str(out / "series.html"), str(out / "patients")]
    assert all(Path(p).exists() for p in printed)


def test_a_folder_without_allocations_or_conditions_is_one_message_not_one_per_patient(
    tmp_path, series_dir
):
    result = CliRunner().invoke(
        main, ["series", str(series_dir), "--protocol", PROTOCOL, "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert result.output.count("--allocations") == 1 and "--allocation " not in result.output
    assert f"none of the {N} diaries" in result.output and "--skip-bad" not in result.output
    assert not (tmp_path / "o").exists()
