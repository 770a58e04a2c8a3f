"""Diaries as DataFrames: every layout and pandas type a file could give, read the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nof1
from nof1.data import read_diary, read_patients
from nof1.errors import DiaryError
from nof1.protocol import load_protocol

ROOT = Path(__file__).resolve().parents[2]
DIARY = ROOT / "sample_data" / "ldn-nof1-multicycle" / "P01-diary.csv"
KEY = ROOT / "sample_data" / "ldn-nof1-multicycle" / "P01-unblinding-key.json"
SERIES = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series" / "series-diary.csv"
PROTOCOL = load_protocol("ldn-nof1-multicycle")


def test_a_frame_reads_as_its_file():
    from_file = read_diary(DIARY, PROTOCOL)
    from_frame = read_diary(pd.read_csv(DIARY), PROTOCOL)
    pd.testing.assert_frame_equal(from_frame.table, from_file.table)
    assert (from_frame.rows, from_frame.patient_id) == (from_file.rows, from_file.patient_id)


def test_the_long_form_reads_as_the_wide_one():
    wide = pd.read_csv(DIARY)
    long = wide.melt(id_vars=["patient_id", "date", "day", "note"], var_name="outcome")
    long = long.sort_values(["date", "outcome"], kind="stable").drop(columns="note")
    got = read_diary(long, PROTOCOL).table.drop(columns="row")
    pd.testing.assert_frame_equal(got, read_diary(wide, PROTOCOL).table.drop(columns="row"))


def test_nullable_types_and_every_missing_value_of_pandas():
    frame = pd.read_csv(DIARY).head(10)
    frame["pain"] = frame["pain"].astype("Int64")
    frame.loc[2, "pain"] = pd.NA
    frame["fatigue"] = frame["fatigue"].astype(float)
    frame.loc[3, "fatigue"] = np.nan
    frame["mood"] = frame["mood"].astype(object)
    frame.loc[4, "mood"] = None
    frame["date"] = pd.to_datetime(frame["date"])
    frame.loc[6, "date"] = pd.NaT
    with pytest.raises(DiaryError) as caught:
        read_diary(frame, PROTOCOL)
    assert caught.value.problems == ["row 8 has no date"]  # only the missing date is wrong
    got = read_diary(frame.drop(index=6), PROTOCOL).table
    assert np.isnan(got.loc[2, "pain"]) and np.isnan(got.loc[3, "fatigue"])
    assert np.isnan(got.loc[4, "mood"])
    assert got["row"].tolist() == list(range(2, 11))  # by position: iloc[i] is row i + 2
    converted = read_diary(pd.read_csv(DIARY).convert_dtypes(), PROTOCOL)
    pd.testing.assert_frame_equal(converted.table, read_diary(DIARY, PROTOCOL).table)


def test_blank_rows_count_as_rows_as_in_a_spreadsheet():
    frame = pd.read_csv(DIARY).head(5)
    blank = pd.DataFrame([[None] * frame.shape[1]], columns=frame.columns)
    frame = pd.concat([blank, frame], ignore_index=True)
    frame.loc[3, "pain"] = 500
    with pytest.raises(DiaryError) as caught:
        read_diary(frame, PROTOCOL)
    assert caught.value.problems == ["outcome 'pain' value 500 on row 5 is above its maximum 100"]


def test_a_named_index_is_a_column_and_several_header_rows_are_refused():
    frame = pd.read_csv(DIARY)
    plain = nof1.analyze(frame, "ldn-nof1-multicycle", KEY)
    indexed = nof1.analyze(frame.set_index("date"), "ldn-nof1-multicycle", KEY)
    pd.testing.assert_frame_equal(indexed.effects, plain.effects)
    nested = frame.copy()
    nested.columns = pd.MultiIndex.from_tuples([("diary", c) for c in frame.columns])
    with pytest.raises(DiaryError, match="several header rows"):
        nof1.analyze(nested, "ldn-nof1-multicycle", KEY)


def test_a_frame_of_many_patients_splits_by_patient():
    frame = pd.read_csv(SERIES)
    frame = frame[frame["patient_id"].isin(["P01", "P02"])]
    table = read_patients(frame, load_protocol("ldn-fibromyalgia-2013"))
    assert list(table.diaries) == ["P01", "P02"] and not table.problems
    with pytest.raises(DiaryError, match="has no patient_id column"):
        read_patients(frame.drop(columns="patient_id"), load_protocol("ldn-fibromyalgia-2013"))
