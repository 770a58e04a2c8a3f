"""The files ``nof1 import studyu`` writes: protocol.yaml, diaries/, allocations/."""

from __future__ import annotations

import csv
import hashlib
import io
import textwrap
from pathlib import Path

import numpy as np
import yaml

from nof1.data._studyu_import import StudyUImport, convert
from nof1.errors import DiaryError

__all__ = ["import_files"]

_HEADER = """\
# Imported from the StudyU export {source} by `nof1 import studyu`.
# From study_definition.json: the baseline, phase length, cycles, the order of phases and
# the numeric questions with their ranges. Not in a StudyU design, so set by the import
# (options --primary, --higher-better, --mcid): which outcome is primary, the direction
# of each outcome, its MCID, and a placeholder dose (dose_mg: 1).
# Import again rather than edit: the allocations cite this file's SHA-256.
"""


def import_files(export, active, placebo, zone, day_start, same_day, primary, higher, mcid):
    """The files (relative path -> text) and the :class:`StudyUImport` they came from."""
    from nof1.design.blinding import PatientSchedule, schedule_files
    from nof1.design.timeline import build_timeline
    from nof1.protocol.load import ProtocolFile
    from nof1.protocol.model import Protocol

    result = convert(export, active, placebo, zone, day_start, same_day, primary, higher, mcid)
    text = _HEADER.format(source=Path(export.source).name)
    for warning in result.warnings:
        text += "".join(f"# {line}\n" for line in textwrap.wrap(f"Warning: {warning}.", 86))
    text += yaml.safe_dump(result.protocol, sort_keys=False, allow_unicode=True, width=88)
    try:
        protocol = Protocol.model_validate(result.protocol)
    except ValueError as exc:  # a design nof1 cannot hold
        raise DiaryError(f"{export.source}:study_definition.json", [str(exc)]) from None
    pf = ProtocolFile(
        protocol, Path("protocol.yaml"), text, hashlib.sha256(text.encode("utf-8")).hexdigest()
    )
    files = {"protocol.yaml": text}
    names = [o.name for o in protocol.outcomes]
    secret = hashlib.sha256(f"studyu {export.sha256}".encode()).hexdigest()
    for pid, rows in result.diaries.items():
        files[f"diaries/{pid}-diary.csv"] = _diary_csv(pid, rows, names)
        allocation = np.array(result.orders[pid], dtype=bool)
        start = result.starts[pid]
        schedule = PatientSchedule(
            patient_id=pid,
            allocation=allocation,
            kit_codes=tuple(f"{pid[:20]}-P{k + 1}" for k in range(len(allocation))),
            group_of={"active": "B", "placebo": "A"},
            timeline=build_timeline(protocol, allocation, start),
            seed=0,
            secret=secret,
        )
        key = schedule_files(pf, [schedule], start, 0)[f"{pid}-unblinding-key.json"]
        files[f"allocations/{pid}-unblinding-key.json"] = key
    return files, result


def _diary_csv(pid: str, rows, names) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["patient_id", "date", *names])
    for date, values in rows:
        writer.writerow([pid, date.isoformat(), *(_number(values.get(n)) for n in names)])
    return out.getvalue()


def _number(value) -> str:
    if value is None:
        return ""
    return f"{value:.12g}"


__all__ += ["StudyUImport"]
