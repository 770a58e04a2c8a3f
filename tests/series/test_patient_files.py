"""A series patient's files: results.json's layout and aligned.csv, written fast, give the
text of the straightforward writers (one value at a time; pandas' ``to_csv``); series.json's
entries are ``json.dumps(indent=2)``'s text."""

from __future__ import annotations

import json
import pickle
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nof1.analysis.patient import analyze_patient
from nof1.data import align, read_allocation, read_diary
from nof1.outputs.json_text import json_text
from nof1.protocol import read_protocol
from nof1.report.results_file import results_text
from nof1.series.results import PatientFiles, patient_files
from tests.oracles.results_layout import results_text as oracle_text

SAMPLE = Path(__file__).parents[2] / "sample_data" / "ldn-nof1-multicycle"


@pytest.fixture(scope="module")
def patient():
    pf = read_protocol("ldn-nof1-multicycle")
    diary = read_diary(SAMPLE / "P01-diary.csv", pf.protocol)
    allocation = read_allocation(SAMPLE / "P01-unblinding-key.json", "P01")
    aligned = align(diary, pf.protocol, allocation)
    return analyze_patient(aligned, pf), aligned


@pytest.mark.parametrize("levels", [0, 1, 2, 3, 4, 5, 8])
def test_results_text_is_the_one_value_at_a_time_layout(patient, levels):
    content = patient[0].to_dict()
    assert results_text(content, levels) == oracle_text(content, levels)


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        [1, 2.5, "x"],
        {"a": [], "b": {}, "c": [[1, 2], [3]], "d": [{"e": {"f": {"g": [1, {"h": None}]}}}]},
        {"a": {"b": "\x00nof1\x00"}, "c": [{"x": 1}, {"y": ', "\\u0000nof1\\u0000", '}]},
        {"a": {"b": ["x", "\x00nof1\x00", "y"], "c": "\x00nof1\x00"}, "d": ["\x00nof1\x00"]},
        {"é": {"ü": ["→", 1e-05, -0.0, 1e16, True]}},
    ],
)
def test_results_text_of_odd_values_and_of_strings_holding_the_separator(value):
    assert results_text(value) == oracle_text(value)
    assert json.loads(results_text(value)) == value


def test_results_text_refuses_nan_as_the_json_module_does():
    with pytest.raises(ValueError):
        results_text({"a": {"b": {"c": {"d": float("nan")}}}, "e": [float("nan")]})


def test_patient_files_carry_the_results_they_were_made_from(patient):
    files = patient_files(*patient)
    assert isinstance(files, PatientFiles) and sorted(files) == ["aligned.csv", "results.json"]
    assert files.results == json.loads(files["results.json"])
    sent = pickle.loads(pickle.dumps(files))  # to the parent: the texts alone
    assert type(sent) is dict and sent == dict(files)


def _pandas_csv(table: pd.DataFrame) -> str:
    """aligned.csv as pandas writes it (the format's definition)."""
    out = table.copy()
    out["date"] = [d.isoformat() for d in out["date"]]
    for col in ("included", "observed"):
        out[col] = np.where(out[col], "true", "false")
    return out.to_csv(index=False, lineterminator="\n")


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t,
        lambda t: t.assign(pain=t.pain + 0.5, fatigue=t.fatigue / 7),
        lambda t: t.assign(pain=-0.0, mood=np.nan, sleep_quality=t.sleep_quality * 1e-7),
        lambda t: t.assign(pain=t.pain + 5000, fatigue=np.inf),
        lambda t: t.assign(day=t.day * 1000, cycle=t.cycle * 1001),
        lambda t: t.assign(day=-t.day, period=pd.array([None] * len(t), dtype="Int64")),
        lambda t: t.assign(guess=np.where(t.day % 2 == 0, "a,b", None)),
        lambda t: t.assign(guess=np.where(t.day % 3 == 0, 'say "x"', "")),
        lambda t: t.assign(phase=t.phase.where(t.day > 3, None)),
        lambda t: t.iloc[:1],
        lambda t: t.iloc[:0],
    ],
)
def test_aligned_csv_is_what_pandas_writes(patient, change):
    aligned = patient[1]
    table = change(aligned.table.copy())
    assert replace(aligned, table=table).to_csv() == _pandas_csv(table)


ODD_VALUES = [
    {},
    [],
    "é",
    [1, 2.5, "x"],
    {"a": [], "b": {}, "c": [[1, 2], [3]], "d": [{"e": {"f": {"g": [1, {"h": None}]}}}]},
    {"a": {"b": "\x00nof1\x00"}, "c": [{"x": 1}, {"y": ', "\\u0000nof1\\u0000", '}]},
    {"é": {"ü": ["→", 1e-05, -0.0, 1e16, True]}, "t": (1, (2, {"k": ()}))},
    {1: "int key", None: "null key", 2.5: [], False: {}},
    {"np": [np.float64(0.1), np.float64(-3.5e-300)], "big": 10**30},
]


@pytest.mark.parametrize("value", ODD_VALUES)
@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_json_text_is_json_dumps_indent_2_byte_for_byte(value, ensure_ascii):
    want = json.dumps(value, indent=2, ensure_ascii=ensure_ascii, allow_nan=False)
    assert json_text(value, ensure_ascii=ensure_ascii) == want


def test_json_text_of_a_results_file_is_json_dumps_indent_2(patient):
    content = patient[0].to_dict()
    assert json_text(content, ensure_ascii=True) == json.dumps(content, indent=2)
    with pytest.raises(ValueError):
        json_text({"a": [float("inf")]})
