"""The manifest of an output folder, ``.nof1-outputs.json``: which files each command wrote.

``{"schema": "nof1.outputs/1", "sets": {"series": {"series.json": [size, sha256], ...}}}``:
per output set (the command that wrote it), each file's path relative to the folder with
its size and SHA-256. It is how ``--force`` knows the previous set, and that a file of it
is still the one nof1 wrote (an edited file is never removed).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat

__all__ = ["MANIFEST", "SCHEMA", "read_sets", "text", "unchanged"]

MANIFEST = ".nof1-outputs.json"
SCHEMA = "nof1.outputs/1"


def read_sets(dir_fd: int) -> dict:
    """The manifest's sets in the folder ``dir_fd`` ({} if missing or unreadable)."""
    try:
        fd = os.open(MANIFEST, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return {}
    try:
        with os.fdopen(fd, "rb") as handle:
            data = json.loads(handle.read(10_000_000))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return {}
    sets = data.get("sets")
    return sets if isinstance(sets, dict) else {}


def unchanged(dir_fd: int, name: str, entry) -> bool:
    """Whether ``name`` in ``dir_fd`` is a regular file with the recorded [size, sha256]."""
    if not (isinstance(entry, list) and len(entry) == 2):
        return False
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size != entry[0]:
            return False
        try:
            return hashlib.file_digest(handle, "sha256").hexdigest() == entry[1]
        except OSError:
            return False


def text(manifest: dict, name: str, recorded: dict, replace: bool, stale) -> str:
    """The new manifest: set ``name`` replaced (or, without ``replace``, added to)."""
    sets = {k: v for k, v in manifest.items() if isinstance(v, dict)}
    previous = {} if replace else dict(sets.get(name, {}))
    for rel in stale:
        previous.pop(str(rel), None)
    sets[name] = previous | recorded
    return json.dumps({"schema": SCHEMA, "sets": sets}, indent=1, sort_keys=True) + "\n"
