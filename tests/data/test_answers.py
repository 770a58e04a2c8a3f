"""The diary's answer items: every accepted spelling, every bad value, the guess's days,
the template and the calendar (issue 16 items 1-2 and its "Bad input")."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from nof1.cli import main
from nof1.data import read_diary
from nof1.data.align import align, load_aligned
from nof1.design.blinding import PatientSchedule, draw_schedules, schedule_files
from nof1.design.timeline import build_timeline
from nof1.errors import DiaryError
from nof1.files.calendar import calendar_csv, calendar_ics
from nof1.files.diary_csv import diary_template_csv
from nof1.protocol import load_protocol, read_protocol

PROTOCOL = load_protocol("ldn-nof1-multicycle")
START = dt.date(2026, 1, 5)
YES = ["yes", "YES", " Yes ", "y", "Y", "true", "TRUE", "True", "1"]
NO = ["no", "No", "n", "N", "false", "FALSE", "0"]


def condition(day: int) -> str:
    """Conditions of multicycle under the allocation active, placebo, ... (28-day periods)."""
    if day <= 14:
        return "baseline"
    return "active" if ((day - 15) // 28) % 2 == 0 else "placebo"


def diary(tmp_path, cells: dict, days=range(1, 43), name="diary.csv"):
    """A diary with a condition column; ``cells`` is {(day, column): text}."""
    rows = []
    for d in days:
        row = {"date": (START + dt.timedelta(days=d - 1)).isoformat(), "pain": "50"}
        row |= {"condition": condition(d)}
        row |= {col: text for (day, col), text in cells.items() if day == d}
        rows.append(row)
    path = tmp_path / name
    pd.DataFrame(rows).fillna("").to_csv(path, index=False)
    return path


def problems_of(path, protocol=PROTOCOL) -> list[str]:
    with pytest.raises(DiaryError) as err:
        align(read_diary(path, protocol), protocol)
    return err.value.problems


@pytest.mark.parametrize("column", ["vivid_dreams", "nausea", "dose_taken"])
def test_every_spelling_of_yes_and_no_is_read(tmp_path, column):
    texts = YES + NO
    path = diary(tmp_path, {(k + 1, column): t for k, t in enumerate(texts)})
    table = align(read_diary(path, PROTOCOL), PROTOCOL).table
    expected = [1.0] * len(YES) + [0.0] * len(NO)
    assert table[column].tolist()[: len(texts)] == expected
    assert np.isnan(table[column].to_numpy()[len(texts) :]).all()  # empty: missing
    assert table[column].dtype == float


def test_missing_texts_are_missing_answers(tmp_path):
    path = diary(tmp_path, {(1, "insomnia"): "NA", (2, "insomnia"): "n/a", (3, "guess"): ""})
    table = align(read_diary(path, PROTOCOL), PROTOCOL).table
    assert np.isnan(table["insomnia"][:3]).all() and table["guess"][:3].isna().all()


def test_workbook_booleans_and_numbers_are_yes_and_no(tmp_path):
    path = tmp_path / "diary.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["date", "pain", "condition", "headache", "dose_taken"])
    for d, (headache, taken) in enumerate([(True, 1), (False, 0), (None, 1.0)], start=1):
        book.active.append([START + dt.timedelta(days=d - 1), 50, "baseline", headache, taken])
    book.save(path)
    table = read_diary(path, PROTOCOL).table
    assert table["headache"].tolist()[:2] == [1.0, 0.0] and np.isnan(table["headache"][2])
    assert table["dose_taken"].tolist() == [1.0, 0.0, 1.0]


@pytest.mark.parametrize("text", ["drug", "Drug", "PLACEBO", " unsure "])
def test_the_three_guesses_are_read_in_any_case(tmp_path, text):
    table = align(read_diary(diary(tmp_path, {(42, "guess"): text}), PROTOCOL), PROTOCOL).table
    assert table["guess"].dtype == object
    assert table["guess"][41] == text.strip().lower()
    assert table["guess"].drop(41).map(lambda g: g is None).all()


@pytest.mark.parametrize("text", ["maybe", "2", "0.5", "yes!", "si", "ja"])
def test_a_yes_no_value_that_is_neither_names_file_row_and_column(tmp_path, text):
    path = diary(tmp_path, {(3, "vivid_dreams"): text})
    assert problems_of(path) == [
        f"'vivid_dreams' value '{text}' on row 4 is not yes or no (yes/no, y/n, true/false or 1/0)"
    ]
    with pytest.raises(DiaryError) as err:
        read_diary(path, PROTOCOL)
    assert err.value.problems[0].row == 4 and err.value.problems[0].column == "vivid_dreams"
    assert str(path) in str(err.value)


@pytest.mark.parametrize("text", ["active", "LDN", "yes", "A", "don't know"])
def test_a_guess_outside_the_three_answers_is_named(tmp_path, text):
    assert problems_of(diary(tmp_path, {(42, "guess"): text})) == [
        f"'guess' value '{text}' on row 43 is not one of drug, placebo, unsure"
    ]


def test_a_guess_on_a_day_the_question_is_not_asked_names_the_row_and_the_days(tmp_path):
    path = diary(tmp_path, {(41, "guess"): "drug"}, days=range(1, 183))
    assert problems_of(path) == [
        "'guess' value 'drug' on row 42 (2026-02-14, day 41) is on a day the blinding question "
        "is not asked: it is asked on the last day of each treatment period (days 42, 70, 98, "
        "126, 154, 182)"
    ]


def test_a_guess_on_a_day_the_question_is_not_asked_is_refused_with_an_allocation(tmp_path):
    pf = read_protocol("ldn-nof1-multicycle")
    (s,) = draw_schedules(pf, ["P01"], START, 7)
    for name, text in schedule_files(pf, [s], START, 7).items():
        (tmp_path / name).write_text(text)
    frame = pd.read_csv(tmp_path / "P01-diary-template.csv", dtype=str, keep_default_na=False)
    frame["pain"] = "50"
    frame.loc[41, "guess"] = "placebo"  # day 42: asked
    frame.loc[0, "guess"] = "unsure"  # day 1: baseline, not asked
    frame.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(DiaryError) as err:
        load_aligned(tmp_path / "d.csv", pf.protocol, tmp_path / "P01-allocation-blinded.csv")
    assert err.value.problems == [
        "'guess' value 'unsure' on row 2 (2026-01-05, day 1) is on a day the blinding question "
        "is not asked: it is asked on the last day of each treatment period (days 42, 70, 98, "
        "126, 154, 182)"
    ]
    frame.loc[0, "guess"] = ""
    frame.to_csv(tmp_path / "d.csv", index=False)
    a = load_aligned(tmp_path / "d.csv", pf.protocol, tmp_path / "P01-allocation-blinded.csv")
    assert a.table["guess"][41] == "placebo"


def test_the_cli_says_so_in_one_line_and_writes_nothing(tmp_path):
    path = diary(tmp_path, {(5, "dose_taken"): "perhaps"})
    result = CliRunner().invoke(
        main,
        ["analyze", str(path), "--protocol", "ldn-nof1-multicycle", "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "'dose_taken' value 'perhaps' on row 6 is not yes or no" in result.output
    assert not (tmp_path / "o").exists()


def test_a_diary_without_the_columns_is_valid_and_they_are_missing(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("date,pain,condition\n2026-01-05,50,baseline\n2026-01-06,51,baseline\n")
    table = align(read_diary(path, PROTOCOL), PROTOCOL).table
    assert list(table.columns[-6:]) == PROTOCOL.answer_items
    assert np.isnan(table[PROTOCOL.yes_no_items].to_numpy()).all()
    assert table["guess"].map(lambda g: g is None).all() and table["guess"].dtype == object


def test_the_long_layout_carries_answers_too(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "date,condition,outcome,value\n2026-01-05,baseline,pain,40\n"
        "2026-01-05,baseline,vivid_dreams,yes\n2026-01-06,baseline,pain,41\n"
        "2026-01-06,baseline,dose_taken,No\n"
    )
    table = read_diary(path, PROTOCOL).table
    assert table["vivid_dreams"].tolist()[0] == 1.0 and table["dose_taken"].tolist()[1] == 0.0


def test_a_protocol_without_items_refuses_their_columns(tmp_path):
    from protocol_variants import protocol_dict

    from nof1.protocol.model import Protocol

    data = protocol_dict("ldn-nof1-multicycle")
    for key in ("adverse_events", "adherence", "blinding_check"):
        data.pop(key)
    bare = Protocol.model_validate(data)
    path = diary(tmp_path, {(1, "nausea"): "yes"})
    with pytest.raises(DiaryError) as err:
        read_diary(path, bare)
    assert "unknown column(s) 'nausea'" in err.value.problems[0]
    assert list(read_diary(diary(tmp_path, {}), bare).table.columns) == [
        "date", *(o.name for o in bare.outcomes), "condition", "row"
    ]  # fmt: skip


# --- the template and the calendar -----------------------------------------------------------


def schedule(protocol_id, allocation, kits=("KIT",) * 6) -> PatientSchedule:
    p = load_protocol(protocol_id)
    n = p.n_periods
    return PatientSchedule(
        patient_id="P01",
        allocation=np.array(allocation),
        kit_codes=tuple(kits[:n]),
        group_of={"active": "A", "placebo": "B"},
        timeline=build_timeline(p, allocation, START),
    )


def test_the_template_has_every_answer_column_empty():
    p = PROTOCOL
    text = diary_template_csv(p, schedule("ldn-nof1-multicycle", [True, False] * 3))
    lines = text.splitlines()
    assert lines[0] == (
        "patient_id,date,day,pain,fatigue,sleep_quality,mood,life_satisfaction,vivid_dreams,"
        "insomnia,headache,nausea,dose_taken,guess,note"
    )
    assert lines[1] == "P01,2026-01-05,1" + "," * 12 and len(lines) == 183


def test_the_calendar_marks_the_days_of_the_blinding_question():
    pf = read_protocol("ldn-nof1-multicycle")
    s = schedule("ldn-nof1-multicycle", [True, False] * 3)
    table = pd.read_csv(pd.io.common.StringIO(calendar_csv(pf, s)), dtype=str).fillna("")
    asked = table.loc[table["diary_question"] != "", "day"].astype(int).tolist()
    assert asked == [42, 70, 98, 126, 154, 182]
    assert table["diary_question"][41] == (
        "Which do you think you took this period? (in the diary's guess column: drug, placebo "
        "or unsure)"
    )
    ics = calendar_ics(pf, s).replace("\r\n ", "")
    assert ics.count("Diary question today: Which do you think you took this period?") == 6


def test_the_pilot_calendar_has_no_question_column():
    pf = read_protocol("ldn-fibromyalgia-2009-pilot")
    s = schedule("ldn-fibromyalgia-2009-pilot", [False, True])
    assert "diary_question" not in calendar_csv(pf, s).splitlines()[0]


@pytest.mark.parametrize(
    "allocations",
    [[[True, False] * 3, [False, True] * 3, [True, False, False, True, True, False]]],
)
def test_calendars_and_templates_are_the_same_whatever_the_allocation(allocations):
    """Blinding: what the patient gets depends on the kit codes, never on the treatments."""
    pf = read_protocol("ldn-nof1-multicycle")
    files = set()
    for allocation in allocations:
        s = schedule("ldn-nof1-multicycle", allocation)
        files.add((calendar_csv(pf, s), calendar_ics(pf, s), diary_template_csv(pf.protocol, s)))
    assert len(files) == 1


def test_the_shipped_blinded_design_has_no_visible_difference():
    from nof1.design.visibility import visible_differences

    assert visible_differences(PROTOCOL) == []
    assert len(visible_differences(load_protocol("ldn-fibromyalgia-2013"))) == 1  # lengths


# --- through a map file ------------------------------------------------------------------


def mapped(tmp_path, same_day: str):
    from nof1.data import ReadOptions

    (tmp_path / "map.yaml").write_text(
        'date: When\noutcomes: {pain: Pain today}\nadverse_events: {vivid_dreams: "Dreams?"}\n'
        "adherence: Capsules?\nblinding_check: Guess\n"
        'recode: {dose_taken: {"Ja": "yes", "Nein": "no"}}\n'
        f"same_day: {same_day}\n"
    )
    (tmp_path / "m.csv").write_text(
        "When,Pain today,Dreams?,Capsules?,Guess\n2026-01-05,40,yes,Ja,\n"
        "2026-01-05,42,no,Ja,\n2026-01-06,41,no,Nein,\n"
    )
    return tmp_path / "m.csv", ReadOptions(mapping=tmp_path / "map.yaml")


def test_a_map_names_the_items_and_recodes_their_words(tmp_path):
    path, options = mapped(tmp_path, "last")
    table = read_diary(path, PROTOCOL, options=options).table
    assert table["vivid_dreams"].tolist() == [0.0, 0.0]
    assert table["dose_taken"].tolist() == [1.0, 0.0]


def test_a_map_never_averages_answers(tmp_path):
    path, options = mapped(tmp_path, "mean")
    with pytest.raises(DiaryError) as err:
        read_diary(path, PROTOCOL, options=options)
    assert err.value.problems == [
        "rows 2 and 3 are both for 2026-01-05 and answer 'vivid_dreams' differently ('yes', "
        f"'no'): a mean of answers means nothing; set same_day in {tmp_path / 'map.yaml'} to "
        "first or last"
    ]


def test_a_map_naming_an_unknown_event_names_its_key(tmp_path):
    from nof1.data import ReadOptions

    (tmp_path / "map.yaml").write_text(
        "date: When\noutcomes: {pain: Pain}\nadverse_events: {itch: Itch}\n"
    )
    (tmp_path / "m.csv").write_text("When,Pain,Itch\n2026-01-05,40,yes\n")
    with pytest.raises(DiaryError) as err:
        read_diary(tmp_path / "m.csv", PROTOCOL, options=ReadOptions(mapping=tmp_path / "map.yaml"))
    assert err.value.problems == [
        "adverse_events.itch: not an adverse event of protocol 'ldn-nof1-multicycle' (its "
        "events: vivid_dreams, insomnia, headache, nausea)"
    ]


# --- REDCap ---------------------------------------------------------------------------------


def test_redcap_yes_no_fields_are_read_by_name_or_label(tmp_path):
    raw = tmp_path / "raw.csv"
    raw.write_text(
        "record_id,redcap_repeat_instrument,redcap_repeat_instance,diary_date,pain,"
        "vivid_dreams,dose_taken,daily_diary_complete\n"
        "P01,daily_diary,1,2026-01-05,40,1,1,2\nP01,daily_diary,2,2026-01-06,41,0,,2\n"
    )
    table = read_diary(raw, PROTOCOL).table
    assert table["vivid_dreams"].tolist() == [1.0, 0.0] and table["dose_taken"][0] == 1.0
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "Record ID,Repeat Instrument,Repeat Instance,Date of diary,Pain (0-100),"
        "Vivid dreams,Took today's capsules,Complete?\n"
        "P01,Daily Diary,1,2026-01-05,40,Yes,No,Complete\n"
    )
    table = read_diary(labels, PROTOCOL).table
    assert (table["vivid_dreams"][0], table["dose_taken"][0]) == (1.0, 0.0)
