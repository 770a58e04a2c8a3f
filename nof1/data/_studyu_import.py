"""A StudyU export as nof1 files: a protocol, and a diary and an allocation per participant.

- **protocol**: a baseline of one phase when the study has one, ``numberOfCycles`` cycles
  of phases of ``phaseDuration`` days, no washout; the outcomes are the questions with a
  numeric scale (``scale``, ``annotatedScale``, ``visualAnalogue``) and their ranges. The
  randomization scheme says what StudyU did: every participant's real order, ``fixed``
  when they all share one, else ``pairwise`` (or ``balanced``) with a warning, since StudyU
  orders phases by the participant's choice of interventions (its ``randomized``
  sequence shuffles every cycle but the first);
- **diaries**: each answer's date is its ``measurement_time`` in the time zone, an answer
  before ``day_starts_at`` counting for the day before (the evening's diary filled in
  after midnight); several answers on one date follow the ``same_day`` rule;
- **allocations**: an unblinding key per participant (StudyU is open-label) with the
  treatment of each period as the participant's answers record it
  (``current_intervention_id`` by StudyU's own phase, ``current_day_of_study`` //
  ``phaseDuration``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from nof1.data._cells import is_missing
from nof1.data.studyu import BASELINE_ID, SCALE_TYPES, StudyUExport, parse_dart_time
from nof1.errors import DiaryError

__all__ = ["StudyUImport", "convert"]


@dataclass
class StudyUImport:
    """What an import gives: texts of the files and what was left out."""

    protocol: dict
    warnings: list = field(default_factory=list)
    diaries: dict = field(default_factory=dict)  # participant -> [(date, {outcome: value})]
    starts: dict = field(default_factory=dict)  # participant -> date of day 1
    orders: dict = field(default_factory=dict)  # participant -> [bool active per period]
    dropped: list = field(default_factory=list)


def convert(
    export: StudyUExport,
    active,
    placebo,
    zone,
    day_start: dt.time,
    same_day: str,
    primary=None,
    higher=(),
    mcid=None,
) -> StudyUImport:
    """The nof1 view of an export (see the module notes); DiaryError when it cannot be."""
    d = export.definition
    s = d["schedule"]
    try:
        cycles, length = int(s["numberOfCycles"]), int(s["phaseDuration"])
        baseline, sequence = bool(s["includeBaseline"]), str(s["sequence"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DiaryError(f"{export.source}:study_definition.json", [f"schedule: {exc}"]) from None
    names = {i.get("id"): i.get("name") or i.get("id") for i in d.get("interventions", [])}
    act, plc = _treatments(export, names, active, placebo)
    questions, dropped = _questions(d)
    if not questions:
        raise DiaryError(
            f"{export.source}:study_definition.json",
            ["has no question with a numeric scale (scale, annotated scale, visual analogue)"],
        )
    result = StudyUImport(protocol={}, dropped=dropped)
    outcomes = _outcomes(questions, primary, higher, mcid or {})
    per_phase: dict = {}
    answers: dict = {}
    problems = []
    deleted = 0
    for number, row in export.measurements:
        pid = row["participant_id"].strip()
        if row["current_intervention_name"].strip() == "N/A":
            deleted += 1
            continue
        try:
            when = parse_dart_time(row["measurement_time"])
            started = parse_dart_time(row["participant_started_at"])
            day = int(row["current_day_of_study"])
        except ValueError as exc:
            problems.append(
                f"row {number}: {exc} (measurement_time, participant_started_at "
                "and current_day_of_study must be as StudyU writes them)"
            )
            continue
        result.starts.setdefault(pid, _local_date(started, zone, day_start))
        phase = day // length
        iid = row["current_intervention_id"].strip()
        seen = per_phase.setdefault(pid, {}).setdefault(phase, set())
        seen.add(iid)
        date = _local_date(when, zone, day_start)
        for q in questions:
            column = _response_column(row, q)
            if column is None or row.get("measurement_id", "").strip() != q["survey"]:
                continue
            cell = row[column].strip()
            if is_missing(cell):
                continue
            try:
                value = float(cell)
            except ValueError:
                problems.append(f"row {number}, column {column}: answer '{cell}' is not a number")
                continue
            answers.setdefault(pid, {}).setdefault((date, q["name"]), []).append(
                (when, number, value)
            )
    if deleted:
        result.dropped.append(
            f"{deleted} answer(s) recorded under an intervention deleted from the design (N/A)"
        )
    if problems:
        raise DiaryError(export.member + " (row 1 is the header)", problems)
    n_periods = (
        2 * cycles if sequence != "customized" else cycles * len(s.get("sequenceCustom", ""))
    )
    for pid, phases in per_phase.items():
        pairs = sequence != "customized"  # every other sequence gives one of each per cycle
        order = _order(pid, phases, baseline, n_periods, act, plc, result, pairs)
        if order is None:
            continue
        rows = _days(pid, answers.get(pid, {}), same_day, export, result)
        first = result.starts[pid]
        last = first + dt.timedelta(days=(n_periods + baseline) * length - 1)
        outside = [r for r in rows if not first <= r[0] <= last]
        if outside:
            result.dropped.append(
                f"participant {pid}: {len(outside)} answer date(s) outside "
                f"the schedule ({first} to {last})"
            )
            rows = [r for r in rows if first <= r[0] <= last]
        planned = (n_periods + baseline) * length
        if len(rows) < planned:
            result.dropped.append(
                f"participant {pid}: {planned - len(rows)} of {planned} planned days have no answer"
            )
        result.orders[pid] = order
        result.diaries[pid] = rows
    if not result.orders:
        raise DiaryError(
            export.source, ["has no participant that can be analysed"] + result.dropped
        )
    result.protocol = _protocol(
        d, names, act, plc, cycles, length, baseline, n_periods, outcomes, result, sequence
    )
    return result


def _treatments(export, names, active, placebo):
    by_name = {str(n).casefold(): i for i, n in names.items()}
    if active is None or placebo is None:
        guess = [i for i, n in names.items() if "placebo" in str(n).casefold()]
        if len(names) == 2 and len(guess) == 1 and active is None and placebo is None:
            plc = guess[0]
            return next(i for i in names if i != plc), plc
        raise DiaryError(
            export.source,
            [
                f"which intervention is active and which the placebo? give --active NAME and "
                f"--placebo NAME (its interventions: {', '.join(map(str, names.values()))})"
            ],
        )
    out = []
    for option, name in (("--active", active), ("--placebo", placebo)):
        iid = by_name.get(name.casefold()) or (name if name in names else None)
        if iid is None:
            raise DiaryError(
                export.source,
                [
                    f"{option} {name}: no such intervention (its "
                    f"interventions: {', '.join(map(str, names.values()))})"
                ],
            )
        out.append(iid)
    return tuple(out)


def _questions(d):
    found, dropped = [], []
    for i, survey in enumerate(d.get("observations", []), 1):
        for j, q in enumerate(survey.get("questions", []) or [], 1):
            if q.get("type") in SCALE_TYPES and q.get("maximum", 0) > q.get("minimum", 0):
                found.append(
                    {
                        "survey": survey.get("id"),
                        "id": q.get("id"),
                        "i": i,
                        "j": j,
                        "prompt": q.get("prompt") or q.get("id"),
                        "min": float(q["minimum"]),
                        "max": float(q["maximum"]),
                    }
                )
            else:
                dropped.append(
                    f"question '{q.get('prompt') or q.get('id')}' ({q.get('type')}: "
                    "not a numeric scale)"
                )
    taken = set()
    for q in found:
        ascii_ = unicodedata.normalize("NFKD", q["prompt"]).encode("ascii", "ignore").decode()
        base = re.sub(r"[^a-z0-9]+", "_", ascii_.lower()).strip("_")[:32].strip("_")
        base = base if base[:1].isalpha() else f"q_{base}".rstrip("_")
        name, k = base, 2
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        q["name"] = name
    return found, dropped


def _outcomes(questions, primary, higher, mcid):
    names = [q["name"] for q in questions]
    for given in [primary, *higher, *mcid]:
        if given is not None and given not in names:
            raise DiaryError(
                "--primary/--higher-better/--mcid",
                [f"'{given}' is not an outcome of the export (its outcomes: {', '.join(names)})"],
            )
    primary = primary or names[0]
    return [
        {
            "name": q["name"],
            "label": q["prompt"],
            "min": q["min"],
            "max": q["max"],
            "better": "higher" if q["name"] in higher else "lower",
            "mcid": float(mcid.get(q["name"], (q["max"] - q["min"]) / 10)),
            "primary": q["name"] == primary,
            "question": q,
        }
        for q in questions
    ]


def _response_column(row, q):
    column = f"survey{q['i']}_question{q['j']}_response"
    if row.get(f"survey{q['i']}_question{q['j']}_id", "").strip() == q["id"]:
        return column
    for key, value in row.items():  # the design changed: find the question by its id
        if key.endswith("_id") and value.strip() == q["id"] and "_question" in key:
            return key[:-3] + "_response"
    return None


def _local_date(when: dt.datetime, zone, day_start: dt.time) -> dt.date:
    local = when.astimezone(zone)
    return local.date() - dt.timedelta(days=1) if local.time() < day_start else local.date()


def _order(pid, phases, baseline, n_periods, act, plc, result, pairs=True):
    order = [None] * n_periods
    for phase, ids in phases.items():
        k = phase - (1 if baseline else 0)
        ids = ids - {BASELINE_ID}
        if k < 0 or not ids:
            continue
        if k >= n_periods:
            continue
        if not ids <= {act, plc} or len(ids) > 1:
            result.dropped.append(
                f"participant {pid}: phase {phase + 1} records the "
                f"intervention(s) {', '.join(sorted(ids))}, not one of the "
                "active and placebo: left out"
            )
            return None
        order[k] = ids.pop() == act
    for k in range(0, n_periods if pairs else 0, 2):  # one of each: its other phase says
        a, b = order[k], order[k + 1] if k + 1 < n_periods else None
        if a is None and b is not None:
            order[k] = not b
        elif b is None and a is not None and k + 1 < n_periods:
            order[k + 1] = not a
    if None in order:
        unknown = [str(k + 1) for k, v in enumerate(order) if v is None]
        result.dropped.append(
            f"participant {pid}: no answers in treatment period(s) "
            f"{', '.join(unknown)}, whose treatment is thus unknown: left out"
        )
        return None
    return order


def _days(pid, answers, same_day, export, result):
    by_date: dict = {}
    for (date, name), entries in answers.items():
        entries.sort()
        if len(entries) > 1 and same_day == "error":
            rows = " and ".join(str(e[1]) for e in entries[:2])
            raise DiaryError(
                export.member + " (row 1 is the header)",
                [
                    f"rows {rows} are both participant {pid}'s '{name}' for "
                    f"{date.isoformat()}: give --same-day first, last or mean"
                ],
            )
        values = [e[2] for e in entries]
        value = {"first": values[0], "last": values[-1]}.get(same_day, sum(values) / len(values))
        by_date.setdefault(date, {})[name] = value
    return sorted(by_date.items())


def _protocol(d, names, act, plc, cycles, length, baseline, n_periods, outcomes, result, sequence):
    orders = {tuple(o) for o in result.orders.values()}
    periods = n_periods
    if sum(next(iter(orders))) * 2 != periods:
        raise DiaryError(
            "study_definition.json",
            [
                "schedule: the sequence has unequal numbers "
                "of the two interventions, which nof1's protocols cannot hold"
            ],
        )
    if len(orders) == 1:
        randomization = {
            "scheme": "fixed",
            "sequence": ["active" if a else "placebo" for a in next(iter(orders))],
        }
    else:
        pairwise = all(all(o[k] != o[k + 1] for k in range(0, periods, 2)) for o in orders)
        scheme = "pairwise" if pairwise else "balanced"
        randomization = {"scheme": scheme}
        how = {
            "randomized": "shuffles every cycle but the first, whose order is the "
            "participant's choice of interventions",
        }.get(sequence, "follows the participant's choice of interventions, not chance")
        result.warnings.append(
            f"participants have {len(orders)} different orders: the protocol says scheme "
            f"{scheme}, but StudyU's {sequence} sequence {how}: the randomization test "
            "assumes a randomization StudyU did not do"
        )
    title = d.get("title") or "StudyU study"
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:50] or "study"
    return {
        "id": f"studyu-{slug}",
        "title": title,
        "condition": (d.get("description") or title).strip() or title,
        "reference": f"StudyU study {d.get('id', '')}".strip(),
        "version": "1",
        "blinding": "none",
        "treatments": {
            "active": {"label": names[act], "drug": names[act], "dose_mg": 1.0},
            "placebo": {"label": names[plc]},
        },
        "schedule": {
            "baseline_days": length if baseline else 0,
            "cycles": periods // 2,
            "active_days": length,
            "placebo_days": length,
            "washout_days": 0,
        },
        "randomization": randomization,
        "outcomes": [{k: v for k, v in o.items() if k != "question"} for o in outcomes],
        "analysis": {"analytic_washout_days": 0, "primary_method": "gls_ar1"},
    }
