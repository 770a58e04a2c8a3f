"""Reports for the browser and template tests, built once per session with the real CLI."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from nof1.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "ldn-nof1-multicycle"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")
    assert result.exit_code == 0, result.output
    return result


def _analyze(diary, protocol, out, allocation=None):
    extra = ["--allocation", allocation] if allocation else []
    _run("analyze", diary, "--protocol", protocol, *extra, "--out", out)
    return out


def _simulated(tmp, protocol, name):
    """A simulated patient on a protocol, analysed unblinded; returns its results folder."""
    sim = tmp / f"sim-{name}"
    _run(
        "simulate",
        protocol,
        "--patient",
        "X1",
        "--effect",
        "-10",
        "--sd",
        "10",
        "--phi",
        "0.4",
        "--missing",
        "0.05",
        "--seed",
        "3",
        "--out",
        sim,
    )
    return _analyze(sim / "X1-diary.csv", protocol, tmp / name, sim / "X1-unblinding-key.json")


def _no_placebo_fatigue(tmp):
    """The sample patient with every fatigue value on placebo days blanked out."""
    key = json.loads((SAMPLE / "P01-unblinding-key.json").read_text())
    placebo = [
        (p["first_date"], p["last_date"]) for p in key["periods"] if p["treatment"] == "placebo"
    ]
    rows = list(csv.DictReader((SAMPLE / "P01-diary.csv").open()))
    for row in rows:
        if any(first <= row["date"] <= last for first, last in placebo):
            row["fatigue"] = ""
    diary = tmp / "no-placebo-fatigue.csv"
    with diary.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return _analyze(
        diary, "ldn-nof1-multicycle", tmp / "no-placebo", SAMPLE / "P01-unblinding-key.json"
    )


@pytest.fixture(scope="session")
def reports(tmp_path_factory) -> dict[str, Path]:
    """Results folders (results.json, aligned.csv, report.html) for each case."""
    tmp = tmp_path_factory.mktemp("reports")
    diary = SAMPLE / "P01-diary.csv"
    return {
        "sample": _analyze(
            diary, "ldn-nof1-multicycle", tmp / "sample", SAMPLE / "P01-unblinding-key.json"
        ),
        "blinded": _analyze(
            diary, "ldn-nof1-multicycle", tmp / "blinded", SAMPLE / "P01-allocation-blinded.csv"
        ),
        "pilot": _simulated(tmp, "ldn-fibromyalgia-2009-pilot", "pilot"),
        "one-cycle": _simulated(tmp, "ldn-fibromyalgia-2013", "one-cycle"),
        "no-placebo": _no_placebo_fatigue(tmp),
    }


@pytest.fixture(scope="session")
def side_reports(tmp_path_factory) -> dict[str, Path]:
    """The sample patient with side effects, doses taken and guesses in the diary (a
    protocol asking them), analysed unblinded ("side") and blinded ("side-blinded")."""
    from side_files import write_side_inputs

    tmp = tmp_path_factory.mktemp("side-reports")
    files = write_side_inputs(tmp / "inputs")
    return {
        "side": _analyze(files["diary"], files["protocol"], tmp / "side", files["key"]),
        "side-blinded": _analyze(
            files["diary"], files["protocol"], tmp / "side-blinded", files["blinded"]
        ),
    }


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through playwright; CI must have it (.ci/run installs it)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing; .ci/run installs it with apt-get")
        pytest.skip("chromium not installed (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()
