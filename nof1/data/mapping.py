"""A mapping file (``--map FILE``): which column of any table is which part of a diary.

For files nof1 does not recognise by itself (a Google or Microsoft Forms responses sheet,
a spreadsheet with its own headers)::

    # map.yaml
    patient: "Participant ID"          # source column of patient_id (optional)
    date: {column: Timestamp, format: "%m/%d/%Y %H:%M:%S", day_starts_at: "04:00",
           timezone: Europe/Berlin}     # or just   date: Timestamp
    outcomes: {pain: "How bad was your pain today? (0-100)",
               fatigue: "How tired were you today? (0-100)"}
    adverse_events: {vivid_dreams: "Vivid dreams last night?"}   # answer items (optional)
    adherence: "Did you take your capsules?"
    blinding_check: "Which do you think you took?"
    recode: {dose_taken: {"Ja": "yes", "Nein": "no"}}   # by item, outcome or column (optional)
    same_day: last                     # first | last | mean | error (default: error)
    ignore: ["Email address"]          # columns left out without a note (optional)

Column names match ignoring case and spacing. ``date.format`` is ``day-first``,
``month-first`` or a ``strptime`` pattern; without it the order is recognised (never
guessed, see ``nof1.data.dates``). ``day_starts_at`` (default 04:00) puts entries before
it on the day before; ``timezone`` (default: the machine's) converts times that carry an
offset. ``same_day`` says what to do with two entries on one diary date, in time order.
The file's JSON Schema is ``nof1/schemas/map.schema.json``; every problem is reported
with its key path, as for protocol files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nof1._yaml import read_yaml_file
from nof1.errors import DiaryError

__all__ = ["SCHEMA_PATH", "DateColumn", "DiaryMap", "map_schema_text", "read_map"]

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "map.schema.json"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DateColumn(_Model):
    """The column of the diary date, and how to read it."""

    column: str = Field(min_length=1, description="The source column.")
    format: str | None = Field(
        default=None,
        description="day-first, month-first, or a strptime pattern such as %d/%m/%Y %H:%M; "
        "without it the order is recognised from the data (an ambiguous column is an error).",
    )
    day_starts_at: str = Field(
        default="04:00",
        pattern=r"^[0-9]{1,2}:[0-9]{2}$",
        description="HH:MM: entries with a time before it count for the day before.",
    )
    timezone: str | None = Field(
        default=None,
        description="IANA time zone of the diary dates (for times with a UTC offset); "
        "default: the machine's.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value):
        if value is None:
            return value
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Berlin)") from None
        return value

    @field_validator("day_starts_at")
    @classmethod
    def _clock(cls, value):
        hours, minutes = map(int, value.split(":"))
        if hours > 23 or minutes > 59:
            raise ValueError(f"not a time of day HH:MM: {value!r}")
        return value


class DiaryMap(_Model):
    """A validated mapping file (see the module notes)."""

    patient: str | None = Field(default=None, description="Source column of patient_id.")
    date: str | DateColumn = Field(description="The date column, or its column and rules.")
    outcomes: dict[str, str] = Field(min_length=1, description="Protocol outcome -> source column.")
    adverse_events: dict[str, str] = Field(
        default_factory=dict, description="Protocol adverse event -> source column."
    )
    adherence: str | None = Field(
        default=None, description="Source column of the protocol's adherence item."
    )
    blinding_check: str | None = Field(
        default=None, description="Source column of the protocol's blinding guess."
    )
    recode: dict[str, dict[str, float | str]] = Field(
        default_factory=dict,
        description="Outcome, answer item (or source column) -> {answer text: number, or "
        "the text it stands for, e.g. yes, no, drug}.",
    )
    same_day: Literal["first", "last", "mean", "error"] = Field(
        default="error",
        description="Several entries on one diary date: keep the first, the last (in time "
        "order), their mean, or stop naming both rows.",
    )
    ignore: list[str] = Field(
        default_factory=list, description="Source columns left out without a note."
    )
    #: The file read (not part of the file's schema).
    source: str = Field(default="", exclude=True)
    #: Answer item -> source column, as read against the protocol (not in the schema).
    items: dict[str, str] = Field(default_factory=dict, exclude=True)

    @property
    def date_column(self) -> DateColumn:
        return self.date if isinstance(self.date, DateColumn) else DateColumn(column=self.date)

    def item_columns(self, protocol) -> dict[str, str]:
        """Answer item name -> source column, in the protocol's order."""
        out = dict(self.adverse_events)
        if self.adherence and protocol.adherence:
            out[protocol.adherence.name] = self.adherence
        if self.blinding_check and protocol.blinding_check:
            out[protocol.blinding_check.name] = self.blinding_check
        return {n: out[n] for n in protocol.answer_items if n in out}


