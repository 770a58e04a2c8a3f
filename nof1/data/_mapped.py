"""A table read through a mapping file (``nof1.data.mapping``) into nof1's own columns."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from nof1.data._cells import cell_text, is_missing, normalize_name, parse_number
from nof1.data._recognise import decimal_commas, refuse_duplicates
from nof1.data._tabular import RawTable, with_row_note
from nof1.data.dates import DateRule, parse_clock, read_dates
from nof1.data.mapping import DiaryMap
from nof1.errors import DiaryError, Problem

__all__ = ["apply_map"]

#: nof1 columns a mapped file may also have under their own names.
_PASSED = ("condition", "period", "note")


def apply_map(raw: RawTable, mapping: DiaryMap, date_format: str | None = None) -> RawTable:
    """The table with the columns patient_id, date, the mapped outcomes (and condition,
    period, note when the file has them), one row per patient and date."""
    spec = mapping.date_column
    wanted = {"date": spec.column} | ({"patient": mapping.patient} if mapping.patient else {})
    wanted |= {f"outcomes.{o}": c for o, c in mapping.outcomes.items()}
    wanted |= {f"items.{o}": c for o, c in mapping.items.items()}
    index, problems = {}, []
    for key, column in wanted.items():
        i = raw.column(normalize_name(column))
        if i is None:
            problems.append(f"has no column '{column}' ({key} in {mapping.source})")
        index[key] = i
    if problems:
        shown = ", ".join(f"'{n}'" for n in raw.names[:12]) + (
            ", ..." if len(raw.names) > 12 else ""
        )
        raise DiaryError(raw.source, problems + [f"its columns: {shown}"])
    used = set(index.values())
    passed = [(n, raw.column(n)) for n in _PASSED if raw.column(n) is not None]
    used |= {i for _, i in passed}
    ignored = {normalize_name(c) for c in mapping.ignore}
    left = [
        n
        for i, (n, c) in enumerate(zip(raw.names, raw.columns, strict=True))
        if i not in used and c not in ignored
    ]
    kept = [i for i in used]
    raw = replace(raw, duplicates=tuple(d for d in raw.duplicates if d[1] in kept and d[2] in kept))
    refuse_duplicates(raw)
    rule = DateRule(
        format=date_format or spec.format,
        day_starts_at=parse_clock(spec.day_starts_at),
        timezone=spec.timezone,
        fix=f"--date-format, or date.format in {mapping.source},",
    )
    numbers = [n for n, _ in raw.rows]
    cells = [c[index["date"]] for _, c in raw.rows]
    dates, bad, note = read_dates(cells, numbers, rule, spec.column)
    if bad:
        raise DiaryError(with_row_note(raw.source), [m for _, m in bad])
    moments = [_moment(c) for c in cells]
    outcomes = list(mapping.outcomes)
    keys = [f"outcomes.{o}" for o in outcomes] + [f"items.{o}" for o in mapping.items]
    codes = _codes(mapping)
    out = []
    for (number, row), date, moment in zip(raw.rows, dates, moments, strict=True):
        patient = "" if mapping.patient is None else row[index["patient"]]
        values = []
        for key in keys:
            i = index[key]
            name = key.partition(".")[2]
            values.append(_recode(row[i], codes.get(name) or codes.get(raw.columns[i])))
        out.append((number, moment, [patient, date, *values, *(row[i] for _, i in passed)]))
    names = ["patient_id", "date", *outcomes, *mapping.items, *(n for n, _ in passed)]
    rows = _one_per_day(raw.source, out, mapping, len(outcomes), len(mapping.items))
    notes = [f"read through the map {mapping.source}"]
    notes += [note] if note else []
    if left:
        shown = ", ".join(f"'{n}'" for n in left[:6]) + (", ..." if len(left) > 6 else "")
        notes.append(f"columns not in the map, left out: {shown} (list them under ignore:)")
    mapped = RawTable(
        source=raw.source,
        sha256=raw.sha256,
        names=names,
        columns=[normalize_name(n) for n in names],
        rows=rows,
        delimiter=raw.delimiter,
        note="; ".join(filter(None, [raw.note, *notes])),
    )
    return decimal_commas(mapped, outcomes)


def _moment(cell):
    """A cell's time order key (its datetime when it has one)."""
    return cell if isinstance(cell, dt.datetime) else None


def _codes(mapping: DiaryMap) -> dict:
    return {
        normalize_name(key): {cell_text(t).casefold(): v for t, v in table.items()}
        for key, table in mapping.recode.items()
    }


def _recode(cell, codes: dict | None):
    if codes is None or is_missing(cell):
        return cell
    found = codes.get(cell_text(cell).casefold())
    return cell if found is None else found


def _one_per_day(source: str, out, mapping: DiaryMap, n_outcomes: int, n_items: int = 0):
    """One row per (patient, date) under the map's same_day rule (time order, then rows)."""
    groups: dict = {}
    for number, moment, cells in out:
        if cells[1] is None:  # no date: validation names the row
            groups[("", number)] = [(number, moment, cells)]
            continue
        groups.setdefault((cell_text(cells[0]), cells[1]), []).append((number, moment, cells))
    rows, problems = [], []
    rule = mapping.same_day
    for (patient, date), entries in groups.items():
        if len(entries) == 1:
            rows.append((entries[0][0], entries[0][2]))
            continue
        if rule == "error":
            a, b = entries[0][0], entries[1][0]
            who = f" (patient '{patient}')" if patient else ""
            message = (
                f"rows {a} and {b} are both for {date.isoformat()}{who}: set same_day in "
                f"{mapping.source} to first, last or mean"
            )
            problems.append(Problem(message, row=b, column="date"))
            continue
        entries.sort(key=lambda e: (e[1] is None, e[1] or dt.datetime.min, e[0]))
        if rule in ("first", "last"):
            number, _, cells = entries[0 if rule == "first" else -1]
            rows.append((number, cells))
            continue
        merged = list(entries[0][2])
        for k in range(2, 2 + n_outcomes):
            merged[k] = _mean([e[2][k] for e in entries])
        items = list(mapping.items)
        for j, name in enumerate(items[:n_items]):
            k = 2 + n_outcomes + j
            merged[k], problem = _same_answer(entries, k, name, date, mapping.source)
            problems += [problem] if problem else []
        rows.append((entries[0][0], merged))
    if problems:
        raise DiaryError(with_row_note(source), problems)
    rows.sort(key=lambda r: r[0])
    return rows


def _same_answer(entries, k: int, name: str, date, source: str):
    """An answer item under ``same_day: mean``: no mean of answers, the entries must agree.

    Returns (the answer, None) or (None, the problem naming the first two rows that differ).
    """
    given = [(number, cells[k]) for number, _, cells in entries if not is_missing(cells[k])]
    if not given:
        return None, None
    (a, x) = given[0]
    for b, y in given[1:]:
        if cell_text(y).casefold() != cell_text(x).casefold():
            message = (
                f"rows {a} and {b} are both for {date.isoformat()} and answer '{name}' "
                f"differently ('{cell_text(x)}', '{cell_text(y)}'): a mean of answers means "
                f"nothing; set same_day in {source} to first or last"
            )
            return None, Problem(message, row=b, column=name)
    return x, None


def _mean(cells):
    """The mean of the entries' numbers; a cell that is no number is kept to be reported."""
    values = []
    for cell in cells:
        if is_missing(cell):
            continue
        try:
            values.append(parse_number(str(cell).replace(",", ".")))
        except ValueError:
            return cell
    return sum(values) / len(values) if values else None
