"""The batched per-patient analysis of a series gives each patient's own analysis."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import trapezoid

from nof1.analysis.patient import analyze_patient, analyze_patients
from nof1.data import align, read_allocations, read_diary, read_diary_table
from nof1.design.blinding import patient_ids, schedule_files
from nof1.protocol import read_protocol
from nof1.simulate import simulate_diaries

START = dt.date(2026, 1, 5)
TOLERANCE = 1e-9


def assert_same(a, b, path="results"):
    """Equal dicts, lists, strings, bools and None; floats within TOLERANCE (relative to
    their size when above 1, else absolute)."""
    if isinstance(a, float) and isinstance(b, float):
        assert abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b)), f"{path}: {a} != {b}"
    elif isinstance(a, dict) and isinstance(b, dict):
        assert list(a) == list(b), f"{path}: keys {list(a)} != {list(b)}"
        for key in a:
            assert_same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{path}: lengths {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]")
    else:
        assert type(a) is type(b) and a == b, f"{path}: {a!r} != {b!r}"


def test_the_comparer_can_fail():
    assert_same({"a": [1.0, None, "x"]}, {"a": [1.0 + 1e-12, None, "x"]})
    for other in ({"a": [1.0 + 1e-6, None, "x"]}, {"a": [1.0, 0.0, "x"]}, {"b": [1.0]}):
        with pytest.raises(AssertionError):
            assert_same({"a": [1.0, None, "x"]}, other)


def simulated(tmp_path, protocol_id: str, n: int, seed: int):
    """A simulated series with 10% missing values, its allocations in tmp_path:
    (ProtocolFile, the diary table's path)."""
    pf = read_protocol(protocol_id)
    pairs = simulate_diaries(
        pf, patient_ids(n), START, seed, effect=-8, effect_sd=5, sd=12, phi=0.5, missing=0.1
    )
    table = pd.concat([d for _, d in pairs], ignore_index=True)
    table.to_csv(tmp_path / "diary.csv", index=False)
    for name, text in schedule_files(pf, [s for s, _ in pairs], START, seed).items():
        if name.startswith("series-"):
            (tmp_path / name).write_text(text)
    return pf, tmp_path / "diary.csv"


def aligned_series(pf, diary, allocation_file):
    allocations = read_allocations(allocation_file)
    diaries = read_diary_table(diary, pf.protocol, allocations)
    return [align(d, pf.protocol, allocations[pid]) for pid, d in diaries.items()]


def with_condition_column(tmp_path, pf, aligned, drop_first: int, drop_last: int):
    """The aligned diary written back with a condition column, whole days deleted."""
    t = aligned.table.iloc[drop_first : len(aligned.table) - drop_last]
    t = t[t["observed"]]
    diary = t[["date", "condition", *[o.name for o in pf.protocol.outcomes]]].copy()
    diary.insert(0, "patient_id", aligned.patient_id)
    path = tmp_path / f"{aligned.patient_id}-{drop_first}-{drop_last}-diary.csv"
    diary.to_csv(path, index=False)
    return align(read_diary(path, pf.protocol), pf.protocol)


def assert_batched_equals_single(aligned, pf):
    batched = analyze_patients(aligned, pf, seed=3, command="nof1 series x")
    assert len(batched) == len(aligned)
    for a, b in zip(aligned, batched, strict=True):
        one = analyze_patient(a, pf, seed=3, command="nof1 series x")
        assert_same(b.to_dict(), one.to_dict(), a.patient_id)


def test_batched_analysis_equals_single_analyses_unblinded_and_by_condition_column(tmp_path):
    pf, diary = simulated(tmp_path, "ldn-nof1-multicycle", 4, seed=5)
    aligned = aligned_series(pf, diary, tmp_path / "series-unblinding-key.json")
    # Condition-column diaries: on the protocol's calendar, and off it (shorter, its
    # periods from the runs of one condition), so the batch pads differing lengths.
    on_calendar = with_condition_column(tmp_path, pf, aligned[0], 0, 0)
    off_calendar = with_condition_column(tmp_path, pf, aligned[1], 3, 20)
    assert on_calendar.allocation is not None and off_calendar.allocation is None
    assert len(off_calendar.table) < len(on_calendar.table)
    # An outcome without placebo days: unavailable methods, with their reasons.
    t = aligned[2].table.copy()
    t.loc[t["condition"] == "placebo", "fatigue"] = np.nan
    no_placebo = dataclasses.replace(aligned[2], table=t)
    series = [*aligned[:2], no_placebo, aligned[3], on_calendar, off_calendar]
    assert_batched_equals_single(series, pf)


def test_batched_analysis_equals_single_analyses_blinded_with_unequal_periods(tmp_path):
    pf, diary = simulated(tmp_path, "ldn-fibromyalgia-2013", 4, seed=8)
    aligned = aligned_series(pf, diary, tmp_path / "series-allocation-blinded.csv")
    assert all(a.blinded for a in aligned)
    assert_batched_equals_single(aligned, pf)


def test_batched_bayes_reports_the_posterior_density_of_bayes_ar1(tmp_path):
    pf, diary = simulated(tmp_path, "ldn-nof1-multicycle", 2, seed=2)
    a = aligned_series(pf, diary, tmp_path / "series-unblinding-key.json")[0]
    (batched,) = analyze_patients([a], pf)
    density = batched.outcome("pain").effects["bayes_ar1"].extra["density"]
    assert len(density["x"]) == len(density["y"]) == 121
    # A density: it integrates to about 0.999 over the central 99.9%.
    assert math.isclose(trapezoid(density["y"], density["x"]), 0.999, abs_tol=2e-3)


def test_an_empty_series_gives_no_results():
    assert analyze_patients([], read_protocol("ldn-nof1-multicycle")) == []
