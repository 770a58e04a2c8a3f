"""Files nof1 reads without a map: its own template, REDCap exports, European spreadsheets.

:func:`recognise` turns a :class:`RawTable` into one with nof1's column names and ISO
dates, and says how it read it:

- a **REDCap** raw export (``record_id``-like first column, ``redcap_repeat_instrument``,
  ``redcap_repeat_instance``, ``*_complete``) or labels export (``Repeat Instrument``,
  ``Repeat Instance``, ``Complete?``): the repeating instrument's rows are kept (the
  non-repeating base rows and other instruments' empty columns are left out), the record
  id is the patient, the instrument's date field is the one whose values are all dates,
  and labels match outcomes by name or label;
- dates other than ``YYYY-MM-DD`` (see ``nof1.data.dates``: the order of day and month
  is settled by the data or by ``--date-format``, never guessed);
- decimal commas (``72,5``) in a file separated by ``;`` or tabs.

A file of nof1's own template costs one look at its first date and its names.
"""

from __future__ import annotations

import re
from dataclasses import replace

from nof1.data._cells import cell_text, is_missing, normalize_name
from nof1.data._tabular import RawTable, twice_message, with_row_note
from nof1.data.dates import DateRule, is_iso_date, read_dates
from nof1.errors import DiaryError

__all__ = ["decimal_commas", "recognise", "refuse_duplicates", "with_dates"]

_DECIMAL_COMMA = re.compile(r"-?[0-9]+,[0-9]+")
_RAW_META = ("redcap_repeat_instrument", "redcap_repeat_instance")
_LABEL_META = ("repeat_instrument", "repeat_instance")
_REDCAP_DROP = re.compile(r"^(redcap_.*|.*_complete|complete\?|repeat_instance|survey_.*)$")
_FORMS = {
    "timestamp": "a Google Forms responses sheet",
    "completion_time": "a Microsoft Forms responses sheet",
}


def recognise(raw: RawTable, protocol, rule: DateRule) -> RawTable:
    """The table with nof1's column names and dates; ``raw.note`` says how it was read."""
    columns = set(raw.columns)
    if set(_RAW_META) <= columns or set(_LABEL_META) <= columns:
        raw = _redcap(raw, protocol)
    elif "date" not in columns:
        for name, kind in _FORMS.items():
            if name in columns:
                raise DiaryError(
                    raw.source,
                    [
                        f"looks like {kind}: its columns are the questions; say which column "
                        "is the date and which question is which outcome in a --map file "
                        "(see docs/input-formats.md)"
                    ],
                )
    refuse_duplicates(raw)
    raw = decimal_commas(raw, [o.name for o in protocol.outcomes])
    return with_dates(raw, rule)


def refuse_duplicates(raw: RawTable) -> None:
    """The header problems a lenient read left: a column name twice."""
    if raw.duplicates:
        raise DiaryError(
            with_row_note(raw.source), [twice_message(n, i, j) for n, i, j in raw.duplicates]
        )


def decimal_commas(raw: RawTable, outcomes: list[str]) -> RawTable:
    """``72,5`` read as 72.5 in the outcome columns of a file separated by ';' or tabs."""
    if raw.delimiter == "," or raw.column("value") is None and not set(outcomes) & set(raw.columns):
        return raw
    where = [raw.column(o) for o in [*outcomes, "value"] if raw.column(o) is not None]
    changed = False
    rows = []
    for number, cells in raw.rows:
        for i in where:
            cell = cells[i]
            if cell.__class__ is str and "," in cell and _DECIMAL_COMMA.fullmatch(cell):
                if not changed:
                    cells = list(cells)
                cells[i] = cell.replace(",", ".")
                changed = True
        rows.append((number, cells))
    if not changed:
        return raw
    return _noted(replace(raw, rows=rows), "decimal commas read as points")


def with_dates(raw: RawTable, rule: DateRule) -> RawTable:
    """The date column as dates when it is not plain ``YYYY-MM-DD`` text."""
    i = raw.column("date")
    if i is None:
        return raw
    first = next((cells[i] for _, cells in raw.rows if not is_missing(cells[i])), None)
    if first is None or (is_iso_date(first) and rule.day_starts_at is None):
        return raw  # nof1's own template: each date is parsed as it is validated
    dates, problems, note = read_dates(
        [cells[i] for _, cells in raw.rows], [n for n, _ in raw.rows], rule, raw.names[i]
    )
    if problems:
        raise DiaryError(with_row_note(raw.source), [m for _, m in problems])
    rows = []
    for (number, cells), date in zip(raw.rows, dates, strict=True):
        cells = list(cells)
        cells[i] = date
        rows.append((number, cells))
    return _noted(replace(raw, rows=rows), note)


