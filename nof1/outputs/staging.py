"""Staging a run's files, and moving them into place so that a failure can undo every move.

:func:`stage_file` writes one file under the staging folder's ``new/`` (``O_EXCL |
O_NOFOLLOW``, folders made on the way); :class:`Moves` renames the staged tree into the
output folder, moving every file it replaces (and every stale file removed) aside into
``old/`` first, and records each rename so that :meth:`Moves.undo` can put all back.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import stat
from pathlib import Path, PurePosixPath

from nof1.outputs import _fs

__all__ = ["Moves", "stage_file", "stage_files", "stage_pieces"]


def stage_file(staging: int, rel: PurePosixPath, data: bytes, shown: Path) -> list:
    """Write ``data`` to ``staging/new/rel``; returns its [size, sha256].

    Raises
    ------
    Nof1Error
        An OS error, naming ``shown`` (where the file is going).
    """
    try:
        fd = _folder(staging, rel.parts[:-1])
    except OSError as exc:
        raise _fs.error(shown, exc, "cannot write") from None
    try:
        return _write(fd, rel.name, data, shown)
    finally:
        os.close(fd)


def _folder(staging: int, parts) -> int:
    """A descriptor of ``staging/new/PARTS...``, made as needed (the caller closes it)."""
    fd = os.open("new", _fs.DIR_FLAGS, dir_fd=staging)
    try:
        for part in parts:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, dir_fd=fd)
            child = os.open(part, _fs.DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
    except OSError:
        os.close(fd)
        raise
    return fd


def _write(folder: int, name: str, data: bytes, shown: Path) -> list:
    """Write a new file ``name`` in the folder ``folder``; returns its [size, sha256]."""
    try:
        out = os.open(name, _fs.FILE_FLAGS, 0o666, dir_fd=folder)
        try:
            _fs.write_all(out, data)
        finally:
            os.close(out)
    except OSError as exc:
        raise _fs.error(shown, exc, "cannot write") from None
    return [len(data), hashlib.sha256(data).hexdigest()]


class Moves:
    """Renames between folder descriptors, each recorded so that all can be undone.

    Parameters
    ----------
    aside : int
        Descriptor of the folder that replaced files are moved into (kept until the end).
        It, and every descriptor given to :meth:`hold`, is closed by :meth:`close`.
    """

    def __init__(self, aside: int):
        self._aside = aside
        self._fds = [aside]
        self._undo: list = []
        self._names = (str(i) for i in itertools.count())

    def hold(self, fd: int) -> int:
        """Keep ``fd`` open until :meth:`close` (the undo steps need it)."""
        self._fds.append(fd)
        return fd

    def move(self, src_fd: int, src: str, dst_fd: int, dst: str) -> None:
        os.rename(src, dst, src_dir_fd=src_fd, dst_dir_fd=dst_fd)
        self._undo.append(lambda: os.rename(dst, src, src_dir_fd=dst_fd, dst_dir_fd=src_fd))

    def move_aside(self, fd: int, name: str) -> None:
        """Move ``name`` out of the way, into the folder kept aside."""
        self.move(fd, name, self._aside, next(self._names))

    def merge(self, src_fd: int, dst_fd: int) -> None:
        """Move the tree under ``src_fd`` into ``dst_fd``, file by file, replacing files."""
        for entry in sorted(os.listdir(src_fd)):
            here = _fs.lstat_at(dst_fd, entry)
            if here is None:
                self.move(src_fd, entry, dst_fd, entry)
            elif stat.S_ISDIR(here.st_mode):
                child_src = self.hold(os.open(entry, _fs.DIR_FLAGS, dir_fd=src_fd))
                child_dst = self.hold(os.open(entry, _fs.DIR_FLAGS, dir_fd=dst_fd))
                self.merge(child_src, child_dst)
            else:  # a file or a link: moved aside (kept until the end), then replaced
                self.move_aside(dst_fd, entry)
                self.move(src_fd, entry, dst_fd, entry)

    def undo(self) -> int:
        """Undo every move made, last first; returns how many could not be undone."""
        lost = 0
        for step in reversed(self._undo):
            try:
                step()
            except OSError:
                lost += 1
        self._undo = []
        return lost

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds = []


def stage_files(stage: str, prefix: str, files: dict) -> dict:
    """Write ``files`` (name -> text or bytes) into the staging folder ``stage`` (the path
    :meth:`~nof1.outputs.OutputSet.stage` gives), under ``prefix/``; returns name ->
    [size, sha256] for :meth:`~nof1.outputs.OutputSet.write`'s ``staged``.

    For worker processes, which may run on other machines: ``stage`` must then be on
    storage they all see (the output folder on a shared file system).
    """
    shown = Path(stage) / "new" / prefix
    try:  # the folder made and opened once for all the files (a patient's: one per patient)
        staging = os.open(stage, _fs.DIR_FLAGS)
        try:
            fd = _folder(staging, PurePosixPath(prefix).parts)
        finally:
            os.close(staging)
    except OSError as exc:
        raise _fs.error(shown, exc, "cannot write") from None
    try:
        out = {}
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            out[name] = _write(fd, name, data, shown / name)
        return out
    finally:
        os.close(fd)


def stage_pieces(stage: str, name: str, pieces) -> list:
    """Write the texts ``pieces`` (an iterable, consumed as written) one after the other
    into ``stage/new/name`` (a new file, at the top of the staging folder); returns its
    [size, sha256], as :func:`stage_files`. For a file too big to hold whole (series.json
    of a large series)."""
    digest, size = hashlib.sha256(), 0
    path = Path(stage) / "new" / name
    try:
        fd = os.open(path, _fs.FILE_FLAGS, 0o666)
    except OSError as exc:
        raise _fs.error(path, exc, "cannot write") from None
    try:
        for text in pieces:
            data = text.encode("utf-8")
            _fs.write_all(fd, data)
            digest.update(data)
            size += len(data)
    except OSError as exc:
        raise _fs.error(path, exc, "cannot write") from None
    finally:
        os.close(fd)
    return [size, digest.hexdigest()]
