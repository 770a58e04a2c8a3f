"""Diaries as DataFrames: every layout and pandas type a file could give, read the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nof1.data import read_diary
from nof1.data.frame import frame_table, read_diary_frame, read_patients_frame
from nof1.errors import DiaryError
from nof1.protocol import load_protocol

ROOT = Path(__file__).resolve().parents[2]
DIARY = ROOT / "sample_data" / "ldn-nof1-multicycle" / "P01-diary.csv"
SERIES = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series" / "series-diary.csv"
PROTOCOL = load_protocol("ldn-nof1-multicycle")


def same_table(a, b) -> None:
    pd.testing.assert_frame_equal(a.table, b.table)


def test_a_frame_reads_as_its_file():
    from_file = read_diary(DIARY, PROTOCOL)
    from_frame = read_diary_frame(pd.read_csv(DIARY), PROTOCOL)
    same_table(from_frame, from_file)
    assert (from_frame.rows, from_frame.patient_id) == (from_file.rows, from_file.patient_id)
    assert from_frame.sha256 != from_file.sha256  # the frame's CSV text, not the file's bytes


def test_the_long_form_reads_as_the_wide_one():
    wide = pd.read_csv(DIARY)
    long = wide.melt(id_vars=["patient_id", "date", "day", "note"], var_name="outcome")
    long = long.sort_values(["date", "outcome"], kind="stable").drop(columns="note")
    got = read_diary_frame(long, PROTOCOL)
    pd.testing.assert_frame_equal(
        got.table.drop(columns="row"), read_diary_frame(wide, PROTOCOL).table.drop(columns="row")
    )


def test_nullable_and_missing_values_of_every_pandas_kind():
    frame = pd.read_csv(DIARY).head(10)
    frame["pain"] = frame["pain"].astype("Int64")
    frame.loc[2, "pain"] = pd.NA
    frame["fatigue"] = frame["fatigue"].astype(float)
    frame.loc[3, "fatigue"] = np.nan
    frame["mood"] = frame["mood"].astype(object)
    frame.loc[4, "mood"] = None
    frame.loc[5, "sleep_quality"] = np.nan
    frame["date"] = pd.to_datetime(frame["date"])
    frame.loc[6, "date"] = pd.NaT
    with pytest.raises(DiaryError) as caught:
        read_diary_frame(frame, PROTOCOL)
    assert caught.value.problems == ["row 8 has no date"]  # only the missing date is wrong
    got = read_diary_frame(frame.drop(index=6), PROTOCOL)
    assert np.isnan(got.table.loc[2, "pain"]) and np.isnan(got.table.loc[3, "fatigue"])
    assert np.isnan(got.table.loc[4, "mood"])
    assert got.table["row"].tolist() == list(range(2, 11))  # by position: iloc[i] is row i + 2


def test_blank_rows_count_as_rows_as_in_a_spreadsheet():
    frame = pd.read_csv(DIARY).head(5)
    blank = pd.DataFrame([[None] * frame.shape[1]], columns=frame.columns)
    frame = pd.concat([blank, frame], ignore_index=True)
    frame.loc[3, "pain"] = 500
    with pytest.raises(DiaryError) as caught:
        read_diary_frame(frame, PROTOCOL)
    assert caught.value.problems == ["outcome 'pain' value 500 on row 5 is above its maximum 100"]


def test_columns_a_file_cannot_have():
    frame = pd.read_csv(DIARY).head(3)
    nested = frame.copy()
    nested.columns = pd.MultiIndex.from_tuples([("diary", c) for c in frame.columns])
    with pytest.raises(DiaryError, match="several header rows"):
        frame_table(nested)
    unnamed = frame.rename(columns={"note": ""})
    unnamed[""] = "x"
    with pytest.raises(DiaryError, match="column I has values but no name"):
        frame_table(unnamed)
    empty = frame_table(frame.rename(columns={"note": ""}))  # an empty unnamed column: dropped
    assert "" not in empty.names and empty.names[-1] == "life_satisfaction"
    with pytest.raises(TypeError, match="expected a pandas DataFrame"):
        frame_table([[1, 2]])


def test_a_frame_of_many_patients_splits_by_patient():
    frame = pd.read_csv(SERIES)
    frame = frame[frame["patient_id"].isin(["P01", "P02"])]
    table = read_patients_frame(frame, load_protocol("ldn-fibromyalgia-2013"))
    assert list(table.diaries) == ["P01", "P02"] and not table.problems
    with pytest.raises(DiaryError, match="has no patient_id column"):
        read_patients_frame(
            frame.drop(columns="patient_id"), load_protocol("ldn-fibromyalgia-2013")
        )
