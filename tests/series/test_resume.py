"""`nof1 series --resume`: complete, valid patient files of an earlier run are reused (not
analysed again), anything else is analysed again, and series.json is what a full run gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from nof1.cli import main

ROOT = Path(__file__).resolve().parents[2]
SERIES = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series"
ARGS = [SERIES / "series-diary.csv", "--protocol", "ldn-fibromyalgia-2013",
        "--allocations", SERIES / "series-unblinding-key.json"]  # fmt: skip


def run(out: Path, *extra):
    result = CliRunner().invoke(main, ["series", *map(str, ARGS), *extra, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result


def count_analysed(monkeypatch) -> list:
    """The ids of the patients analysed from now on (not reused), as they are analysed."""
    import nof1.series.run as series_run

    analysed, real = [], series_run._analyze_chunk
    monkeypatch.setattr(
        series_run,
        "_analyze_chunk",
        lambda chunk, how: analysed.extend(c[0] for c in chunk) or real(chunk, how),
    )
    return analysed


def test_resume_reuses_valid_files_and_redoes_the_rest(tmp_path, monkeypatch):
    import nof1.series.run as series_run

    first = tmp_path / "out"
    run(first)
    reference = (first / "series.json").read_text()
    p02 = first / "patients" / "P02" / "results.json"
    p02.write_text(p02.read_text()[:-200])  # truncated: not what the manifest recorded
    (first / "patients" / "P03" / "aligned.csv").unlink()
    analysed = []
    real = series_run._analyze_chunk

    def counting(chunk, how):
        analysed.extend(pid for pid, *_ in chunk)
        return real(chunk, how)

    monkeypatch.setattr(series_run, "_analyze_chunk", counting)
    run(first, "--resume", "--workers", "1")
    # Their chunk (the first 25) is analysed whole: the batched fits give the same bytes.
    assert "P02" in analysed and "P03" in analysed and len(analysed) == 25
    assert (first / "series.json").read_text() == reference  # the same --out: same command
    assert json.loads(p02.read_text())["patient_id"] == "P02"
    assert (first / "patients" / "P03" / "aligned.csv").exists()


def test_resume_with_another_seed_analyses_everyone_again(tmp_path, monkeypatch):
    out = tmp_path / "out"
    run(out)
    analysed = count_analysed(monkeypatch)
    run(out, "--resume", "--seed", "5", "--workers", "1")
    assert len(analysed) == 31


def test_resume_into_an_empty_folder_is_a_full_run(tmp_path):
    run(tmp_path / "a")
    run(tmp_path / "b", "--resume")
    a = json.loads((tmp_path / "a" / "series.json").read_text())
    b = json.loads((tmp_path / "b" / "series.json").read_text())
    assert a["outcomes"] == b["outcomes"]
    shutil.rmtree(tmp_path / "b")


def test_files_of_another_nof1_version_are_analysed_again(tmp_path, monkeypatch):
    import nof1

    out = tmp_path / "out"
    run(out)
    analysed = count_analysed(monkeypatch)
    monkeypatch.setattr(nof1, "__version__", "99.0")  # an upgrade between the two runs
    run(out, "--resume", "--workers", "1")
    assert len(analysed) == 31


def test_allocations_changed_at_the_same_path_are_noticed(tmp_path):
    """The reused files must be of the days this run would analyse: the same diary but
    another allocation file at the same path (unblinding key -> blinded allocation) gives
    another aligned.csv, so everyone is analysed again (found by review)."""
    folder = tmp_path / "allocations"
    folder.mkdir()
    shutil.copy(SERIES / "series-unblinding-key.json", folder)
    args = ["series", str(SERIES / "series-diary.csv"), "--protocol", "ldn-fibromyalgia-2013",
            "--allocations", str(folder)]  # fmt: skip

    def series_json(out, *extra):
        result = CliRunner().invoke(main, [*args, "--out", str(out), "--workers", "1", *extra])
        assert result.exit_code == 0, result.output
        return json.loads((out / "series.json").read_text())

    assert series_json(tmp_path / "out")["blinded"] is False
    (folder / "series-unblinding-key.json").unlink()
    shutil.copy(SERIES / "series-allocation-blinded.csv", folder)
    resumed = series_json(tmp_path / "out", "--resume")
    fresh = series_json(tmp_path / "fresh")
    assert resumed["blinded"] is True
    assert resumed["outcomes"] == fresh["outcomes"] and resumed["labels"] == fresh["labels"]
