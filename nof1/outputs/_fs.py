"""Descriptor-level helpers of the writer: open, write and remove without following links."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from pathlib import Path

from nof1.errors import Nof1Error

__all__ = ["DIR_FLAGS", "FILE_FLAGS", "error", "lstat_at", "remove_tree", "same_file", "write_all"]

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def lstat_at(dir_fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def remove_tree(dir_fd: int, name: str) -> None:
    """Remove the staging folder (``shutil.rmtree`` does not follow links in it)."""
    with contextlib.suppress(OSError):
        shutil.rmtree(name, dir_fd=dir_fd)


def same_file(target: Path, source: Path) -> bool:
    """Whether ``target`` is ``source``: the same resolved path or the same inode."""
    try:
        if os.path.realpath(target) == os.path.realpath(source):
            return True
        return os.path.samefile(target, source)
    except OSError:
        return False


def error(path: Path, exc: OSError, doing: str) -> Nof1Error:
    reason = exc.strerror or errno.errorcode.get(exc.errno, str(exc))
    return Nof1Error(f"{doing} {path}: {reason}")
