"""The lean read of a series' diary table (issue 14): the parent indexes the file, the
workers read, validate and align each chunk of patients before any analysis; the diaries,
the problems and their messages are those of reading the whole file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nof1.cli import main
from nof1.errors import DiaryError
from nof1.protocol import read_protocol
from nof1.series import load_series
from nof1.series.stream import Rows, index_table, read_rows

ROOT = Path(__file__).resolve().parents[2]
SERIES = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series"
KEY = SERIES / "series-unblinding-key.json"
PF = read_protocol("ldn-fibromyalgia-2013")


def changed(tmp_path: Path, row: int, column: str, value: str) -> Path:
    """The sample series' diary with one cell changed (``row`` as a spreadsheet numbers it)."""
    lines = (SERIES / "series-diary.csv").read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[row - 1].rstrip("\n").split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells) + "\n"
    path = tmp_path / "series-diary.csv"
    path.write_text("".join(lines))
    return path


def both(path, **kw):
    """(lean, whole) load_series, or their errors' texts."""
    out = []
    for lean in (True, False):
        try:
            out.append(load_series(path, PF.protocol, KEY, lean=lean, **kw))
        except DiaryError as exc:
            out.append((type(exc).__name__, str(exc)))
    return out


def test_the_lean_read_gives_the_same_diaries():
    lean, whole = both(SERIES / "series-diary.csv")
    assert list(lean.diaries) == list(whole.diaries)
    assert all(isinstance(d, Rows) for d in lean.diaries.values())
    assert lean.sha256 == whole.sha256 and lean.notes == whole.notes
    rows = list(lean.diaries.values())
    read = read_rows(rows, PF.protocol, lean.allocations).diaries
    for pid, diary in whole.diaries.items():
        again = read[pid]
        assert again.table.equals(diary.table), pid
        assert (again.source, again.sha256, again.rows) == (diary.source, diary.sha256, diary.rows)


def test_a_bad_value_in_the_last_patient_is_the_usual_message(tmp_path):
    lines = (SERIES / "series-diary.csv").read_text().count("\n")
    path = changed(tmp_path, lines - 3, "pain", "150")
    lean, whole = both(path)
    assert lean == whole and lean[0] == "SeriesError"
    assert f"on row {lines - 3} is above its maximum" in lean[1]


def test_skip_bad_lists_the_same_patients(tmp_path):
    path = changed(tmp_path, 40, "pain", "x")
    lean, whole = both(path, skip_bad=True)
    assert [(b["patient_id"], b["reason"]) for b in lean.bad] == [
        (b["patient_id"], b["reason"]) for b in whole.bad
    ]
    assert list(lean.diaries) == list(whole.diaries)


def test_a_short_row_is_the_files_own_problem(tmp_path):
    lines = (SERIES / "series-diary.csv").read_text().splitlines(keepends=True)
    lines[-5] = ",".join(lines[-5].split(",")[:4]) + "\n"
    path = tmp_path / "series-diary.csv"
    path.write_text("".join(lines))
    lean, whole = both(path)
    assert lean == whole and lean[0] == "DiaryError"


@pytest.mark.parametrize(
    "text",
    [
        "patient_id;date;pain\nP01;2026-01-05;50\n",  # not comma-separated
        "patient_id,date,pain\nP01,05/01/2026,50\n",  # dates in another order
        "patient_id,date,pain\n,2026-01-05,50\n",  # a row without a patient_id
        "patient_id,date,pain\nP01,2026-01-05,50",  # no line end at the end
    ],
)
def test_other_tables_are_read_whole(tmp_path, text):
    path = tmp_path / "diary.csv"
    path.write_text(text)
    assert index_table(path) is None


def test_nof1_series_stops_before_any_analysis_and_writes_nothing(tmp_path, monkeypatch):
    import nof1.series.run as series_run

    path = changed(tmp_path, 4700, "fatigue", "-3")
    monkeypatch.setattr(series_run, "_analyze_chunk", lambda *a: pytest.fail("analysed"))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["series", str(path), "--protocol", "ldn-fibromyalgia-2013", "--allocations", str(KEY),
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "row 4700" in result.output and "fatigue" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_the_checked_patients_are_kept_aligned_for_the_same_inputs_only(tmp_path):
    from nof1.data import Aligned, align
    from nof1.series.stream import cached_diaries

    lean = load_series(
        SERIES / "series-diary.csv", PF.protocol, KEY, lean=True, cache=str(tmp_path)
    )
    rows = list(lean.diaries.values())[:3]
    assert all(r.cache is not None for r in rows)
    same = cached_diaries([(r, lean.allocations[r.patient_id]) for r in rows], PF.protocol)
    for r in rows:  # what aligning again gives
        kept, fresh = (
            same[r.patient_id],
            align(
                read_rows([r], PF.protocol, lean.allocations).diaries[r.patient_id],
                PF.protocol,
                lean.allocations[r.patient_id],
            ),
        )
        assert isinstance(kept, Aligned) and kept.table.equals(fresh.table)
    other = PF.protocol.model_copy(update={"title": "another"})
    assert cached_diaries([(r, lean.allocations[r.patient_id]) for r in rows], other) == {}
    swapped = [(r, lean.allocations[rows[(i + 1) % 3].patient_id]) for i, r in enumerate(rows)]
    assert cached_diaries(swapped, PF.protocol) == {}  # another patient's allocation


def test_a_cache_a_worker_cannot_write_is_left_out(tmp_path):
    from nof1.series.stream import check_chunk

    lean = load_series(SERIES / "series-diary.csv", PF.protocol, KEY, lean=True)
    rows = list(lean.diaries.values())[:2]
    mine = {r.patient_id: lean.allocations[r.patient_id] for r in rows}
    out = check_chunk(rows, PF.protocol, mine, str(tmp_path / "not-there" / "c.pickle"))
    assert out["cache"] is None and all(why is None for _, why in out["ready"].values())
