"""A method added to the registry runs in analyze and in power with no other change."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from nof1.analysis import registry
from nof1.analysis.registry import Estimates, Method, Trials
from nof1.data import align, read_diary
from nof1.power import Scenario, power_analysis
from nof1.protocol import read_protocol

SAMPLE = "sample_data/ldn-nof1-multicycle"


def median_difference(trials: Trials) -> Estimates:
    """A toy kernel: median of treated days minus median of control days."""
    y = np.where(np.isfinite(trials.y), trials.y, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows without days: NaN
        treated = np.nanmedian(np.where(trials.arm == 1, y, np.nan), axis=1)
        control = np.nanmedian(np.where(trials.arm == 0, y, np.nan), axis=1)
    estimate = treated - control
    reason = np.array([None if np.isfinite(e) else "no days" for e in estimate], dtype=object)
    return Estimates(
        "median_difference", {"estimate": estimate, "p_value": np.full(trials.m, 0.01)}, reason
    )


@pytest.fixture
def with_toy_method(monkeypatch):
    toy = Method(
        key="median_difference",
        name="Median difference",
        words="a difference of medians",
        description="the median of treated days minus the median of control days",
        fields=("estimate", "p_value"),
        kernel=f"{__name__}:median_difference",
        may_be_primary=False,
    )
    monkeypatch.setitem(registry.METHODS, toy.key, toy)
    return toy


def test_a_new_registry_entry_appears_in_every_outcome_of_results(with_toy_method):
    from nof1.analysis.patient import analyze_patient

    root = Path(__file__).resolve().parents[2]
    pf = read_protocol("ldn-nof1-multicycle")
    diary = read_diary(root / SAMPLE / "P01-diary.csv", pf.protocol)
    aligned = align(diary, pf.protocol, root / SAMPLE / "P01-unblinding-key.json")
    results = analyze_patient(aligned, pf).to_dict()
    for outcome in results["outcomes"]:
        effect = outcome["effects"]["median_difference"]
        assert set(effect) == {"estimate", "p_value", "reason"} and effect["reason"] is None
        assert list(outcome["effects"]) == list(registry.METHODS)


def test_a_new_registry_entry_gets_power_rows(with_toy_method):
    pf = read_protocol("ldn-nof1-multicycle")
    out = power_analysis(pf, [-10], Scenario(), sims=20, seed=1)
    (row,) = [r for r in out["results"] if r["method"] == "median_difference"]
    assert row["rejection_rate"] == 1.0 and row["rule"] == "two-sided p <= 0.05"


def test_a_new_registry_entry_is_in_the_report_and_in_every_patient_of_a_series(
    with_toy_method,
):
    """The same entry reaches the report's methods table and the series' per-patient
    results (a series runs the same registry loop on every patient at once)."""
    from nof1.analysis.patient import analyze_patients
    from nof1.report.patient import render_patient_report

    root = Path(__file__).resolve().parents[2]
    pf = read_protocol("ldn-nof1-multicycle")
    diary = read_diary(root / SAMPLE / "P01-diary.csv", pf.protocol)
    aligned = align(diary, pf.protocol, root / SAMPLE / "P01-unblinding-key.json")
    first, second = analyze_patients([aligned, aligned], pf)
    for results in (first.to_dict(), second.to_dict()):
        assert results["outcomes"][0]["effects"]["median_difference"]["reason"] is None
    page = render_patient_report(first.to_dict(), aligned.table, pf.protocol)
    assert "Median difference" in page
