"""StudyU exports: the ZIP the StudyU designer downloads, read as its code writes it.

hpi-studyu/studyu ``designer_v2/lib/domain/study_export.dart`` and
``features/analyze/study_export_zip.dart`` write ``study_definition.json`` (the study:
``schedule`` with ``numberOfCycles``, ``phaseDuration``, ``includeBaseline``,
``sequence``, ``sequenceCustom``; ``interventions``; ``observations``, each a questionnaire
with its ``questions``), ``measurements.csv`` / ``.json`` (one row per completed
questionnaire, newest first: ``measurement_time`` and ``participant_started_at`` in UTC
as Dart prints them, ``2025-04-08 22:41:02.328641Z``; ``current_day_of_study``, whole
24-hour blocks since enrolment, from 0; ``current_intervention_id`` / ``_name``, with
``__baseline`` / Baseline and ``N/A`` for an intervention deleted from the design; then
for every survey ``survey{i}_id``, ``survey{i}_name``, ``is_survey{i}`` and for every
question ``survey{i}_question{j}_id`` / ``_text`` / ``_response``) and
``interventions.csv`` / ``.json`` (checked-off intervention tasks).

:func:`read_studyu_export` reads the ZIP or its unzipped folder; ``nof1.data._studyu_import``
turns it into a protocol, a diary and an allocation per participant
(``nof1 import studyu``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from nof1.errors import DiaryError
from nof1.inputs import read_input

__all__ = ["BASELINE_ID", "SCALE_TYPES", "StudyUExport", "parse_dart_time", "read_studyu_export"]

#: The intervention id StudyU gives the baseline phase.
BASELINE_ID = "__baseline"
#: StudyU question types with a numeric answer on a bounded scale.
SCALE_TYPES = ("scale", "annotatedScale", "visualAnalogue")
#: Columns every StudyU measurements.csv has.
MEASUREMENT_COLUMNS = (
    "measurement_time",
    "measurement_id",
    "participant_id",
    "participant_started_at",
    "current_day_of_study",
    "current_intervention_id",
    "current_intervention_name",
)
_MEMBERS = ("study_definition.json", "measurements.csv")


@dataclass(frozen=True)
class StudyUExport:
    """A StudyU export, as read.

    Attributes
    ----------
    source : str
        The ZIP or folder.
    definition : dict
        ``study_definition.json``.
    measurements : list of (int, dict)
        ``measurements.csv`` rows with their spreadsheet row (the header is row 1), in
        the file's order (newest first).
    member : str
        The name of the measurements file in messages (``export.zip:measurements.csv``).
    sha256 : str
        SHA-256 of the measurements file's bytes.
    """

    source: str
    definition: dict
    measurements: list
    member: str
    sha256: str


def read_studyu_export(path: str | Path) -> StudyUExport:
    """Read a StudyU export ZIP, or the folder it unzips to.

    Raises
    ------
    DiaryError
        Not a StudyU export, or one whose files are not as StudyU writes them.
    """
    source = str(path)
    files = _members(Path(path), source)
    missing = [
        m
        for m in _MEMBERS
        if m not in files and not (m.endswith(".csv") and "measurements.json" in files)
    ]
    if missing:
        raise DiaryError(
            source,
            [
                f"is not a StudyU export: it has no {', '.join(missing)} (the ZIP the "
                "StudyU designer downloads from a study's Analyze page)"
            ],
        )
    try:
        definition = json.loads(files["study_definition.json"].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DiaryError(f"{source}:study_definition.json", [f"is not JSON ({exc})"]) from None
    if not isinstance(definition, dict) or not isinstance(definition.get("schedule"), dict):
        raise DiaryError(
            f"{source}:study_definition.json", ["has no schedule (not a StudyU study)"]
        )
    if "measurements.csv" in files:
        member, data = f"{source}:measurements.csv", files["measurements.csv"]
        rows = _csv_records(data, member)
    else:
        member, data = f"{source}:measurements.json", files["measurements.json"]
        rows = _json_records(data, member)
    if rows:
        absent = [c for c in MEASUREMENT_COLUMNS if c not in rows[0][1]]
        if absent:
            raise DiaryError(member, [f"has no column(s) {', '.join(absent)} (not StudyU's)"])
    return StudyUExport(source, definition, rows, member, hashlib.sha256(data).hexdigest())


def parse_dart_time(text: str) -> dt.datetime:
    """A Dart ``DateTime.toString()``: ``2025-04-08 22:41:02.328641Z`` (UTC when it ends
    in Z; milliseconds always, microseconds when not 0).

    Examples
    --------
    >>> parse_dart_time("2025-04-08 22:41:02.328641Z")
    datetime.datetime(2025, 4, 8, 22, 41, 2, 328641, tzinfo=datetime.timezone.utc)
    >>> parse_dart_time("2025-04-08 22:41:02.328Z").microsecond
    328000
    """
    text = text.strip()
    utc = text.endswith(("Z", "z"))
    when = dt.datetime.fromisoformat(text.rstrip("Zz"))
    return when.replace(tzinfo=dt.UTC) if utc else when


def _members(path: Path, source: str) -> dict[str, bytes]:
    if path.is_dir():
        return {
            p.name: read_input(p, DiaryError)
            for p in path.iterdir()
            if p.is_file() and p.name.endswith((".json", ".csv"))
        }
    data = read_input(path, DiaryError, source)
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        out = {}
        for info in book.infolist():
            name = info.filename.rsplit("/", 1)[-1]
            if name.endswith((".json", ".csv")) and not info.is_dir():
                if info.file_size > 512 * 2**20:
                    raise DiaryError(source, [f"has a member {name} larger than 512 MB"])
                out[name] = book.read(info)
        return out
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        raise DiaryError(source, [f"is not a readable ZIP file ({exc})"]) from None


def _csv_records(data: bytes, member: str) -> list:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DiaryError(member, ["is not UTF-8 text (StudyU writes UTF-8)"]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = list(reader)
    except csv.Error as exc:
        raise DiaryError(member, [f"is not a readable CSV file ({exc})"]) from None
    if not records:
        return []
    header = [h.strip() for h in records[0]]
    out = []
    for number, record in enumerate(records[1:], 2):
        if not any(c.strip() for c in record):
            continue
        if len(record) != len(header):
            raise DiaryError(
                member, [f"row {number} has {len(record)} cells but the header {len(header)}"]
            )
        out.append((number, dict(zip(header, record, strict=True))))
    return out


def _json_records(data: bytes, member: str) -> list:
    try:
        records = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DiaryError(member, [f"is not JSON ({exc})"]) from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise DiaryError(member, ["is not a list of measurement records"])
    return [
        (i + 2, {k: "" if v is None else str(v) for k, v in r.items()})
        for i, r in enumerate(records)
    ]
