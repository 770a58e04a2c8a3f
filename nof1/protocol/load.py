"""Finding, reading and validating protocol files.

Everywhere a protocol is taken, either the id of a shipped protocol or a path to a YAML
file works. Problems come back as one :class:`~nof1.errors.ProtocolError` listing every
field at fault, never as a pydantic or YAML traceback.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from nof1._yaml import parse_yaml, read_text
from nof1.errors import ProtocolError
from nof1.protocol.model import Protocol

__all__ = [
    "ProtocolFile",
    "load_protocol",
    "read_protocol",
    "shipped_dir",
    "shipped_ids",
    "validation_problems",
]


@dataclass(frozen=True)
class ProtocolFile:
    """A validated protocol together with where it came from.

    Attributes
    ----------
    protocol : Protocol
    path : Path
        The file read.
    text : str
        Its exact contents.
    sha256 : str
        Hex SHA-256 of the file's bytes; reports and keys cite it.
    """

    protocol: Protocol
    path: Path
    text: str
    sha256: str


def shipped_dir() -> Path:
    """The folder of shipped protocols.

    A wheel carries them inside the package; a source checkout (or editable install)
    keeps them in the repository's top-level ``protocols/``.
    """
    packaged = Path(__file__).resolve().parents[1] / "_shipped_protocols"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "protocols"


def shipped_ids() -> list[str]:
    """Ids of the shipped protocols, sorted.

    Examples
    --------
    >>> shipped_ids()
    ['ldn-fibromyalgia-2009-pilot', 'ldn-fibromyalgia-2013', 'ldn-nof1-multicycle']
    """
    return sorted(p.stem for p in shipped_dir().glob("*.yaml"))


def read_protocol(id_or_path: str | Path) -> ProtocolFile:
    """Read and validate a protocol given a shipped id or a file path.

    Parameters
    ----------
    id_or_path : str or Path
        A shipped protocol id (see :func:`shipped_ids`) or a path to a YAML file.

    Returns
    -------
    ProtocolFile

    Raises
    ------
    ProtocolError
        Unknown id, unreadable file, bad YAML, or every field that fails validation.

    Examples
    --------
    >>> pf = read_protocol("ldn-fibromyalgia-2013")
    >>> pf.protocol.randomization.scheme, len(pf.sha256)
    ('counterbalanced', 64)
    """
    path = _resolve(id_or_path)
    text = read_text(path, ProtocolError)
    protocol = _validate(_parse_yaml(text, str(path)), str(path))
    return ProtocolFile(protocol, path, text, hashlib.sha256(text.encode("utf-8")).hexdigest())


def load_protocol(id_or_path: str | Path) -> Protocol:
    """The validated :class:`Protocol` for a shipped id or a file path."""
    return read_protocol(id_or_path).protocol


def _resolve(id_or_path: str | Path) -> Path:
    candidate = Path(id_or_path)
    if candidate.is_file():
        return candidate
    shipped = shipped_dir() / f"{id_or_path}.yaml"
    if isinstance(id_or_path, str) and "/" not in id_or_path and shipped.is_file():
        return shipped
    if candidate.exists():
        raise ProtocolError(str(candidate), ["is not a file"])
    raise ProtocolError(
        str(id_or_path),
        [f"no such file, and not a shipped protocol id (shipped: {', '.join(shipped_ids())})"],
    )


def _parse_yaml(text: str, source: str) -> dict:
    data = parse_yaml(text, source, ProtocolError)
    if not isinstance(data, dict):
        raise ProtocolError(source, ["must be a YAML mapping of protocol fields (id, title, ...)"])
    return data


def _validate(data: dict, source: str) -> Protocol:
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(source, validation_problems(exc)) from None


def validation_problems(exc: ValidationError) -> list[str]:
    """Turn pydantic's errors into 'field.path: what was expected, got X' lines."""
    problems = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(part) for part in err["loc"])
        kind, msg = err["type"], err["msg"]
        if kind == "value_error" and not path:
            # Cross-field rules: already 'field.path: problem' lines.
            problems.extend(msg.removeprefix("Value error, ").splitlines())
        elif kind == "missing":
            problems.append(f"{path}: required field is missing")
        elif kind == "value_error":
            # A field's own rule (analysis.primary_method): its message says why.
            problems.append(f"{path}: {msg.removeprefix('Value error, ')}")
        elif kind == "extra_forbidden":
            problems.append(f"{path}: unknown field (check the spelling)")
        else:
            problems.append(f"{path}: {msg[0].lower() + msg[1:]}, got {err['input']!r}")
    return problems
