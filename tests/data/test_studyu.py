"""StudyU participant exports read with a mapping file into the same Diary."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from nof1.data import align, read_diary, read_studyu, read_studyu_mapping, read_studyu_table
from nof1.data.studyu import DEFAULT_START
from nof1.design.blinding import draw_schedules, schedule_files
from nof1.errors import DiaryError
from nof1.protocol import load_protocol, read_protocol

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT = FIXTURES / "studyu-export.csv"
MAPPING = FIXTURES / "studyu-map.yaml"
PROTOCOL = load_protocol("ldn-nof1-multicycle")


def mapping(tmp_path, text: str) -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(text)
    return path


def export(tmp_path, text: str) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(text)
    return path


BASIC_MAP = 'outcomes: {"Pain?": pain}\ninterventions: {LDN: active, Placebo: placebo}\n'


def test_studyu_export_becomes_a_diary_with_dates_conditions_and_outcomes():
    d = read_studyu(EXPORT, MAPPING, PROTOCOL)
    t = d.table
    assert (d.patient_id, d.rows) == ("u-17", 7)
    assert t["date"].tolist() == [dt.date(2026, 1, d) for d in (5, 6, 7, 8, 10, 11)]
    assert t["condition"].tolist() == ["baseline"] * 3 + ["active"] * 2 + ["placebo"]
    assert t["fatigue"].tolist()[3] == 45  # day 4's two rows (one per task) are merged
    assert t["row"].tolist() == [2, 3, 4, 5, 7, 8]
    assert t[["sleep_quality", "mood", "life_satisfaction"]].isna().all(axis=None)


def test_studyu_diary_equals_the_same_diary_typed_by_hand():
    studyu = read_studyu(EXPORT, MAPPING, PROTOCOL)
    by_hand = read_diary(FIXTURES / "wide.csv", PROTOCOL)
    columns = ["date", "pain", "fatigue", "condition"]
    pd.testing.assert_frame_equal(studyu.table[columns], by_hand.table[columns])
    pd.testing.assert_frame_equal(
        align(studyu, PROTOCOL).table.drop(columns=["sleep_quality", "mood", "life_satisfaction"]),
        align(by_hand, PROTOCOL).table.drop(columns=["sleep_quality", "mood", "life_satisfaction"]),
    )


def test_without_a_start_date_day_one_is_the_documented_placeholder(tmp_path):
    path = mapping(tmp_path, BASIC_MAP)
    data = export(
        tmp_path,
        "participant_id,current_day_of_study,current_intervention_name,Pain?\nu1,1,LDN,40\n"
        "u1,3,Placebo,50\n",
    )
    d = read_studyu(data, path, PROTOCOL)
    assert d.table["date"].tolist() == [DEFAULT_START, DEFAULT_START + dt.timedelta(days=2)]
    assert DEFAULT_START == dt.date(2000, 1, 1)
    given = read_studyu(data, path, PROTOCOL, start_date=dt.date(2026, 3, 1))
    assert given.table["date"].tolist()[0] == dt.date(2026, 3, 1)


def test_start_date_comes_from_the_argument_then_the_mapping_then_the_allocation(tmp_path):
    pf = read_protocol("ldn-nof1-multicycle")
    (s,) = draw_schedules(pf, ["u1"], dt.date(2026, 2, 2), 7)
    files = schedule_files(pf, [s], dt.date(2026, 2, 2), 7)
    allocation = tmp_path / "alloc.csv"
    allocation.write_text(files["u1-allocation-blinded.csv"])
    data = export(
        tmp_path,
        "participant_id,current_day_of_study,current_intervention_name,Pain?\nu1,1,,40\n",
    )

    def first_date(mapping_text, **kw):
        diary = read_studyu(data, mapping(tmp_path, mapping_text), PROTOCOL, **kw)
        return diary.table["date"].iloc[0]

    dated = BASIC_MAP + "start_date: 2026-03-01\n"
    assert first_date(BASIC_MAP, allocation=allocation) == dt.date(2026, 2, 2)
    assert first_date(dated, allocation=allocation) == dt.date(2026, 3, 1)
    assert first_date(dated, start_date=dt.date(2026, 4, 1)) == dt.date(2026, 4, 1)


def test_first_day_zero_counts_study_days_from_zero(tmp_path):
    path = mapping(tmp_path, BASIC_MAP + "first_day: 0\nstart_date: 2026-01-05\n")
    data = export(
        tmp_path,
        "participant_id,current_day_of_study,current_intervention_name,Pain?\nu1,0,LDN,40\n",
    )
    assert read_studyu(data, path, PROTOCOL).table["date"].tolist() == [dt.date(2026, 1, 5)]


def test_unknown_questions_and_interventions_and_bad_values_are_all_reported(tmp_path):
    path = mapping(tmp_path, BASIC_MAP)
    data = export(
        tmp_path,
        "participant_id,current_day_of_study,current_intervention_name,Pain?,Mood?\n"
        "u1,1,LDN,40,3\nu1,2,Vitamin C,50,3\nu1,two,LDN,50,3\nu1,4,LDN,140,3\n",
    )
    with pytest.raises(DiaryError) as err:
        read_studyu(data, path, PROTOCOL)
    assert err.value.problems == [
        f"unknown column 'Mood?': not a question in the outcomes or ignore list of {path}",
        f"intervention 'Vitamin C' on row 3 is not in the interventions of {path}",
        "current_day_of_study 'two' on row 4 is not a whole number ≥ 1",
        "outcome 'pain' value 140 on row 5 is above its maximum 100",
    ]


def test_ignored_questions_are_skipped(tmp_path):
    path = mapping(tmp_path, BASIC_MAP + 'ignore: ["Mood?"]\n')
    data = export(
        tmp_path,
        "participant_id,current_day_of_study,current_intervention_name,Pain?,Mood?\n"
        "u1,1,LDN,40,3\n",
    )
    assert read_studyu(data, path, PROTOCOL).table["pain"].tolist() == [40.0]


def test_two_rows_of_one_day_that_disagree_are_reported(tmp_path):
    path = mapping(tmp_path, BASIC_MAP)
    data = export(
        tmp_path,
        "participant_id,current_day_of_study,current_intervention_name,Pain?\n"
        "u1,1,LDN,40\nu1,1,LDN,45\n",
    )
    with pytest.raises(DiaryError) as err:
        read_studyu(data, path, PROTOCOL)
    assert err.value.problems == [
        "rows 2 and 3 give different 'pain' answers for 2000-01-01 (participant 'u1')"
    ]


def test_an_export_of_several_participants_splits_by_participant(tmp_path):
    data = tmp_path / "export.csv"
    text = EXPORT.read_text()
    data.write_text(text + text.split("\n", 1)[1].replace("u-17", "u-18"))
    diaries = read_studyu_table(data, MAPPING, PROTOCOL)
    assert list(diaries) == ["u-17", "u-18"]
    pd.testing.assert_frame_equal(
        diaries["u-18"].table.drop(columns="row"),
        diaries["u-17"].table.drop(columns="row"),
    )
    with pytest.raises(DiaryError, match="holds 2 patients"):
        read_studyu(data, MAPPING, PROTOCOL)
    assert read_studyu(data, MAPPING, PROTOCOL, patient_id="u-18").rows == 7


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('outcomes: {"Pain?": itch}\ninterventions: {LDN: active}\n', "outcomes.Pain?: expected"),
        ('outcomes: {"Pain?": pain}\ninterventions: {LDN: drug}\n', "interventions.LDN: expected"),
        ('outcomes: {"Pain?": pain}\n', "interventions: required"),
        (BASIC_MAP + "start: 2026-01-05\n", "start: unknown field"),
        (BASIC_MAP + "start_date: soon\n", "start_date: expected a date"),
        ('outcomes: {"A?": pain, "B?": pain}\ninterventions: {LDN: active}\n', "'pain' is mapped"),
        ("- just a list\n", "must be a mapping"),
    ],
)
def test_a_bad_mapping_file_names_the_field(tmp_path, text, message):
    with pytest.raises(DiaryError) as err:
        read_studyu_mapping(mapping(tmp_path, text), PROTOCOL)
    assert message in str(err.value)
    assert str(tmp_path / "map.yaml") in str(err.value)


def test_a_json_mapping_works_too(tmp_path):
    path = tmp_path / "map.json"
    path.write_text('{"outcomes": {"Pain?": "pain"}, "interventions": {"LDN": "active"}}')
    assert read_studyu_mapping(path, PROTOCOL).outcomes == {"pain?": "pain"}


def test_reading_an_export_leaves_it_byte_identical(tmp_path):
    data = tmp_path / "export.csv"
    shutil.copy(EXPORT, data)
    before = data.read_bytes()
    read_studyu(data, MAPPING, PROTOCOL)
    assert data.read_bytes() == before
