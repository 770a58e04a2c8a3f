"""`nof1 series --resume` after an interrupted run: the patients a stopped run had staged
whole are reused, the rest (and any half-written one) analysed, and every file is
byte-identical to an uninterrupted run's."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nof1.cli import main
from nof1.outputs.targets import STAGING_PREFIX

ROOT = Path(__file__).resolve().parents[2]
SERIES = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series"
ARGS = [SERIES / "series-diary.csv", "--protocol", "ldn-fibromyalgia-2013",
        "--allocations", SERIES / "series-unblinding-key.json"]  # fmt: skip


def invoke(out: Path, *extra):
    return CliRunner().invoke(main, ["series", *map(str, ARGS), *extra, "--out", str(out)])


def files(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("half_written", [False, True])
def test_resume_after_an_interrupted_run_gives_the_same_files(tmp_path, monkeypatch, half_written):
    import nof1.series.run as series_run

    reference = tmp_path / "a" / "out"
    assert invoke(reference, "--workers", "1").exit_code == 0
    out = tmp_path / "b" / "out"
    real = series_run._analyze_chunk
    calls = []

    def stopped(chunk, how):  # Ctrl-C while the second chunk runs
        calls.append(chunk)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(chunk, how)

    monkeypatch.setattr(series_run, "_analyze_chunk", stopped)
    result = invoke(out, "--workers", "1")
    assert result.exit_code != 0
    assert not (out / "series.json").exists() and not (out / "patients").exists()
    (left,) = [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]
    staged = sorted(p.name for p in (left / "new" / "patients").iterdir())
    assert len(staged) == 25
    if half_written:  # a worker killed mid-file leaves a .part: that chunk is analysed again
        half = left / "new" / "patients" / staged[3]
        (half / "aligned.csv").rename(half / "aligned.csv.part")

    analysed = []
    monkeypatch.setattr(
        series_run,
        "_analyze_chunk",
        lambda chunk, how: analysed.extend(c[0] for c in chunk) or real(chunk, how),
    )
    result = invoke(out, "--resume", "--workers", "1")
    assert result.exit_code == 0, result.output
    # Chunks are analysed whole (the batched fits then give the same bytes): 25 + 6.
    assert len(analysed) == (31 if half_written else 6)
    assert files(out) == files(reference)  # byte for byte, the manifest included
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_a_killed_runs_staging_is_reused_too(tmp_path, monkeypatch):
    """A run killed outright (no clean-up at all) leaves its staging folder as it was."""
    import nof1.outputs.writer as writer

    reference = tmp_path / "a" / "out"
    assert invoke(reference, "--workers", "1").exit_code == 0
    out = tmp_path / "b" / "out"
    monkeypatch.setattr(writer.OutputSet, "write", lambda *a, **k: (_ for _ in ()).throw(
        KeyboardInterrupt))  # fmt: skip
    monkeypatch.setattr(writer._fs, "remove_tree", lambda *a: None)  # killed: nothing undone
    assert invoke(out, "--workers", "1").exit_code != 0
    monkeypatch.undo()
    import nof1.series.run as series_run

    analysed = []
    real = series_run._analyze_chunk
    monkeypatch.setattr(
        series_run,
        "_analyze_chunk",
        lambda chunk, how: analysed.extend(c[0] for c in chunk) or real(chunk, how),
    )
    assert invoke(out, "--resume", "--workers", "1").exit_code == 0
    assert analysed == []
    assert files(out) == files(reference)