def _noted(raw: RawTable, note: str) -> RawTable:
    if not note:
        return raw
    return replace(raw, note=f"{raw.note}; {note}" if raw.note else note)


def _redcap(raw: RawTable, protocol) -> RawTable:
    labels = "redcap_repeat_instrument" not in raw.columns
    kind = "labels" if labels else "raw"
    instrument_at = raw.column(_LABEL_META[0] if labels else _RAW_META[0])
    repeated = [(n, c) for n, c in raw.rows if not is_missing(c[instrument_at])]
    if not repeated:
        raise DiaryError(
            raw.source,
            [f"is a REDCap {kind} export without repeating instrument rows (no diary days)"],
        )
    instruments = list(dict.fromkeys(cell_text(c[instrument_at]) for _, c in repeated))
    primary = protocol.primary_outcome
    if len(instruments) > 1:
        with_primary = [
            name
            for name in instruments
            if any(
                _outcome_of(raw.names[i], raw.columns[i], protocol) == primary.name
                and not is_missing(c[i])
                for n, c in repeated
                if cell_text(c[instrument_at]) == name
                for i in range(len(raw.columns))
            )
        ]
        if len(with_primary) != 1:
            raise DiaryError(
                raw.source,
                [
                    f"is a REDCap {kind} export with the repeating instruments "
                    f"{', '.join(instruments)}: say which is the diary in a --map file"
                ],
            )
        instruments = with_primary
    instrument = instruments[0]
    rows = [(n, c) for n, c in repeated if cell_text(c[instrument_at]) == instrument]
    keep = [
        i
        for i in range(len(raw.columns))
        if i != instrument_at
        and (i == 0 or not _REDCAP_DROP.match(raw.columns[i]))
        and any(not is_missing(c[i]) for _, c in rows)
    ]
    names, columns = [], []
    date_field = _date_field(raw, rows, keep)
    for i in keep:
        if i == 0:
            name = "patient_id"
        elif i == date_field:
            name = "date"
        else:
            name = _outcome_of(raw.names[i], raw.columns[i], protocol) or raw.names[i]
        names.append(name)
        columns.append(normalize_name(name))
    dropped = len(raw.rows) - len(rows)
    note = f"read as a REDCap {kind} export, instrument {instrument}"
    if dropped:
        note += f" ({dropped} other row(s) left out: base rows or other instruments)"
    if date_field is not None:
        note += f"; its date field: {raw.names[date_field]}"
    twice = [d for d in raw.duplicates if d[1] in keep and d[2] in keep]
    return replace(
        raw,
        names=names,
        columns=columns,
        rows=[(n, [c[i] for i in keep]) for n, c in rows],
        note=note,
        duplicates=tuple((n, keep.index(i), keep.index(j)) for n, i, j in twice),
    )


def _date_field(raw: RawTable, rows, keep) -> int | None:
    """The instrument's date field: the kept column whose every value is a date."""
    found = []
    for i in keep[1:]:
        values = [c[i] for _, c in rows if not is_missing(c[i])]
        if values and all(_looks_like_date(v) for v in values):
            found.append(i)
    if len(found) > 1:
        named = [i for i in found if "date" in raw.columns[i]]
        found = named if len(named) == 1 else found
    if len(found) > 1:
        names = ", ".join(raw.names[i] for i in found)
        raise DiaryError(
            raw.source,
            [f"has several date fields ({names}): name the diary's in a --map file (date:)"],
        )
    return found[0] if found else None


def _looks_like_date(cell) -> bool:
    import datetime as dt

    if isinstance(cell, dt.date):
        return True
    text = cell_text(cell)
    return is_iso_date(text) or bool(
        re.fullmatch(r"[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{4}.*", text)
    )


def _outcome_of(name: str, column: str, protocol) -> str | None:
    """The protocol outcome or answer item a REDCap field or label names (by name or
    label), if one."""
    plain = normalize_name(re.sub(r"\s*\(.*\)\s*$", "", name))
    items = [*protocol.adverse_events, protocol.adherence, protocol.blinding_check]
    for outcome in [*protocol.outcomes, *(i for i in items if i is not None)]:
        if column == outcome.name or plain in (outcome.name, normalize_name(outcome.label)):
            return outcome.name
        if column == normalize_name(outcome.label):
            return outcome.name
    return None
