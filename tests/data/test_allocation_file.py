"""Reading back the allocation files `nof1 schedule` writes."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from nof1.data import read_allocation, read_allocations
from nof1.design.blinding import draw_schedules, schedule_files
from nof1.errors import DiaryError
from nof1.protocol import load_protocol, read_protocol

START = dt.date(2026, 1, 5)


def write_schedule(folder, protocol_id="ldn-nof1-multicycle", n=1, seed=7):
    """Write what `nof1 schedule` writes for n patients; return the schedules drawn."""
    pf = read_protocol(protocol_id)
    ids = [f"P{i:02d}" for i in range(1, n + 1)]
    schedules = draw_schedules(pf, ids, START, seed)
    for name, text in schedule_files(pf, schedules, START, seed).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return schedules


def test_blinded_allocation_gives_groups_days_and_kits_but_no_treatment(tmp_path):
    (s,) = write_schedule(tmp_path)
    a = read_allocation(tmp_path / "P01-allocation-blinded.csv")
    assert a.blinded and a.groups is None
    assert (a.patient_id, a.protocol_id, a.start_date) == ("P01", "ldn-nof1-multicycle", START)
    assert a.protocol_sha256 == read_protocol("ldn-nof1-multicycle").sha256
    assert a.labels == tuple(s.groups)
    assert a.spans == tuple((15 + 28 * i, 42 + 28 * i) for i in range(6))
    assert a.kit_codes == s.kit_codes


def test_unblinding_key_gives_the_treatment_of_every_period(tmp_path):
    (s,) = write_schedule(tmp_path)
    key = read_allocation(tmp_path / "P01-unblinding-key.json")
    blinded = read_allocation(tmp_path / "P01-allocation-blinded.csv")
    assert not key.blinded
    assert key.labels == tuple("active" if x else "placebo" for x in s.allocation)
    assert key.groups == {v: k for k, v in s.group_of.items()}
    assert (key.spans, key.kit_codes, key.start_date) == (
        blinded.spans,
        blinded.kit_codes,
        blinded.start_date,
    )
    np.testing.assert_array_equal(key.treated, s.allocation)


def test_blinded_treated_means_group_b(tmp_path):
    write_schedule(tmp_path)
    a = read_allocation(tmp_path / "P01-allocation-blinded.csv")
    assert a.treated.tolist() == [label == "B" for label in a.labels]


@pytest.mark.parametrize("seed", range(6))
def test_blinded_file_with_unequal_periods_recovers_the_timeline_allocation(tmp_path, seed):
    # The 2013 design: LDN 84 days, placebo 28 days, so only one reading of A/B fits.
    (s,) = write_schedule(tmp_path, "ldn-fibromyalgia-2013", seed=seed)
    p = load_protocol("ldn-fibromyalgia-2013")
    a = read_allocation(tmp_path / "P01-allocation-blinded.csv")
    np.testing.assert_array_equal(a.timeline_allocation(p), s.allocation)


def test_blinded_timeline_relabels_treatment_days_with_group_letters(tmp_path):
    (s,) = write_schedule(tmp_path)
    p = load_protocol("ldn-nof1-multicycle")
    t = read_allocation(tmp_path / "P01-allocation-blinded.csv").timeline(p)
    treated = t[t.phase == "treatment"]
    assert set(treated.condition) == {"A", "B"}
    assert treated.condition.tolist() == [s.groups[i - 1] for i in treated.period]
    assert t.included.tolist() == s.timeline.included.tolist()


@pytest.mark.parametrize("kind", ["series-allocation-blinded.csv", "series-unblinding-key.json"])
def test_series_file_holds_one_allocation_per_patient(tmp_path, kind):
    schedules = write_schedule(tmp_path, "ldn-fibromyalgia-2013", n=3)
    found = read_allocations(tmp_path / kind)
    assert list(found) == ["P01", "P02", "P03"]
    for s in schedules:
        a = read_allocation(tmp_path / kind, patient_id=s.patient_id)
        assert a == found[s.patient_id]
        np.testing.assert_array_equal(
            a.timeline_allocation(load_protocol("ldn-fibromyalgia-2013")), s.allocation
        )


def test_series_file_without_a_patient_id_asks_for_one(tmp_path):
    write_schedule(tmp_path, "ldn-fibromyalgia-2013", n=3)
    with pytest.raises(DiaryError, match=r"holds 3 patients \(P01, P02, P03\); pick one"):
        read_allocation(tmp_path / "series-allocation-blinded.csv")
    with pytest.raises(DiaryError, match="has no patient 'P09'"):
        read_allocation(tmp_path / "series-unblinding-key.json", patient_id="P09")


def test_allocation_for_another_protocol_is_refused_naming_the_file(tmp_path):
    write_schedule(tmp_path)
    a = read_allocation(tmp_path / "P01-allocation-blinded.csv")
    with pytest.raises(DiaryError) as err:
        a.timeline_allocation(load_protocol("ldn-fibromyalgia-2013"))
    assert "P01-allocation-blinded.csv" in str(err.value)
    assert "is for protocol 'ldn-nof1-multicycle', not 'ldn-fibromyalgia-2013'" in str(err.value)


def test_periods_that_are_not_the_protocols_timeline_are_an_error_naming_the_file(tmp_path):
    write_schedule(tmp_path)
    path = tmp_path / "P01-allocation-blinded.csv"
    path.write_text(path.read_text().replace(",15,42,", ",15,41,"))
    a = read_allocation(path)
    with pytest.raises(DiaryError) as err:
        a.timeline_allocation(load_protocol("ldn-nof1-multicycle"))
    assert err.value.source == str(path)
    assert "its treatment periods (days 15-41, 43-70," in err.value.problems[0]


def test_bad_cells_in_a_blinded_file_are_all_named_by_row_and_column(tmp_path):
    write_schedule(tmp_path)
    path = tmp_path / "P01-allocation-blinded.csv"
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace(",B,", ",C,").replace(",A,", ",C,")
    lines[3] = lines[3].replace(",43,", ",forty-three,")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DiaryError) as err:
        read_allocation(path)
    assert err.value.problems == [
        "row 3, column group: expected A or B on a treatment row, got 'C'",
        "row 4, column first_day: expected a day number, got 'forty-three'",
    ]


def test_a_csv_that_is_not_an_allocation_names_the_missing_columns(tmp_path):
    path = tmp_path / "diary.csv"
    path.write_text("date,pain\n2026-01-05,40\n")
    with pytest.raises(DiaryError, match="missing column.*patient_id, protocol_id"):
        read_allocation(path)


def test_unblinding_key_with_another_schema_is_refused(tmp_path):
    path = tmp_path / "key.json"
    path.write_text(json.dumps({"schema": "nof1.results/1"}))
    with pytest.raises(DiaryError, match="schema: expected 'nof1.unblinding_key/1'"):
        read_allocation(path)


def test_unblinding_key_fields_are_checked_with_their_path(tmp_path):
    write_schedule(tmp_path)
    path = tmp_path / "P01-unblinding-key.json"
    key = json.loads(path.read_text())
    key["periods"][2]["first_date"] = "soon"
    key["groups"] = {"A": "active", "B": "active"}
    path.write_text(json.dumps(key))
    with pytest.raises(DiaryError) as err:
        read_allocation(path)
    assert [p.split(":")[0] for p in err.value.problems] == ["groups", "periods.2.first_date"]


# --- each format's writer and reader agree (nof1.files) ----------------------------------


def test_the_blinded_csv_is_written_with_the_columns_its_reader_requires():
    from nof1.files.allocation_csv import ALLOCATION_COLUMNS, allocation_csv

    pf = read_protocol("ldn-fibromyalgia-2013")
    schedules = draw_schedules(pf, ["P01", "P02"], START, 3)
    lines = allocation_csv(pf, schedules).splitlines()
    assert lines[0] == ",".join(ALLOCATION_COLUMNS)
    assert len(lines) == 1 + 2 * 4  # baseline, two periods, follow-up per patient


@pytest.mark.parametrize("n", [1, 3])
def test_every_patient_reads_back_from_both_formats_as_drawn(tmp_path, n):
    from nof1.files.allocation_csv import read_blinded_csv
    from nof1.files.unblinding_key import read_key_json

    schedules = write_schedule(tmp_path, "ldn-fibromyalgia-2013", n=n)
    prefix = "series" if n > 1 else "P01"
    blinded = read_blinded_csv(tmp_path / f"{prefix}-allocation-blinded.csv")
    key = read_key_json(tmp_path / f"{prefix}-unblinding-key.json")
    assert list(blinded) == list(key) == [s.patient_id for s in schedules]
    for s in schedules:
        b, k = blinded[s.patient_id], key[s.patient_id]
        assert b["labels"] == tuple(s.groups)
        assert k["labels"] == tuple("active" if x else "placebo" for x in s.allocation)
        assert b["kit_codes"] == k["kit_codes"] == s.kit_codes
        assert b["spans"] == k["spans"] and b["start_date"] == k["start_date"] == START


@pytest.mark.parametrize("n", [1, 3])
def test_the_key_records_the_draw_it_was_written_from(tmp_path, n):
    from nof1.files.unblinding_key import read_key_draw

    pf = read_protocol("ldn-nof1-multicycle")
    schedules = write_schedule(tmp_path, n=n, seed=11)
    name = "series-unblinding-key.json" if n > 1 else "P01-unblinding-key.json"
    d = read_key_draw(tmp_path / name, pf)
    assert (d.ids, d.start, d.seed, d.secret) == (
        [s.patient_id for s in schedules],
        START,
        11,
        schedules[0].secret,
    )
    assert d.recorded == json.loads((tmp_path / name).read_text())
