"""Give the sample diaries the protocols' answer items (issue 16), keeping every other cell.

The sample data were written by nof1 0.1.0 from keys without a secret (see README.md), so
``nof1 simulate`` cannot re-create them; and the R-reference tests are computed on their
outcome columns. This script therefore only adds to them, with the generator that
``nof1 simulate`` uses (``nof1.simulate.answers``), on its own stream
(``answers_rng(seed)``: the outcomes' stream is untouched) and its default parameters:

- every ``*-diary.csv`` (and ``series-diary.csv``) gains the answer columns before
  ``note``; every other cell stays byte for byte as it was; a day whose outcomes are all
  empty keeps its answers empty (the whole day is unrecorded);
- the calendars and diary templates are written again by nof1's writers from the keys
  (the calendar marks the days of the blinding question, the template has the columns);
- the blinded allocations, unblinding keys and SIMULATION.md cite the protocol's new
  SHA-256 (its schedule is unchanged: the answer items do not enter it).

Run from the repository root: ``.venv/bin/python sample_data/add_answer_items.py``.
Running it again gives the same files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from nof1.design.blinding import PatientSchedule
from nof1.design.timeline import build_timeline
from nof1.files.calendar import calendar_csv, calendar_ics
from nof1.files.diary_csv import diary_template_csv
from nof1.protocol import read_protocol
from nof1.simulate.answers import answers_rng, simulate_answers

HERE = Path(__file__).resolve().parent
FOLDERS = {"ldn-nof1-multicycle": False, "ldn-fibromyalgia-2013-series": True}
_SHA = re.compile(r"\b[0-9a-f]{64}\b")


def main() -> None:
    for folder, series in FOLDERS.items():
        root = HERE / folder
        key_path = root / ("series-unblinding-key.json" if series else "P01-unblinding-key.json")
        key = json.loads(key_path.read_text())
        pf = read_protocol(key["protocol"]["id"])
        p = pf.protocol
        entries = key["patients"] if series else [key]
        schedules = [_schedule(p, e) for e in entries]
        allocations = np.array([s.allocation for s in schedules])
        said = simulate_answers(p, allocations, answers_rng(key["seed"]))
        columns = {}
        for i, s in enumerate(schedules):
            prefix = root / s.patient_id / s.patient_id if series else root / s.patient_id
            path = Path(f"{prefix}-diary.csv")
            columns[s.patient_id] = _answer_cells(p, said, i, path.read_text())
            path.write_text(
                _with_answers(path.read_text(), p, {s.patient_id: columns[s.patient_id]})
            )
            Path(f"{prefix}-calendar.csv").write_text(calendar_csv(pf, s))
            Path(f"{prefix}-calendar.ics").write_bytes(calendar_ics(pf, s).encode("utf-8"))
            Path(f"{prefix}-diary-template.csv").write_text(diary_template_csv(p, s))
        if series:
            path = root / "series-diary.csv"
            path.write_text(_with_answers(path.read_text(), p, columns))
        for path in sorted(root.rglob("*")):
            if path.suffix in (".json", ".md") or path.name.endswith("allocation-blinded.csv"):
                text = path.read_text()
                path.write_text(text.replace(key["protocol"]["sha256"], pf.sha256))
        print(f"{folder}: {len(schedules)} diaries given {', '.join(p.answer_items)}")


def _schedule(p, entry) -> PatientSchedule:
    allocation = np.array([t == "active" for t in entry["sequence"]])
    return PatientSchedule(
        patient_id=entry["patient_id"],
        allocation=allocation,
        kit_codes=tuple(period["kit_code"] for period in entry["periods"]),
        group_of={t: g for g, t in entry["groups"].items()},
        timeline=build_timeline(
            p, allocation, __import__("datetime").date.fromisoformat(entry["start_date"])
        ),
        seed=entry["seed"],
    )


def _answer_cells(p, said, i, diary_text) -> list[list[str]]:
    """Per diary row, the answer cells (as text) of patient ``i``."""
    lines = diary_text.rstrip("\n").split("\n")
    header = lines[0].split(",")
    outcomes = [header.index(o.name) for o in p.outcomes]
    days = header.index("day")
    rows = []
    for line in lines[1:]:
        cells = line.split(",")
        day = int(cells[days]) - 1
        unrecorded = all(cells[k] == "" for k in outcomes)
        row = []
        for name in p.answer_items:
            value = said[name][i, day]
            if unrecorded or value is None or value != value:
                row.append("")
            elif isinstance(value, str):
                row.append(value)
            else:
                row.append("yes" if value else "no")
        rows.append(row)
    return rows


def _with_answers(text: str, p, columns: dict) -> str:
    """The diary text with the answer columns inserted before ``note`` (rows in order)."""
    lines = text.rstrip("\n").split("\n")
    header = lines[0].split(",")
    if p.answer_items[0] in header:  # already added: take them out first
        keep = [k for k, name in enumerate(header) if name not in p.answer_items]
        lines = [",".join(line.split(",")[k] for k in keep) for line in lines]
        header = lines[0].split(",")
    note = header.index("note")
    assert note == len(header) - 1 and all('"' not in line for line in lines)
    patient = header.index("patient_id")
    seen: dict[str, int] = {}
    out = [",".join(header[:note] + p.answer_items + header[note:])]
    for line in lines[1:]:
        cells = line.split(",")
        pid = cells[patient]
        k = seen.get(pid, 0)
        seen[pid] = k + 1
        out.append(",".join(cells[:note] + columns[pid][k] + cells[note:]))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
