"""``nof1.read_protocol``: a protocol, validated, that shows its summary in a notebook."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from nof1.protocol import load

__all__ = ["ProtocolFile", "read_protocol"]


@dataclass(frozen=True, repr=False)
class ProtocolFile(load.ProtocolFile):
    """A :class:`nof1.protocol.ProtocolFile` (``protocol``, ``path``, ``text``, ``sha256``)
    that shows itself as ``nof1 protocols show`` does, not as its whole text."""

    def summary(self) -> str:
        """What ``nof1 protocols show`` prints: timeline, blinding, outcomes, analysis plan."""
        from nof1.protocol.summary import summarize

        return summarize(self.protocol, self.sha256)

    def __repr__(self) -> str:
        return (
            f"<nof1 protocol {self.protocol.id} ({Path(self.path).name}, SHA-256 "
            f"{self.sha256[:12]}…): {self.protocol.title}; .protocol, .summary()>"
        )

    def _repr_html_(self) -> str:
        return f'<pre class="nof1-protocol">{html.escape(self.summary())}</pre>'


def read_protocol(id_or_path: str | Path) -> ProtocolFile:
    """Read and validate a protocol: a shipped id or a YAML file.

    Parameters
    ----------
    id_or_path : str or Path
        A shipped protocol id (``nof1 protocols list``) or a path to a YAML file.

    Returns
    -------
    ProtocolFile
        The validated model (``.protocol``), the file read (``.path``, ``.text``) and its
        SHA-256; ``.summary()`` is what ``nof1 protocols show`` prints. Every function of
        the API takes it where it takes a protocol.

    Raises
    ------
    nof1.errors.ProtocolError
        An unknown id, an unreadable file, or every field that fails validation.

    Examples
    --------
    >>> import nof1
    >>> pf = nof1.read_protocol("ldn-nof1-multicycle")
    >>> pf.protocol.schedule.cycles, [o.name for o in pf.protocol.outcomes][:2]
    (3, ['pain', 'fatigue'])
    >>> pf
    <nof1 protocol ldn-nof1-multicycle (ldn-nof1-multicycle.yaml, SHA-256 ...): ...>
    >>> print(pf.summary().splitlines()[0])
    Low-dose naltrexone for fibromyalgia, double-blind multi-cycle n-of-1 trial
    >>> nof1.read_protocol("ldn")
    Traceback (most recent call last):
    ...
    nof1.errors.ProtocolError: ldn: no such file, and not a shipped protocol id (shipped: ...)
    """
    pf = load.read_protocol(id_or_path)
    return ProtocolFile(pf.protocol, pf.path, pf.text, pf.sha256)