def read_map(path: str | Path, protocol) -> DiaryMap:
    """Read and validate a mapping file against the protocol's outcomes.

    Raises
    ------
    DiaryError
        Naming the file and every key path at fault.

    Examples
    --------
    >>> import tempfile
    >>> from nof1.protocol import load_protocol
    >>> path = Path(tempfile.mkdtemp()) / "map.yaml"
    >>> _ = path.write_text('date: Timestamp\\noutcomes: {pain: "Pain today?"}\\n'
    ...                     'same_day: sometimes\\n')
    >>> read_map(path, load_protocol("ldn-nof1-multicycle"))
    Traceback (most recent call last):
    ...
    nof1.errors.DiaryError: ...map.yaml: 1 problem(s)
      - same_day: input should be 'first', 'last', 'mean' or 'error', got 'sometimes'
    """
    source = str(path)
    data = read_yaml_file(path, DiaryError)
    if not isinstance(data, dict):
        raise DiaryError(source, ["must be a mapping with date and outcomes (see --help)"])
    data.pop("source", None)
    data.pop("items", None)
    try:
        mapping = DiaryMap.model_validate(data)
    except ValidationError as exc:
        raise DiaryError(source, _describe(exc)) from None
    names = [o.name for o in protocol.outcomes]
    problems = [
        f"outcomes.{name}: not an outcome of protocol '{protocol.id}' (its outcomes: "
        f"{', '.join(names)})"
        for name in mapping.outcomes
        if name not in names
    ]
    if protocol.primary_outcome.name not in mapping.outcomes:
        problems.append(
            f"outcomes: needs the primary outcome '{protocol.primary_outcome.name}' (the "
            "column of its answers)"
        )
    events = [e.name for e in protocol.adverse_events]
    problems += [
        f"adverse_events.{name}: not an adverse event of protocol '{protocol.id}' (its "
        f"events: {', '.join(events) or 'none'})"
        for name in mapping.adverse_events
        if name not in events
    ]
    for key in ("adherence", "blinding_check"):
        if getattr(mapping, key) is not None and getattr(protocol, key) is None:
            problems.append(f"{key}: protocol '{protocol.id}' has no {key} item")
    columns = list(mapping.outcomes.values()) + list(mapping.item_columns(protocol).values())
    for column in sorted({c for c in columns if columns.count(c) > 1}):
        problems.append(f"outcomes: the column '{column}' is given for more than one outcome")
    if problems:
        raise DiaryError(source, problems)
    return mapping.model_copy(update={"source": source, "items": mapping.item_columns(protocol)})


def _describe(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"] if p not in ("str", "DateColumn")]
        path = ".".join(loc) or "(top)"
        kind, msg = err["type"], err["msg"].removeprefix("Value error, ")
        if kind == "missing":
            problems.append(f"{path}: required key is missing")
        elif kind == "extra_forbidden":
            problems.append(f"{path}: unknown key (check the spelling)")
        else:
            problems.append(f"{path}: {msg[0].lower() + msg[1:]}, got {err['input']!r}")
    return list(dict.fromkeys(problems))


def map_schema_text() -> str:
    """The JSON Schema of a mapping file, as the exact text of the shipped file."""
    schema = DiaryMap.model_json_schema()
    schema["properties"].pop("source", None)
    schema["properties"].pop("items", None)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://nof1.invalid/schemas/map.schema.json",
        **schema,
    }
    return json.dumps(schema, indent=2) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(map_schema_text())
    print(f"wrote {SCHEMA_PATH}")
