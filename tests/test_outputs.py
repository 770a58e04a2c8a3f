"""The one writer (`nof1.outputs`): all or nothing, never through a link, never over an input,
one run at a time; every OS error is one named Nof1Error and leaves the folder as it was."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from nof1.errors import Nof1Error
from nof1.outputs import MANIFEST, OutputSet, _fs, write_file, write_outputs


def snapshot(folder: Path) -> dict:
    """Every entry under ``folder``: files by SHA-256, links by target, folders by None."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[rel] = None
    return out


@pytest.fixture
def victim(tmp_path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_text("precious\n")
    return path


def test_a_link_planted_at_the_old_temporary_name_is_not_followed(tmp_path, victim):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".data.json.partial").symlink_to(victim)
    write_outputs(out, {"data.json": "{}\n"})
    assert victim.read_text() == "precious\n"
    assert not (out / "data.json").is_symlink() and (out / "data.json").read_text() == "{}\n"


def test_a_link_planted_at_a_target_is_replaced_as_a_link_never_written_through(tmp_path, victim):
    out = tmp_path / "out"
    out.mkdir()
    (out / "data.json").symlink_to(victim)
    with pytest.raises(Nof1Error, match="would overwrite 1 existing file"):
        write_outputs(out, {"data.json": "{}\n"})
    write_outputs(out, {"data.json": "{}\n"}, force=True)
    assert victim.read_text() == "precious\n"
    assert not (out / "data.json").is_symlink() and (out / "data.json").read_text() == "{}\n"


def test_a_link_where_a_sub_folder_goes_is_refused_and_nothing_is_written(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "patients").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(Nof1Error, match="patients: is a symbolic link where nof1 writes a folder"):
        write_outputs(out, {"series.json": "{}", "patients/P01/data.json": "{}"}, force=True)
    assert list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in out.iterdir()) == ["patients"]


def test_a_folder_where_a_file_goes_fails_before_anything_is_written(tmp_path):
    out = tmp_path / "out"
    (out / "report.html").mkdir(parents=True)
    with pytest.raises(Nof1Error, match=r"report\.html: is a folder where nof1 writes a file"):
        write_outputs(out, {"data.json": "{}", "report.html": "<html>"}, force=True)
    assert snapshot(out) == {"report.html": None}


def test_disk_full_while_staging_leaves_the_previous_set_untouched(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_outputs(out, {"data.json": "old\n", "report.html": "old\n"}, name="analyze")
    before = snapshot(out)
    calls = []

    def full(fd, data):
        calls.append(len(data))
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.write(fd, data)

    monkeypatch.setattr(_fs, "write_all", full)
    new = {"data.json": "new\n", "aligned.csv": "new\n", "report.html": "new\n"}
    with pytest.raises(Nof1Error, match=r"cannot write .*aligned\.csv: No space left on device"):
        write_outputs(out, new, force=True, name="analyze")
    assert snapshot(out) == before  # no staging folder, no .partial, nothing replaced


def test_a_failure_while_moving_into_place_undoes_every_move(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_outputs(out, {"a.txt": "old a\n", "b.txt": "old b\n"}, name="x")
    before = snapshot(out)
    real, moves = os.rename, []

    def flaky(*args, **kwargs):
        moves.append(args)
        if len(moves) == 4:  # the manifest replaced, a.txt moved aside: its new one fails
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real(*args, **kwargs)

    monkeypatch.setattr(os, "rename", flaky)
    with pytest.raises(Nof1Error, match="Input/output error"):
        write_outputs(out, {"a.txt": "new a\n", "b.txt": "new b\n"}, force=True, name="x")
    monkeypatch.undo()
    assert len(moves) == 4 + 3  # and three moves undone
    assert snapshot(out) == before


def test_force_replaces_the_whole_previous_set_and_nothing_else(tmp_path):
    out = tmp_path / "out"
    first = {"series.json": "1", "patients/P01/data.json": "1", "patients/P02/data.json": "1"}
    first |= {"patients/P03/data.json": "1", "patients/P03/aligned.csv": "1"}
    write_outputs(out, first, name="series")
    (out / "notes.txt").write_text("mine\n")  # never written by nof1
    (out / "patients" / "P02" / "data.json").write_text("edited by hand\n")
    (out / "patients" / "P03" / "mine.txt").write_text("mine\n")
    write_outputs(out, {"series.json": "2", "patients/P01/data.json": "2"}, True, name="series")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        MANIFEST,
        "notes.txt",
        "patients/P01/data.json",
        "patients/P02/data.json",  # edited since: kept
        "patients/P03/mine.txt",  # its folder is kept for it
        "series.json",
    ]


def test_force_keeps_the_sets_of_other_commands_in_the_same_folder(tmp_path):
    out = tmp_path / "out"
    write_outputs(out, {"P01-calendar.csv": "c", "P02-calendar.csv": "c"}, name="schedule")
    write_outputs(out, {"data.json": "1", "old.csv": "1"}, name="analyze")
    write_outputs(out, {"data.json": "2"}, force=True, name="analyze")
    assert sorted(p.name for p in out.iterdir()) == [
        MANIFEST,
        "P01-calendar.csv",
        "P02-calendar.csv",
        "data.json",
    ]
    write_outputs(out, {"P01-calendar.csv": "d"}, force=True, name="schedule")
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "P01-calendar.csv", "data.json"]


