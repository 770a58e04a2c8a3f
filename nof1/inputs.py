"""Reading an input file's bytes safely: regular files only, and bounded.

Every file nof1 reads (diaries, allocations and keys, protocols and maps, results.json)
comes through :func:`read_input`: a FIFO or device (``/dev/zero``) would block or never
end, and a huge file would take the machine's memory, so both are refused before anything
is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["MAX_FILE_BYTES", "read_input"]

#: Largest input file read (a diary of a million rows is about 60 MB).
MAX_FILE_BYTES = 256 * 2**20


def read_input(path: str | Path, error, source: str | None = None, limit: int = MAX_FILE_BYTES):
    """The bytes of a regular file of at most ``limit`` bytes.

    Parameters
    ----------
    path : str or Path
    error : callable
        ``error(source, problems)`` builds the exception to raise, e.g.
        :class:`~nof1.errors.DiaryError` or :class:`~nof1.errors.ProtocolError`.
    source : str, optional
        How the file is named in messages (default: the path).
    limit : int
        Largest size accepted, in bytes.

    Returns
    -------
    bytes

    Examples
    --------
    >>> from nof1.errors import DiaryError
    >>> read_input("/dev/zero", DiaryError)
    Traceback (most recent call last):
    ...
    nof1.errors.DiaryError: /dev/zero: 1 problem(s)
      - is not a regular file (it is a device)
    """
    source = str(path) if source is None else source
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise error(source, [f"cannot be read ({exc.strerror})"]) from None
    try:
        mode = os.fstat(fd)
        if not stat.S_ISREG(mode.st_mode):
            raise error(source, [f"is not a regular file (it is {_kind(mode.st_mode)})"])
        if mode.st_size > limit:
            raise error(source, [_too_large(mode.st_size, limit)])
        with os.fdopen(os.dup(fd), "rb") as stream:
            # read(n) allocates n bytes first: ask for the size (and 1 more, to see growth)
            data = stream.read(mode.st_size + 1)
            if len(data) > mode.st_size:  # it grew while being read
                data += stream.read(max(0, limit + 1 - len(data)))
    except OSError as exc:
        raise error(source, [f"cannot be read ({exc.strerror})"]) from None
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew while being read
        raise error(source, [_too_large(len(data), limit)])
    return data


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def _too_large(size: int, limit: int) -> str:
    if limit >= 2**20:
        return (
            f"is {size / 2**20:,.0f} MB, larger than the {limit / 2**20:,.0f} MB an input "
            "file may have"
        )
    return f"is {size:,} bytes, larger than the {limit:,} bytes this kind of file may have"
