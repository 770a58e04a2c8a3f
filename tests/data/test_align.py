"""The aligned table: which day counts for what, with an allocation or a condition column."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nof1.data import (
    ALIGNED_COLUMNS,
    align,
    load_aligned,
    read_aligned_csv,
    read_allocation,
    read_diary,
)
from nof1.design.blinding import draw_schedules, schedule_files
from nof1.design.timeline import build_timeline
from nof1.errors import DiaryError
from nof1.protocol import load_protocol, read_protocol

FIXTURES = Path(__file__).parent / "fixtures"
START = dt.date(2026, 1, 5)


def schedule(folder, protocol_id="ldn-nof1-multicycle", n=1, seed=7):
    pf = read_protocol(protocol_id)
    ids = [f"P{i:02d}" for i in range(1, n + 1)]
    schedules = draw_schedules(pf, ids, START, seed)
    for name, text in schedule_files(pf, schedules, START, seed).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return schedules


def filled_template(folder, patient="P01", protocol_id="ldn-nof1-multicycle", skip=()):
    """The schedule's diary template with a value in every outcome cell (seeded)."""
    name = f"{patient}-diary-template.csv"
    template = folder / name if (folder / name).exists() else folder / patient / name
    frame = pd.read_csv(template, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(3)
    for outcome in load_protocol(protocol_id).outcomes:
        frame[outcome.name] = rng.integers(0, 101, len(frame)).astype(str)
    frame.loc[list(skip), [o.name for o in load_protocol(protocol_id).outcomes]] = ""
    path = folder / f"{patient}-diary.csv"
    frame.to_csv(path, index=False)
    return path


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "diary.csv"
    path.write_text(text)
    return path


# --- with an allocation ---------------------------------------------------------------------


@pytest.mark.parametrize("protocol_id", ["ldn-nof1-multicycle", "ldn-fibromyalgia-2013"])
def test_included_days_are_the_timelines_for_an_unblinded_allocation(tmp_path, protocol_id):
    (s,) = schedule(tmp_path, protocol_id)
    p = load_protocol(protocol_id)
    key = tmp_path / "P01-unblinding-key.json"
    a = align(read_diary(filled_template(tmp_path, protocol_id=protocol_id), p), p, key)
    expected = build_timeline(p, s.allocation, START)
    assert list(a.table.columns) == [
        *ALIGNED_COLUMNS,
        *(o.name for o in p.outcomes),
        *p.answer_items,
    ]
    assert a.table["included"].tolist() == expected["included"].tolist()
    assert a.table["condition"].tolist() == expected["condition"].tolist()
    assert a.table["date"].tolist() == expected["date"].tolist()
    assert not a.blinded and a.patient_id == "P01"
    np.testing.assert_array_equal(a.allocation, s.allocation)


def test_blinded_table_says_a_and_b_and_otherwise_equals_the_unblinded_one(tmp_path):
    (s,) = schedule(tmp_path)
    p = load_protocol("ldn-nof1-multicycle")
    diary = read_diary(filled_template(tmp_path), p)
    blinded = align(diary, p, tmp_path / "P01-allocation-blinded.csv")
    unblinded = align(diary, p, tmp_path / "P01-unblinding-key.json")
    assert blinded.blinded and blinded.arms == ("B", "A")
    treatment = blinded.table["phase"] == "treatment"
    assert set(blinded.table.loc[treatment, "condition"]) == {"A", "B"}
    assert "active" not in blinded.table["condition"].tolist()
    unblind = {letter: t for t, letter in s.group_of.items()}
    relabelled = blinded.table["condition"].replace(unblind)
    assert relabelled.tolist() == unblinded.table["condition"].tolist()
    rest = [c for c in blinded.table.columns if c != "condition"]
    pd.testing.assert_frame_equal(blinded.table[rest], unblinded.table[rest])
    # The blinded allocation array is "B is treated".
    assert blinded.allocation.tolist() == [g == "B" for g in s.groups]


@pytest.mark.parametrize("seed", range(4))
def test_blinded_2013_periods_of_unequal_length_land_where_the_schedule_put_them(tmp_path, seed):
    (s,) = schedule(tmp_path, "ldn-fibromyalgia-2013", seed=seed)
    p = load_protocol("ldn-fibromyalgia-2013")
    diary = read_diary(filled_template(tmp_path, protocol_id="ldn-fibromyalgia-2013"), p)
    a = align(diary, p, tmp_path / "P01-allocation-blinded.csv")
    expected = build_timeline(p, s.allocation, START)
    assert a.table["period"].tolist() == expected["period"].tolist()
    phases = {"baseline": "baseline", "follow_up": "follow_up"}
    group = expected["condition"].map({**s.group_of, **phases})
    assert a.table["condition"].tolist() == group.tolist()


def test_missing_days_are_the_unobserved_baseline_and_treatment_days(tmp_path):
    schedule(tmp_path)
    p = load_protocol("ldn-nof1-multicycle")
    path = filled_template(tmp_path, skip=(3, 40, 41))
    a = align(read_diary(path, p), p, tmp_path / "P01-allocation-blinded.csv")
    assert a.missing_days == [START + dt.timedelta(days=d) for d in (3, 40, 41)]
    assert a.table["observed"].sum() == 182 - 3
    assert (a.rows, a.sha256) == (182, read_diary(path, p).sha256)


def test_a_short_diary_is_aligned_to_every_planned_day(tmp_path):
    schedule(tmp_path)
    p = load_protocol("ldn-nof1-multicycle")
    diary = read_diary(write(tmp_path, "date,pain\n2026-01-20,40\n"), p)
    a = align(diary, p, tmp_path / "P01-allocation-blinded.csv")
    assert len(a.table) == 182 and a.table["observed"].sum() == 1
    assert a.table.loc[a.table["day"] == 16, "pain"].tolist() == [40.0]


def test_a_condition_column_contradicting_the_allocation_stops_the_alignment(tmp_path):
    schedule(tmp_path)
    p = load_protocol("ldn-nof1-multicycle")
    diary = read_diary(write(tmp_path, "date,pain,condition\n2026-01-20,40,baseline\n"), p)
    with pytest.raises(DiaryError, match="condition 'baseline' on row 2 .* contradicts"):
        align(diary, p, tmp_path / "P01-allocation-blinded.csv")


def test_a_diary_of_another_patient_than_the_allocation_is_refused(tmp_path):
    schedule(tmp_path)
    p = load_protocol("ldn-nof1-multicycle")
    diary = read_diary(write(tmp_path, "patient_id,date,pain\nP02,2026-01-20,40\n"), p)
    with pytest.raises(DiaryError, match="is the diary of patient 'P02', but .* 'P01'"):
        align(diary, p, read_allocation(tmp_path / "P01-allocation-blinded.csv"))


def test_load_aligned_narrows_a_series_allocation_to_the_diarys_patient(tmp_path):
    schedules = schedule(tmp_path, "ldn-fibromyalgia-2013", n=3)
    p = load_protocol("ldn-fibromyalgia-2013")
    path = filled_template(tmp_path, "P02", "ldn-fibromyalgia-2013")
    a = load_aligned(path, p, allocation=tmp_path / "series-unblinding-key.json")
    assert a.patient_id == "P02"
    np.testing.assert_array_equal(a.allocation, schedules[1].allocation)


# --- from a condition column ---------------------------------------------------------------


def test_condition_diary_counts_days_from_its_first_date_and_fills_a_gap_within_a_period():
    p = load_protocol("ldn-nof1-multicycle")
    a = align(read_diary(FIXTURES / "wide.csv", p), p)
    t = a.table
    assert t["date"].tolist() == [START + dt.timedelta(days=k) for k in range(7)]
    assert t["day"].tolist() == list(range(1, 8))
    # 2026-01-09 is missing between two active days: it keeps their condition and period.
    gap = t[t["date"] == dt.date(2026, 1, 9)].iloc[0]
    assert (gap["condition"], gap["period"], gap["observed"]) == ("active", 1, False)
    assert t["phase"].tolist() == ["baseline"] * 3 + ["treatment"] * 4
    assert t["period"].tolist()[3:] == [1, 1, 1, 2]
    assert t["cycle"].tolist()[3:] == [1, 1, 1, 1]
    assert a.missing_days == [dt.date(2026, 1, 7), dt.date(2026, 1, 9)]


def test_a_gap_between_two_conditions_is_unknown_and_never_included(tmp_path):
    p = load_protocol("ldn-nof1-multicycle")
    text = "date,pain,condition\n2026-01-05,40,active\n2026-01-08,40,placebo\n"
    t = align(read_diary(write(tmp_path, text), p), p).table
    assert t["condition"].tolist() == ["active", "", "", "placebo"]
    assert t["phase"].tolist() == ["treatment", "", "", "treatment"]
    assert t["period"].tolist()[0] == 1 and t["period"].tolist()[3] == 2
    assert not t["included"][1:3].any()


def test_included_days_of_a_condition_diary_skip_the_analytic_washout(tmp_path):
    p = load_protocol("ldn-nof1-multicycle")  # analytic_washout_days: 7
    rows = [f"{START + dt.timedelta(days=k)},50,active" for k in range(10)]
    rows += [f"{START + dt.timedelta(days=10 + k)},50,placebo" for k in range(10)]
    path = write(tmp_path, "date,pain,condition\n" + "\n".join(rows) + "\n")
    t = align(read_diary(path, p), p).table
    assert t["included"].tolist() == ([False] * 7 + [True] * 3) * 2


def test_a_period_column_numbers_the_periods(tmp_path):
    p = load_protocol("ldn-nof1-multicycle")
    text = (
        "date,pain,condition,period\n2026-01-05,40,active,1\n2026-01-06,40,active,2\n"
        "2026-01-08,40,active,2\n2026-01-09,40,placebo,3\n"
    )
    t = align(read_diary(write(tmp_path, text), p), p).table
    assert t["period"].tolist() == [1, 2, 2, 2, 3]
    assert t["cycle"].tolist() == [1, 1, 1, 1, 2]


def test_a_period_column_with_two_conditions_in_one_period_is_an_error(tmp_path):
    p = load_protocol("ldn-nof1-multicycle")
    text = "date,pain,condition,period\n2026-01-05,40,active,1\n2026-01-06,40,placebo,1\n"
    with pytest.raises(DiaryError, match=r"period 1 has both active and placebo days \(row 3\)"):
        align(read_diary(write(tmp_path, text), p), p)


def test_a_condition_diary_following_the_protocol_gives_its_allocation(tmp_path):
    (s,) = schedule(tmp_path)
    p = load_protocol("ldn-nof1-multicycle")
    timeline = s.timeline
    frame = pd.DataFrame(
        {
            "date": [d.isoformat() for d in timeline["date"]],
            "pain": 50,
            "condition": timeline["condition"],
        }
    )
    frame.to_csv(tmp_path / "c.csv", index=False)
    a = align(read_diary(tmp_path / "c.csv", p), p)
    np.testing.assert_array_equal(a.allocation, s.allocation)
    assert a.table["included"].tolist() == timeline["included"].tolist()


def test_a_condition_diary_on_the_protocols_calendar_keeps_period_boundaries_over_gaps(
    tmp_path,
):
    (s,) = schedule(tmp_path)
    p = load_protocol("ldn-nof1-multicycle")
    timeline = s.timeline
    frame = pd.DataFrame(
        {
            "date": [d.isoformat() for d in timeline["date"]],
            "pain": 50,
            "condition": timeline["condition"],
        }
    )
    # Delete the first day of period 2 and stop the diary 10 days before the end.
    first_of_2 = timeline.index[timeline["period"] == 2][0]
    frame = frame.drop(index=first_of_2).iloc[:-10]
    frame.to_csv(tmp_path / "c.csv", index=False)
    a = align(read_diary(tmp_path / "c.csv", p), p)
    assert len(a.table) == 182  # the protocol's plan, as with an allocation
    assert a.table["condition"].tolist() == timeline["condition"].tolist()
    assert a.table["included"].tolist() == timeline["included"].tolist()
    assert a.missing_days[0] == timeline["date"][first_of_2]
    assert len(a.missing_days) == 11
    np.testing.assert_array_equal(a.allocation, s.allocation)


def test_a_condition_diary_off_the_protocols_timeline_has_no_allocation():
    p = load_protocol("ldn-nof1-multicycle")
    assert align(read_diary(FIXTURES / "wide.csv", p), p).allocation is None


@pytest.mark.parametrize(
    "text", ["date,pain\n2026-01-05,40\n", "date,pain,condition\n2026-01-05,40,\n"]
)
def test_without_allocation_or_conditions_the_user_is_told_what_to_add(tmp_path, text):
    p = load_protocol("ldn-nof1-multicycle")
    diary = read_diary(write(tmp_path, text), p)
    with pytest.raises(DiaryError) as err:
        align(diary, p)
    assert "pass --allocation" in str(err.value) and "add a condition column" in str(err.value)


# --- aligned.csv -----------------------------------------------------------------------------


def test_aligned_csv_is_deterministic_with_iso_dates_and_true_false(tmp_path):
    p = load_protocol("ldn-nof1-multicycle")
    a = align(read_diary(FIXTURES / "wide.csv", p), p)
    text = a.to_csv()
    assert text == align(read_diary(FIXTURES / "wide.csv", p), p).to_csv()
    lines = text.splitlines()
    assert lines[0] == ",".join([*ALIGNED_COLUMNS, *(o.name for o in p.outcomes), *p.answer_items])
    assert lines[1] == "2026-01-05,1,baseline,,,baseline,false,true,62.0,55.0,40.0,50.0,45.0,,,,,,"
    assert lines[5] == "2026-01-09,5,treatment,1,1,active,false,false,,,,,,,,,,,"


def test_aligned_csv_reads_back_into_the_same_table(tmp_path):
    schedule(tmp_path)
    p = load_protocol("ldn-nof1-multicycle")
    a = align(
        read_diary(filled_template(tmp_path, skip=(5,)), p),
        p,
        tmp_path / "P01-allocation-blinded.csv",
    )
    path = tmp_path / "aligned.csv"
    path.write_text(a.to_csv())
    pd.testing.assert_frame_equal(read_aligned_csv(path, p), a.table, check_dtype=False)
    back = read_aligned_csv(path, p)
    assert back["guess"].dtype == object and back["guess"].isna().all()
    assert back["included"].dtype == bool and str(back["period"].dtype) == "Int64"


def test_a_file_that_is_not_an_aligned_table_is_refused(tmp_path):
    with pytest.raises(DiaryError, match="is not an aligned table"):
        read_aligned_csv(FIXTURES / "wide.csv")


_HEAD = "date,day,phase,cycle,period,condition,included,observed,pain,guess\n"
_ROW = "2026-01-09,5,treatment,1,1,active,true,true,61.0,drug\n"


def test_an_aligned_table_reads_as_pandas_read_csv_read_it():
    """The csv-module reader (nof1.data._aligned_csv.aligned_table) keeps what pandas'
    reader accepted: a byte-order mark, CRLF, blank lines, upper-case flags, trailing empty
    cells left out (a spreadsheet's save); and the same dtypes."""
    text = "\ufeff" + _HEAD + "\r\n" + _ROW.replace("true,true", "TRUE,false").replace("\n", "\r\n")
    t = read_aligned_csv(io.StringIO(text + "2026-01-10,6,treatment,1,1,active,true,true\n"))
    assert t["included"].tolist() == [True, True] and t["observed"].tolist() == [False, True]
    assert t["guess"].tolist() == ["drug", None] and np.isnan(t["pain"].iloc[1])
    text_dtype = str(pd.Series([], dtype=str).dtype)  # "str" (pandas 3), "object" before
    assert [str(d) for d in t.dtypes] == [
        "object", "int64", text_dtype, "Int64", "Int64", text_dtype, "bool", "bool", "float64",
        "object",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_HEAD + _ROW.replace("\n", ",9\n"), "line 2 has 11 fields, the header 10"),
        (_HEAD + _ROW.replace("61.0", "sixty"), "does not parse .*could not convert"),
        (_HEAD + _ROW.replace(",1,1,", ",1.5,1,"), "does not parse"),
        (_HEAD + _ROW.replace("true,true", "yes,true"), "included must hold true or false"),
        ("", "is not an aligned table"),
        (_HEAD.replace("pain", "phase") + _ROW, "is not an aligned table"),  # a column twice
    ],
)
def test_an_aligned_table_that_does_not_read_says_why(text, message):
    with pytest.raises(DiaryError, match=message):
        read_aligned_csv(io.StringIO(text))