@pytest.mark.parametrize("link", [False, True], ids=["same path", "hard link"])
def test_an_input_is_never_replaced_even_with_force(tmp_path, link):
    out = tmp_path / "out"
    out.mkdir()
    diary = tmp_path / "diary.csv" if link else out / "aligned.csv"
    diary.write_text("date,pain\n")
    if link:
        os.link(diary, out / "aligned.csv")
    before = snapshot(tmp_path)
    with pytest.raises(
        Nof1Error,
        match=r"aligned\.csv: is the diary of this run.*where it would write its output aligned",
    ):
        write_outputs(
            out, {"data.json": "{}", "aligned.csv": "x"}, True, {"diary": diary}, "analyze"
        )
    assert snapshot(tmp_path) == before


def test_an_input_of_the_previous_set_is_not_removed_as_stale(tmp_path):
    out = tmp_path / "out"
    write_outputs(out, {"data.json": "1", "aligned.csv": "1"}, name="analyze")
    write_outputs(out, {"data.json": "2"}, True, {"diary": out / "aligned.csv"}, "analyze")
    assert (out / "aligned.csv").read_text() == "1"


def test_a_second_run_into_the_same_folder_fails_at_once(tmp_path):
    with OutputSet(tmp_path / "out", name="analyze") as first:
        with pytest.raises(Nof1Error, match="another nof1 run is writing there now"):
            OutputSet(tmp_path / "out", name="analyze").open()
        first.write({"data.json": "{}"})
    write_outputs(tmp_path / "out", {"data.json": "{}"}, force=True)  # free again


def test_a_run_that_writes_nothing_leaves_no_trace(tmp_path):
    with OutputSet(tmp_path / "new" / "out"):
        assert len(list((tmp_path / "new" / "out").iterdir())) == 1  # the staging folder
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "where, message",
    [
        ("/proc", "cannot write to /proc"),
        ("/proc/nof1-test/out", "cannot create /proc/nof1-test"),
        ("FILE/out", "cannot create .*FILE/out: Not a directory"),
        ("FILE", "FILE: exists and is not a folder"),
    ],
)
def test_an_unwritable_folder_is_one_named_error(tmp_path, where, message):
    (tmp_path / "FILE").write_text("a file\n")
    out = where.replace("FILE", str(tmp_path / "FILE"))
    with pytest.raises(Nof1Error, match=message):
        write_outputs(out, {"data.json": "{}"})
    assert (tmp_path / "FILE").read_text() == "a file\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_one_named_error(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o500)
    try:
        with pytest.raises(Nof1Error, match="cannot write to .*out: Permission denied"):
            write_outputs(out, {"data.json": "{}"})
    finally:
        out.chmod(0o700)
    assert list(out.iterdir()) == []


def test_the_same_run_writes_a_byte_identical_manifest(tmp_path):
    for name in ("a", "b"):
        write_outputs(tmp_path / name, {"x.txt": "1", "sub/y.txt": b"2"}, name="demo")
    assert (tmp_path / "a" / MANIFEST).read_bytes() == (tmp_path / "b" / MANIFEST).read_bytes()


def test_write_file_writes_one_file_and_keeps_no_manifest(tmp_path):
    path = write_file(tmp_path / "report.html", "<html>\n")
    assert path.read_text() == "<html>\n" and sorted(os.listdir(tmp_path)) == ["report.html"]


def test_later_writes_of_a_run_add_to_its_set_and_a_later_force_removes_them(tmp_path):
    out = tmp_path / "out"
    write_outputs(out, {"data.json": "1", "old.csv": "1"}, name="analyze")
    with OutputSet(out, force=True, name="analyze") as run:
        run.write({"data.json": "2"})
        run.write_file(out / "problems.csv", "row,problem\n")  # one more file of this run
        run.write_file(tmp_path / "elsewhere" / "problems.csv", "row,problem\n")
    assert sorted(os.listdir(out)) == [MANIFEST, "data.json", "problems.csv"]
    assert (tmp_path / "elsewhere" / "problems.csv").is_file()
    write_outputs(out, {"data.json": "3"}, force=True, name="analyze")
    assert sorted(os.listdir(out)) == [MANIFEST, "data.json"]


def test_a_file_added_when_a_run_fails_keeps_the_earlier_results(tmp_path):
    out = tmp_path / "out"
    write_outputs(out, {"data.json": "1", "report.html": "1"}, name="analyze")
    with OutputSet(out, force=True, name="analyze") as run:
        run.write({"problems.csv": "row,problem\n"}, add=True)
    assert sorted(os.listdir(out)) == [MANIFEST, "data.json", "problems.csv", "report.html"]
