"""What the API's functions and results share: protocols, writing reports, small HTML tables."""

from __future__ import annotations

import html
import math
import os
from pathlib import Path

from nof1.errors import Nof1Error
from nof1.protocol.load import ProtocolFile

__all__ = [
    "FRAME",
    "arm_labels",
    "cell",
    "diary_frame",
    "interval_words",
    "protocol_file",
    "shown_name",
    "table_html",
    "write_report",
]

_FORCE = "(use --force to replace)"
#: How messages name a diary given as a DataFrame (as ``nof1.data.reading`` does).
FRAME = "<DataFrame>"


def protocol_file(protocol) -> ProtocolFile:
    """A protocol given as a shipped id, a YAML path or :func:`nof1.read_protocol`'s result.

    Raises
    ------
    ProtocolError
        Unknown id, unreadable file or an invalid protocol (as the command line says).
    TypeError
        Anything else (a bare ``Protocol`` has no file, so no SHA-256 to record).
    """
    if isinstance(protocol, ProtocolFile):
        return protocol
    if isinstance(protocol, str | os.PathLike):
        from nof1.api.protocol import read_protocol

        return read_protocol(protocol)
    raise TypeError(
        "protocol must be a shipped protocol id, a path to a YAML file or what "
        f"nof1.read_protocol returns, got {type(protocol).__name__}"
    )


def diary_frame(frame):
    """A DataFrame as the diary readers take it: a named index becomes a column.

    ``frame.set_index("date")`` keeps the dates as the index; the readers read columns.

    Raises
    ------
    DiaryError
        A column MultiIndex (several header rows).
    """
    import pandas as pd

    from nof1.errors import DiaryError

    if isinstance(frame.columns, pd.MultiIndex):
        raise DiaryError(
            FRAME, ["has several header rows (a column MultiIndex): give one name per column"]
        )
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    return frame


def write_report(path, text: str, overwrite: bool, inputs: dict) -> Path:
    """Write one report file through the project's writer (never over an input or a link).

    An existing file is replaced only with ``overwrite``; the error says how.
    """
    from nof1.outputs import write_file

    try:
        return write_file(path, text, force=overwrite, inputs=inputs)
    except Nof1Error as exc:
        message = str(exc)
        if _FORCE not in message:
            raise
        raise Nof1Error(message.replace(_FORCE, "(pass overwrite=True to replace it)")) from None


def shown_name(path) -> str:
    """A path as shared outputs record it: its file name only (no user's folders)."""
    return Path(path).name or "."


def cell(value, digits: int = 2) -> str:
    """A number for an HTML table: fixed decimals, an en dash when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def interval_words(results: dict, protocol) -> str:
    """ "95% CI", from the results' ``analysis`` block (contract 2) or the protocol's alpha."""
    level = (results.get("analysis") or {}).get("interval_level")
    if level is None:
        level = 1 - protocol.analysis.alpha
    return f"{level * 100:g}% CI"


def table_html(headers: list[str], rows: list[list[str]], caption: str | None = None) -> str:
    """A small HTML table; every header and cell is escaped here."""
    esc = html.escape
    out = ['<table class="nof1">']
    if caption:
        out.append(f'<caption style="text-align:left">{esc(caption)}</caption>')
    out.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def arm_labels(results: dict) -> tuple[str, str]:
    """(treated, control) as people read them: "LDN 4.5 mg", "Placebo" or "group B"..."""
    comparison = results.get("comparison") or {}  # contract nof1.results/2 has it
    if "treated_label" in comparison and "control_label" in comparison:
        return comparison["treated_label"], comparison["control_label"]
    from nof1.design.comparison import arms

    treated, control = arms(bool(results["blinded"]))
    labels = results["labels"]
    return labels.get(treated, treated), labels.get(control, control)
