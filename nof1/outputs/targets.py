"""What a write may target: paths relative to the output folder, and the run's inputs."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from nof1.errors import Nof1Error
from nof1.outputs.manifest import MANIFEST

__all__ = ["STAGING_PREFIX", "Inputs", "input_paths", "relative_target", "would_overwrite"]

#: The staging folder's name starts so (a name nof1's writer keeps for itself).
STAGING_PREFIX = ".nof1-staging-"

#: The run's input files by role; a value may be a path, a list of paths or None.
Inputs = Mapping[str, "str | os.PathLike | Iterable[str | os.PathLike] | None"]


def relative_target(rel: str) -> PurePosixPath:
    """``rel`` as a path under the output folder; ValueError unless it is one nof1 may write."""
    path = PurePosixPath(rel)
    if path.is_absolute() or not path.parts or any(p in ("..", ".") for p in path.parts):
        raise ValueError(f"output paths are relative, without '.' or '..': {rel!r}")
    if path.parts[0] == MANIFEST or path.parts[0].startswith(STAGING_PREFIX):
        raise ValueError(f"{rel!r} is a name nof1's writer keeps for itself")
    return path


def input_paths(inputs: Inputs) -> list[tuple[str, Path]]:
    """The run's inputs as (role, path) pairs, a role with a list giving one pair each."""
    pairs = []
    for role, value in inputs.items():
        if value is None:
            continue
        values = [value] if isinstance(value, str | os.PathLike) else value
        pairs += [(role, Path(v)) for v in values if v is not None]
    return pairs


def would_overwrite(existing: list[Path]) -> Nof1Error:
    """The error for existing files written without ``force``."""
    shown = ", ".join(str(p) for p in existing[:3])
    more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
    return Nof1Error(
        f"would overwrite {len(existing)} existing file(s): {shown}{more} (use --force to replace)"
    )
