"""Reading and validating diaries: layouts, file kinds, and every problem with its row."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nof1.data import read_allocation, read_diary, read_diary_table
from nof1.design.blinding import draw_schedules, schedule_files
from nof1.errors import DiaryError
from nof1.protocol import load_protocol, read_protocol

FIXTURES = Path(__file__).parent / "fixtures"
PROTOCOL = load_protocol("ldn-nof1-multicycle")
OUTCOMES = [o.name for o in PROTOCOL.outcomes]
START = dt.date(2026, 1, 5)


def write(tmp_path, text: str, name: str = "diary.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(path, **kw) -> list[str]:
    with pytest.raises(DiaryError) as err:
        read_diary(path, PROTOCOL, **kw)
    return err.value.problems


def schedule(tmp_path, seed=7):
    """The files `nof1 schedule` writes for P01; returns its PatientSchedule."""
    pf = read_protocol("ldn-nof1-multicycle")
    (s,) = draw_schedules(pf, ["P01"], START, seed)
    for name, text in schedule_files(pf, [s], START, seed).items():
        (tmp_path / name).write_text(text)
    return s


# --- layouts and file kinds ---------------------------------------------------------------


def test_wide_diary_gives_one_row_per_date_with_outcomes_condition_and_row():
    d = read_diary(FIXTURES / "wide.csv", PROTOCOL)
    answers = PROTOCOL.answer_items  # absent from the file: all missing
    assert list(d.table.columns) == ["date", *OUTCOMES, *answers, "condition", "row"]
    assert d.table[answers[:-1]].isna().all().all() and d.table[answers[-1]].isna().all()
    assert d.table["date"].tolist()[:2] == [dt.date(2026, 1, 5), dt.date(2026, 1, 6)]
    np.testing.assert_array_equal(d.table["pain"], [62, 60, np.nan, 50, 48, 58])
    assert d.table["condition"].tolist()[2:4] == ["baseline", "active"]
    assert d.table["row"].tolist() == [2, 3, 4, 5, 6, 7]
    assert (d.rows, d.patient_id, d.has_condition) == (6, None, True)


def test_a_day_with_all_outcomes_empty_is_kept_as_a_missing_day():
    d = read_diary(FIXTURES / "wide.csv", PROTOCOL)
    assert d.empty_dates == [dt.date(2026, 1, 7)]
    assert d.table.loc[d.table["date"] == dt.date(2026, 1, 7), OUTCOMES].isna().all(axis=None)


def test_long_diary_gives_the_same_table_as_the_wide_one():
    wide = read_diary(FIXTURES / "wide.csv", PROTOCOL)
    long = read_diary(FIXTURES / "long.csv", PROTOCOL)
    columns = ["date", *OUTCOMES, "condition"]
    pd.testing.assert_frame_equal(long.table[columns], wide.table[columns])
    assert (long.patient_id, long.rows) == ("P01", 25)
    assert long.table["row"].tolist() == [2, 7, 11, 12, 17, 22]  # first row of each date


def test_xlsx_diary_with_date_cells_gives_the_same_table_as_the_csv(tmp_path):
    frame = pd.read_csv(FIXTURES / "wide.csv")
    frame["date"] = pd.to_datetime(frame["date"])  # real date cells in the workbook
    path = tmp_path / "diary.xlsx"
    frame.to_excel(path, index=False)
    from_csv = read_diary(FIXTURES / "wide.csv", PROTOCOL)
    from_xlsx = read_diary(path, PROTOCOL)
    pd.testing.assert_frame_equal(from_xlsx.table, from_csv.table)


def test_xlsx_problems_name_the_sheet_row(tmp_path):
    frame = pd.DataFrame({"date": ["2026-01-05", "2026-01-06"], "pain": [40, 130]})
    path = tmp_path / "diary.xlsx"
    frame.to_excel(path, index=False)
    assert problems_of(path) == ["outcome 'pain' value 130 on row 3 is above its maximum 100"]


def test_diary_template_from_nof1_schedule_is_accepted_as_it_is(tmp_path):
    schedule(tmp_path)
    d = read_diary(tmp_path / "P01-diary-template.csv", PROTOCOL)
    assert (len(d.table), d.patient_id, d.rows) == (182, "P01", 182)
    assert len(d.empty_dates) == 182


def test_semicolon_separated_csv_and_capitalised_headers_are_read(tmp_path):
    path = write(tmp_path, "Date;Pain;Sleep Quality\n2026-01-05;40;60\n")
    d = read_diary(path, PROTOCOL)
    assert d.table[["pain", "sleep_quality"]].values.tolist() == [[40.0, 60.0]]


@pytest.mark.parametrize(
    "content",
    [
        b"\xef\xbb\xbfdate,pain\r\n2026-01-05,40\r\n",  # Excel's UTF-8 with BOM, CRLF
        b"date,pain,,\n2026-01-05,40,,\n",  # empty unnamed columns left by a spreadsheet
        b"\n\ndate,pain\n\n2026-01-05,40\n",  # blank lines
        b"date,pain,note\n2026-01-05,40,caf\xe9 au lait\n",  # Windows-1252 text
    ],
)
def test_csv_variants_spreadsheets_write_are_read(tmp_path, content):
    path = tmp_path / "diary.csv"
    path.write_bytes(content)
    assert read_diary(path, PROTOCOL).table["pain"].tolist() == [40.0]


def test_blank_lines_keep_row_numbers_as_a_spreadsheet_shows_them(tmp_path):
    path = write(tmp_path, "date,pain\n\n2026-01-05,400\n")
    assert problems_of(path) == ["outcome 'pain' value 400 on row 3 is above its maximum 100"]


def test_a_row_longer_than_the_header_is_reported(tmp_path):
    path = write(tmp_path, "date,pain\n2026-01-05,40,41\n")
    assert problems_of(path) == ["row 2 has 3 cells but the header only 2 columns"]


def test_na_texts_are_missing_values(tmp_path):
    path = write(tmp_path, "date,pain,fatigue,mood\n2026-01-05,NA,n/a,\n2026-01-06,3,4,5\n")
    d = read_diary(path, PROTOCOL)
    assert d.table.loc[0, ["pain", "fatigue", "mood"]].isna().all()


def test_reading_leaves_the_input_file_byte_identical(tmp_path):
    path = tmp_path / "diary.csv"
    path.write_bytes((FIXTURES / "wide.csv").read_bytes())
    before = path.read_bytes()
    d = read_diary(path, PROTOCOL)
    assert path.read_bytes() == before
    assert d.sha256 == hashlib.sha256(before).hexdigest()


# --- every bad diary gives its message ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "date,pain\n2026-01-05,40\n2026-01-06,130\n",
            "outcome 'pain' value 130 on row 3 is above its maximum 100",
        ),
        (
            "date,pain\n2026-01-05,-1.5\n",
            "outcome 'pain' value -1.5 on row 2 is below its minimum 0",
        ),
        (
            "date,pain\n2026-01-05,severe\n",
            "outcome 'pain' value 'severe' on row 2 is not a number",
        ),
        (
            "date,pain\n2026-01-05,40\n2026-01-06,41\n2026-01-05,42\n",
            "date 2026-01-05 is on rows 2 and 4 (one row per date)",
        ),
        (
            "date,pain\n05/01/2026,40\n",
            "dates like '05/01/2026' (row 2) could be day/month or month/day: no day above 12 "
            "settles it; give --date-format day-first or month-first",
        ),
        ("date,pain\n,40\n", "row 2 has no date"),
        (
            "date,pain,condition\n2026-01-05,40,activ\n",
            "condition 'activ' on row 2 is not one of baseline, active, placebo, washout, "
            "follow_up",
        ),
        (
            "date,pain,period\n2026-01-05,40,first\n",
            "period 'first' on row 2 is not a whole number ≥ 1",
        ),
        (
            "date,day,pain\n2026-01-05,1,40\n2026-01-07,2,40\n",
            "day 2 on row 3 does not match date 2026-01-07, which is day 3 (day 1 = 2026-01-05)",
        ),
        ("date,pain\n", "has no data rows (only a header)"),
        (
            "patient_id,date,outcome,value\nP01,2026-01-05,pain,40\nP01,2026-01-05,pain,41\n",
            "outcome 'pain' for 2026-01-05 is on rows 2 and 3 (one value per outcome per date)",
        ),
        (
            "date,outcome,value\n2026-01-05,itch,40\n",
            "outcome 'itch' on row 2 is not in protocol 'ldn-nof1-multicycle' (outcomes and "
            "items: pain, fatigue, sleep_quality, mood, life_satisfaction, vivid_dreams, "
            "insomnia, headache, nausea, dose_taken, guess)",
        ),
    ],
)
def test_bad_diary_gives_its_message_with_the_spreadsheet_row(tmp_path, text, message):
    assert problems_of(write(tmp_path, text)) == [message]


def test_unknown_column_is_named_with_the_allowed_ones(tmp_path):
    (message,) = problems_of(write(tmp_path, "date,pain,itch\n2026-01-05,40,3\n"))
    assert message == (
        "unknown column(s) 'itch' (allowed: date, patient_id, day, note, condition, period "
        "and the outcomes pain, fatigue, sleep_quality, mood, life_satisfaction, and the "
        "items vivid_dreams, insomnia, headache, nausea, dose_taken, guess)"
    )


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "diary.csv", "is empty (expected a header row: date, then one column per outcome"),
        (b"\n\n  \n", "diary.csv", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "diary.csv", "it is a PNG image"),
        (b"\x00\x01\x02binary", "diary.csv", "is not a CSV or XLSX file (it looks binary)"),
        (b"date,pain\n", "diary.xlsx", "has an .xlsx name but is not an XLSX workbook"),
        (b"PK\x03\x04not really a zip", "diary.xlsx", "is a ZIP file but not a readable XLSX"),
        (b"when,pain\n2026-01-05,4\n", "diary.csv", "no date column"),
        (b"date,itch\n2026-01-05,4\n", "diary.csv", "no outcome column (expected at least one"),
    ],
)
def test_a_file_that_is_not_a_diary_is_refused_with_one_clear_message(
    tmp_path, content, name, message
):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DiaryError) as err:
        read_diary(path, PROTOCOL)
    assert message in err.value.problems[0]
    assert str(path) in str(err.value)


def test_a_missing_file_is_reported_not_raised_as_oserror(tmp_path):
    with pytest.raises(DiaryError, match="cannot be read"):
        read_diary(tmp_path / "nowhere.csv", PROTOCOL)


def test_several_problems_are_all_listed_at_once_in_row_order():
    with pytest.raises(DiaryError) as err:
        read_diary(FIXTURES / "many-problems.csv", PROTOCOL)
    assert err.value.problems == [
        "unknown column(s) 'painn' (allowed: date, patient_id, day, note, condition, period "
        "and the outcomes pain, fatigue, sleep_quality, mood, life_satisfaction, and the "
        "items vivid_dreams, insomnia, headache, nausea, dose_taken, guess)",
        "outcome 'pain' value 130 on row 2 is above its maximum 100",
        "outcome 'pain' value 'lots' on row 3 is not a number",
        "date '5/1/2026' on row 4 is not a date in the form YYYY-MM-DD",
        "date 2026-01-06 is on rows 3 and 5 (one row per date)",
        "outcome 'fatigue' value -3 on row 5 is below its minimum 0",
    ]
    assert "(row 1 is the header): 6 problem(s)" in str(err.value)


# --- patients -------------------------------------------------------------------------------


def two_patients(tmp_path) -> Path:
    return write(
        tmp_path,
        "patient_id,date,pain\nP01,2026-01-05,40\nP02,2026-01-05,50\nP01,2026-01-06,41\n",
    )


def test_several_patients_in_a_file_when_one_is_expected_is_an_error(tmp_path):
    assert problems_of(two_patients(tmp_path)) == [
        "holds 2 patients (P01, P02); pick one with patient_id (--patient)"
    ]


def test_patient_id_picks_one_patient_from_a_file_of_several(tmp_path):
    d = read_diary(two_patients(tmp_path), PROTOCOL, patient_id="P01")
    assert (d.patient_id, d.rows, d.table["pain"].tolist()) == ("P01", 2, [40.0, 41.0])


def test_problems_of_other_patients_do_not_stop_the_one_asked_for(tmp_path):
    path = write(tmp_path, "patient_id,date,pain\nP01,2026-01-05,40\nP02,2026-01-05,500\n")
    assert read_diary(path, PROTOCOL, patient_id="P01").table["pain"].tolist() == [40.0]


def test_diary_of_another_patient_than_the_allocations_is_refused(tmp_path):
    schedule(tmp_path)
    path = write(tmp_path, "patient_id,date,pain\nP07,2026-01-05,40\n")
    (message,) = problems_of(path, allocation=tmp_path / "P01-allocation-blinded.csv")
    assert message.startswith("is the diary of patient 'P07', but patient 'P01' has the allocation")


def test_read_diary_table_splits_by_patient_like_read_diary(tmp_path):
    path = two_patients(tmp_path)
    diaries = read_diary_table(path, PROTOCOL)
    assert list(diaries) == ["P01", "P02"]
    for pid, diary in diaries.items():
        alone = read_diary(path, PROTOCOL, patient_id=pid)
        pd.testing.assert_frame_equal(diary.table, alone.table)
        assert (diary.rows, diary.sha256) == (alone.rows, alone.sha256)


def test_read_diary_table_needs_a_patient_on_every_row_and_lists_all_problems(tmp_path):
    path = write(
        tmp_path,
        "patient_id,date,pain\nP01,2026-01-05,40\n,2026-01-06,50\nP02,2026-01-05,500\n",
    )
    with pytest.raises(DiaryError) as err:
        read_diary_table(path, PROTOCOL)
    assert err.value.problems == [
        "row 3 has no patient_id",
        "outcome 'pain' value 500 on row 4 is above its maximum 100",
    ]
    with pytest.raises(DiaryError, match="has no patient_id column"):
        read_diary_table(FIXTURES / "wide.csv", PROTOCOL)


# --- against an allocation ---------------------------------------------------------------------


def test_dates_outside_the_schedule_are_reported_with_the_allocation(tmp_path):
    schedule(tmp_path)
    path = write(tmp_path, "date,pain\n2026-01-04,40\n2026-01-05,40\n2026-07-06,40\n")
    assert problems_of(path, allocation=tmp_path / "P01-unblinding-key.json") == [
        "date 2026-01-04 on row 2 is outside the schedule in P01-unblinding-key.json "
        "(2026-01-05 to 2026-07-05)",
        "date 2026-07-06 on row 4 is outside the schedule in P01-unblinding-key.json "
        "(2026-01-05 to 2026-07-05)",
    ]


def test_a_condition_contradicting_the_unblinded_allocation_is_reported(tmp_path):
    s = schedule(tmp_path)
    first = "active" if s.allocation[0] else "placebo"
    wrong = "placebo" if s.allocation[0] else "active"
    path = write(
        tmp_path,
        f"date,pain,condition\n2026-01-18,40,baseline\n2026-01-19,40,{first}\n"
        f"2026-01-20,40,{wrong}\n2026-01-21,40,baseline\n",
    )
    assert problems_of(path, allocation=tmp_path / "P01-unblinding-key.json") == [
        f"condition '{wrong}' on row 4 (2026-01-20) contradicts the allocation in "
        f"P01-unblinding-key.json, which has day 16 in treatment period 1 ({first})",
        "condition 'baseline' on row 5 (2026-01-21) contradicts the allocation in "
        f"P01-unblinding-key.json, which has day 17 in treatment period 1 ({first})",
    ]


def test_a_blinded_allocation_checks_treatment_days_but_cannot_tell_active_from_placebo(
    tmp_path,
):
    schedule(tmp_path)
    path = write(
        tmp_path,
        "date,pain,condition,period\n2026-01-18,40,washout,\n2026-01-19,40,active,1\n"
        "2026-01-20,40,placebo,2\n",
    )
    assert problems_of(
        path, allocation=read_allocation(tmp_path / "P01-allocation-blinded.csv")
    ) == [
        "condition 'washout' on row 2 (2026-01-18) contradicts the allocation in "
        "P01-allocation-blinded.csv, which has day 14 in baseline",
        "period 2 on row 4 (2026-01-20) contradicts the allocation in "
        "P01-allocation-blinded.csv, which has day 16 in treatment period 1 (B)",
        # both days are in period 1: the column contradicts itself (issue 10)
        "condition says active on row 3 (period 1) but placebo on row 4 (period 1), both "
        "days of group B: one group has one treatment (is the condition column wrong, or the "
        "allocation?)",
    ]


def test_a_day_column_must_count_from_the_allocations_start(tmp_path):
    schedule(tmp_path)
    path = write(tmp_path, "date,day,pain\n2026-01-06,1,40\n")
    assert problems_of(path, allocation=tmp_path / "P01-allocation-blinded.csv") == [
        "day 1 on row 2 does not match date 2026-01-06, which is day 2 (day 1 = 2026-01-05)"
    ]
