"""`nof1 report` on a hand-edited, truncated or older results.json: one named problem each.

Each case once ended in a KeyError, TypeError or pandas traceback. Now the file is
validated against the shipped schema (and the few cross-checks the schema cannot make)
before anything reads it: exit 1, the JSON path in the message, nothing written.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil

import pytest
from click.testing import CliRunner

from nof1.cli import main


@pytest.fixture
def scratch(tmp_path_factory):
    """A folder outside tmp_path: conftest validates every results.json under tmp_path."""
    return tmp_path_factory.mktemp("broken")


def _folder(scratch, source, edit):
    """A copy of a results folder whose results.json went through ``edit(data)``."""
    folder = scratch / "results"
    shutil.copytree(source, folder)
    (folder / "report.html").unlink()
    data = json.loads((folder / "results.json").read_text())
    edit(data)
    (folder / "results.json").write_text(json.dumps(data))
    return folder


def _report(folder):
    out = folder.parent / "out" / "report.html"
    before = hashlib.sha256((folder / "results.json").read_bytes()).hexdigest()
    result = CliRunner().invoke(main, ["report", str(folder), "--out", str(out)])
    assert hashlib.sha256((folder / "results.json").read_bytes()).hexdigest() == before
    return result, out


def _delete(*path):
    def edit(data):
        node = data
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return edit


def _set(value, *path):
    def edit(data):
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = copy.deepcopy(value)

    return edit


CASES = {
    "missing-top-level-key": (_delete("outcomes"), "(top level): 'outcomes' is a required"),
    "missing-effect-field": (
        _delete("outcomes", 0, "effects", "gls_ar1", "estimate"),
        "outcomes.0.effects.gls_ar1: 'estimate' is a required property",
    ),
    "wrong-type": (_set("x", "outcomes", 0, "mcid"), "outcomes.0.mcid: expected number, got"),
    "impossible-date": (
        _set("2026-13-45", "data_quality", "periods", 0, "first_date"),
        "data_quality.periods.0.first_date: '2026-13-45' is not a 'date'",
    ),
    "period-condition-not-text": (
        _set([], "data_quality", "periods", 0, "condition"),
        "data_quality.periods.0.condition: expected string, got []",
    ),
    "huge-washout": (
        _set(1e308, "data_quality", "analytic_washout_days"),
        "data_quality.analytic_washout_days: 1e+308 is greater than the maximum of 3650",
    ),
    "missing-condition-of-a-blinded-file": (
        _delete("outcomes", 0, "descriptive", "B"),
        "outcomes.0.descriptive: 'B' is missing",
    ),
    "null-interval-with-an-estimate": (
        _set(None, "outcomes", 0, "effects", "gls_ar1", "ci_high"),
        "outcomes.0.effects.gls_ar1.ci_high: expected a number when estimate is given",
    ),
    "null-min-p": (
        _set(None, "outcomes", 0, "effects", "randomization", "min_p"),
        "outcomes.0.effects.randomization.min_p: expected a number",
    ),
    "density-lengths-differ": (
        _set([], "outcomes", 0, "effects", "bayes_ar1", "density", "y"),
        "outcomes.0.effects.bayes_ar1.density: x has 121 values but y has 0",
    ),
    "unknown-outcome": (
        _set("itch", "outcomes", 0, "name"),
        "outcomes.0.name: 'itch' is not an outcome of protocol 'ldn-nof1-multicycle'",
    ),
    "no-primary": (
        _set(False, "outcomes", 0, "primary"),
        "outcomes: exactly one outcome must have primary: true (found 0: none)",
    ),
    "labels-do-not-match-blinded": (
        _set(False, "blinded"),
        "comparison: B vs A (blinded true) does not match blinded false",
    ),
    "labels-do-not-match-comparison": (
        _set({"active": "LDN 4.5 mg", "placebo": "Placebo"}, "labels"),
        "labels: expected B and A (the comparison's), got active, placebo",
    ),
    "comparison-label-differs": (
        _set("Drug X", "comparison", "treated_label"),
        "comparison.treated_label: 'Drug X' differs from labels.B ('group B')",
    ),
    "interval-level-not-1-minus-alpha": (
        _set(0.9, "analysis", "interval_level"),
        "analysis.interval_level: expected 1 - alpha (0.95), got 0.9",
    ),
    "primary-outcome-not-the-primary": (
        _set("fatigue", "analysis", "primary_outcome"),
        "analysis.primary_outcome: 'fatigue' is not the outcome marked primary ('pain')",
    ),
    "primary-method-that-may-not-be-primary": (
        _set("nap", "analysis", "primary_method"),
        "analysis.primary_method:",
    ),
    "contract-v1": (
        _set("nof1.results/1", "schema"),
        "written by an older nof1, before results recorded their alpha, primary method and "
        "comparison: re-run nof1 analyze",
    ),
    "missing-responder-arm": (_delete("responder", "A"), "responder: 'A' is missing"),
    "older-contract": (
        _set("nof1.results/0", "schema"),
        "schema: expected 'nof1.results/2', got 'nof1.results/0'",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_report_on_a_broken_results_json_names_the_json_path(scratch, reports, case):
    edit, expected = CASES[case]
    result, out = _report(_folder(scratch, reports["blinded"], edit))
    assert result.exit_code == 1, result.output
    assert expected in result.output, result.output
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
    assert not out.parent.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"schema": "nof1.results/2", "verdict": NaN}', "NaN is not a JSON number"),
        ('{"schema": "nof1.results/2", ', "is not valid JSON (line 1, column 30)"),
        ("[1, 2]", "is not a nof1 results file"),
    ],
)
def test_report_on_a_file_that_is_not_results_json_says_so(scratch, reports, text, expected):
    folder = _folder(scratch, reports["blinded"], lambda data: None)
    (folder / "results.json").write_text(text)
    result, out = _report(folder)
    assert result.exit_code == 1 and expected in result.output, result.output
    assert not out.parent.exists()


def test_report_on_an_aligned_table_without_an_outcome_column_names_it(scratch, reports):
    folder = _folder(scratch, reports["blinded"], lambda data: None)
    aligned = (folder / "aligned.csv").read_text().replace(",life_satisfaction", ",other", 1)
    (folder / "aligned.csv").write_text(aligned)
    result, out = _report(folder)
    assert result.exit_code == 1, result.output
    assert "outcomes.4.name: aligned.csv has no column 'life_satisfaction'" in result.output


@pytest.mark.parametrize("name", ["sample", "blinded", "pilot", "one-cycle", "no-placebo"])
def test_every_results_json_nof1_writes_passes_the_checks(scratch, reports, name):
    result, out = _report(_folder(scratch, reports[name], lambda data: None))
    assert result.exit_code == 0, result.output
    assert out.is_file()
