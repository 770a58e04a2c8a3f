"""Writing a command's output files all at once, never overwriting by accident.

Every command builds its files in memory first, then hands them here: if any target
already exists (and ``force`` is off) nothing is written; otherwise each file is
written to a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

from nof1.errors import Nof1Error

__all__ = ["write_outputs"]


def write_outputs(
    out_dir: str | Path, files: dict[str, str | bytes], force: bool = False
) -> list[Path]:
    """Write ``files`` (relative path -> contents) under ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Created if missing.
    files : dict
        Relative path to text (written as UTF-8, newlines untouched) or bytes.
    force : bool
        Replace files that exist; otherwise refuse before writing anything.

    Returns
    -------
    list of Path
        The paths written, in the order given.

    Raises
    ------
    Nof1Error
        When files exist and ``force`` is off, or ``out_dir`` is not a directory.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> [p.name for p in write_outputs(d, {"a.txt": "hello\\n"})]
    ['a.txt']
    >>> write_outputs(d, {"a.txt": "again\\n"})
    Traceback (most recent call last):
    ...
    nof1.errors.Nof1Error: would overwrite 1 existing file(s): ...a.txt (use --force to replace)
    """
    root = Path(out_dir)
    if root.exists() and not root.is_dir():
        raise Nof1Error(f"--out {root} exists and is not a directory")
    targets = [root / rel for rel in files]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        shown = ", ".join(str(p) for p in existing[:3])
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        raise Nof1Error(
            f"would overwrite {len(existing)} existing file(s): {shown}{more} "
            "(use --force to replace)"
        )
    for path, content in zip(targets, files.values(), strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.partial")
        data = content.encode("utf-8") if isinstance(content, str) else content
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return targets
