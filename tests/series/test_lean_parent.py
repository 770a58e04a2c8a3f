"""What the parent of a series keeps and writes without holding the whole series: packed
summaries (nof1/series/packed.py) and series.json piece by piece (series_json.py)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SERIES = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series"


@pytest.fixture(
    scope="module", params=["series-unblinding-key.json", "series-allocation-blinded.csv"]
)
def results(request):
    from nof1.protocol import read_protocol
    from nof1.series import analyze_series, load_series

    pf = read_protocol("ldn-fibromyalgia-2013")
    data = load_series(SERIES / "series-diary.csv", pf.protocol, SERIES / request.param)
    return analyze_series(data, pf, workers=1)


def _whole(results) -> str:
    return json.dumps(results.to_dict(), indent=2, allow_nan=False) + "\n"


def test_series_json_piece_by_piece_is_the_whole_dump(results):
    from nof1.series.series_json import series_json_text

    assert series_json_text(results) == _whole(results)
    empty = replace(results, patients=(), skipped=())  # empty lists: "[]" as json.dumps
    assert series_json_text(empty) == _whole(empty)


def test_staged_series_json_and_the_report_view(results, tmp_path):
    from nof1.series.series_json import stage_series_json

    (tmp_path / "new").mkdir()
    record, view = stage_series_json(results, str(tmp_path))
    data = (tmp_path / "new" / "series.json").read_bytes()
    assert data == _whole(results).encode()
    assert record == [len(data), hashlib.sha256(data).hexdigest()]
    whole = json.loads(data)
    assert view.keys() == whole.keys()
    primary = next(o for o in view["outcomes"] if o["primary"])
    assert (
        primary["patient_effects"]
        == next(o for o in whole["outcomes"] if o["primary"])["patient_effects"]
    )
    assert all("patient_effects" not in o for o in view["outcomes"] if not o["primary"])
    assert view["patients"] == whole["patients"]


def test_staged_series_json_refuses_an_existing_file(results, tmp_path):
    from nof1.series.series_json import stage_series_json

    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "series.json").write_text("x")
    with pytest.raises(Exception, match="series.json"):
        stage_series_json(results, str(tmp_path))
    assert (tmp_path / "new" / "series.json").read_text() == "x"


def test_packed_summaries_give_the_same_dicts(results):
    from nof1.series.packed import PackedSummaries

    summaries = {pid: dict(s) for pid, s in results.patient_results.items()}
    packed = PackedSummaries.of(summaries)
    assert list(packed) == list(summaries) and len(packed) == len(summaries)
    for pid in summaries:
        assert packed[pid] == summaries[pid] and list(packed[pid]) == list(summaries[pid])
        assert {k: packed[pid][k] for k in reversed(summaries[pid])} == summaries[pid]
    first = next(iter(packed))
    view = packed[first]
    view["responder"] = None  # a copy: what is kept does not change
    assert view["responder"] is None and packed[first] == summaries[first]
    assert "harms" in view and "nothing" not in view and view.get("nothing") is None


def test_packed_mixed_statistics_are_the_concatenated_ones():
    from nof1.series.mixed import concat_statistics, mixed_statistics
    from nof1.series.packed import pack_mixed, unpack_mixed

    rng = np.random.default_rng(3)
    per_patient, ids = [], []
    for i in range(5):
        pid = f"P{i}"
        treat = np.tile([0, 1], 10)
        pain = rng.normal(50, 10, 20)
        mood = np.full(20, np.nan) if i == 2 else rng.normal(30, 5, 20)  # none observed
        who = np.full(20, pid, dtype=object)
        per_patient.append(
            {"pain": mixed_statistics(pain, treat, who), "mood": mixed_statistics(mood, treat, who)}
        )
        ids.append(pid)
    packed = [pack_mixed(s) for s in per_patient]
    for name in ("pain", "mood"):
        got = unpack_mixed(ids, packed, name)
        want = concat_statistics(s[name] for s in per_patient)
        for a, b in zip(got, want, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape
            assert a.tobytes() == b.tobytes() if a.dtype != object else a.tolist() == b.tolist()
    assert unpack_mixed(ids, packed, "mood").patient.tolist() == ["P0", "P1", "P3", "P4"]


def test_the_summaries_held_do_not_pile_up():
    """map_chunks keeps what ``keep`` makes of each result, as it arrives."""
    from nof1.parallel import map_chunks

    seen = []
    out = map_chunks(
        os.path.join, [("a", "b"), ("c", "d")], keep=str.upper, done=lambda i, r: seen.append(r)
    )
    assert out == [os.path.join("A", "B"), os.path.join("C", "D")] and seen == out


@pytest.mark.parametrize("key", ["series-unblinding-key.json", "series-allocation-blinded.csv"])
def test_inputs_read_by_workers_are_the_same(monkeypatch, key):
    """A large table's allocations and index are read by workers (the parent's heap stays
    small): the same SeriesInput as read here."""
    import nof1.series.load as load
    from nof1.protocol import read_protocol

    pf = read_protocol("ldn-fibromyalgia-2013")
    here = load.load_series(SERIES / "series-diary.csv", pf.protocol, SERIES / key, lean=True)
    monkeypatch.setattr(load, "_READ_APART_BYTES", 0)
    calls = []
    real = load.map_chunks
    monkeypatch.setattr(load, "map_chunks", lambda *a, **k: calls.append(k) or real(*a, **k))
    apart = load.load_series(
        SERIES / "series-diary.csv", pf.protocol, SERIES / key, lean=True, workers=2
    )
    assert calls[0]["workers"] == 2
    assert apart == here


def test_an_allocation_error_from_a_worker_is_the_usual_message(monkeypatch, tmp_path):
    import nof1.series.load as load
    from nof1.errors import DiaryError
    from nof1.protocol import read_protocol

    bad = tmp_path / "series-allocation-blinded.csv"
    lines = (SERIES / "series-allocation-blinded.csv").read_text().splitlines(keepends=True)
    bad.write_text("".join([lines[0], lines[1].replace("2026-", "20x6-", 1), *lines[2:]]))
    pf = read_protocol("ldn-fibromyalgia-2013")
    with pytest.raises(DiaryError) as here:
        load.load_series(SERIES / "series-diary.csv", pf.protocol, bad, lean=True)
    monkeypatch.setattr(load, "_READ_APART_BYTES", 0)
    with pytest.raises(DiaryError) as apart:
        load.load_series(SERIES / "series-diary.csv", pf.protocol, bad, lean=True, workers=2)
    assert type(apart.value) is type(here.value) and str(apart.value) == str(here.value)
    assert "row 2" in str(apart.value)


def test_arm_columns_are_the_records_they_replace():
    from nof1.schemas.records import plain
    from nof1.series.columns import ArmColumns, per_arm
    from nof1.series.comparisons import PatientPercentChange

    rows = [{"active": -30.5, "placebo": None}, {"active": 0.1, "placebo": -2.0}]
    cols = per_arm(PatientPercentChange, ["P1", "P2"], ("active", "placebo"), rows)
    records = tuple(
        PatientPercentChange(pid, {"active": r["active"], "placebo": r["placebo"]})
        for pid, r in zip(["P1", "P2"], rows, strict=True)
    )
    assert isinstance(cols, ArmColumns) and tuple(cols) == records and cols[-1] == records[-1]
    assert plain(cols) == plain(records) and cols[:1] == records[:1]
    assert list(cols.column("placebo")[1:]) == [-2.0]
    kept = per_arm(PatientPercentChange, ["P1"], ("active", "placebo"), [{"active": 5}])
    assert kept == (PatientPercentChange("P1", {"active": 5, "placebo": None}),)  # an int kept
