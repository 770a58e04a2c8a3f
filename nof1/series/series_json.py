"""series.json written piece by piece, and the part of it the series report reads.

``json.dumps(results.to_dict(), indent=2)`` holds the whole series as dicts and then as
text: at 10 000 patients about 90 MB of dicts and 50 MB of text in the parent at once.
:func:`series_json_pieces` gives the same bytes a top-level key (or, for the per-patient
lists, an element) at a time, so that :func:`stage_series_json` can write them to the
staging folder as they are made, and keep, for the series report, the values just
encoded (less the per-patient lists it does not draw): the page still reads exactly the
series.json written beside it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

__all__ = [
    "BY_ELEMENT",
    "json_parts",
    "series_json_pieces",
    "series_json_text",
    "stage_series_json",
]

#: Top-level keys whose lists are encoded element by element (one per outcome or patient).
BY_ELEMENT = ("outcomes", "patients")


def json_parts(results) -> list[tuple[str, Callable]]:
    """series.json's top-level keys in order (of a
    :class:`~nof1.series.results.SeriesResults`), each with a function that makes its
    value; for :data:`BY_ELEMENT` the records (each ``to_dict()`` an element), so that
    they can be encoded one at a time."""
    from nof1 import __version__
    from nof1.design.comparison import Comparison
    from nof1.schemas.records import plain
    from nof1.series.blinding_check import CHECK_KEYS
    from nof1.series.results import SCHEMA, Skipped

    t, c = results.treated, results.control
    if results.blinded:
        note = (
            "Blinded series: the conditions are the groups A and B of the blinded "
            "allocation and every effect is B minus A. Pooling assumes that A means the "
            "same treatment for every patient, as in a series allocated by one "
            "`nof1 schedule --patients N`."
        )
    else:
        note = "Every effect is active minus placebo, in outcome units."
    return list(
        {
            "schema": lambda: SCHEMA,
            "software": lambda: {
                "name": "nof1",
                "version": __version__,
                "command": results.command,
                "seed": results.seed,
            },
            "protocol": lambda: {
                "id": results.protocol_id,
                "sha256": results.protocol_sha256,
                "title": results.protocol_title,
                "schedule_sha256": list(results.schedule_sha256),
            },
            "data": lambda: {
                "source": results.source,
                "sha256": results.source_sha256,
                "allocations": list(results.allocation_sources),
            },
            "analysis": lambda: {
                "alpha": results.alpha,
                "interval_level": round(1 - results.alpha, 12),
                "primary_method": results.primary_method,
                "primary_outcome": next((o.name for o in results.outcomes if o.primary), None),
            },
            "blinded": lambda: results.blinded,
            "blinding": lambda: {  # the warnings, and the blinding question's keys
                "warnings": list(results.blinding_warnings),
                **(plain(results.blinding_check) or dict.fromkeys(CHECK_KEYS)),
            },
            "labels": lambda: results.labels,
            "comparison": lambda: {
                **Comparison(
                    t, c, results.labels.get(t, t), results.labels.get(c, c), results.blinded
                ).to_dict(),
                "effect": f"{t} minus {c}",
                "note": note,
            },
            "counts": lambda: {
                "patients": len(results.patients),
                "analysed": len(results.patients) - len(results.skipped),
                "skipped": len(results.skipped),
            },
            "outcomes": lambda: results.outcomes,
            "responders": lambda: plain(results.responders),
            "harms": lambda: plain(results.harms),
            "adherence": lambda: plain(results.adherence),
            "patients": lambda: results.patients,
            "skipped": lambda: [
                Skipped(s["patient_id"], s["reason"]).to_dict() for s in results.skipped
            ],
        }.items()
    )


def _dumps(value, depth: int) -> str:
    """``value`` as ``json.dumps(indent=2)`` lays it out ``depth`` levels down (JSON text
    has no raw line ends inside strings, so each line end takes the indentation), by the
    C encoder (:func:`~nof1.outputs.json_text.json_text`: one entry per patient)."""
    from nof1.outputs.json_text import json_text

    text = json_text(value, ensure_ascii=True)
    return text.replace("\n", "\n" + "  " * depth) if depth else text


def series_json_pieces(results) -> Iterator[tuple[str, str | None, object]]:
    """(text, key, value) in order: the pieces of series.json's text, byte for byte
    ``json.dumps(results.to_dict(), indent=2, allow_nan=False) + "\\n"``; ``key`` is the
    top-level key a piece is (an element of) and ``value`` what it encodes, None for the
    punctuation between."""
    parts = json_parts(results)
    yield "{", None, None
    for n, (key, make) in enumerate(parts):
        head = ("," if n else "") + f"\n  {json.dumps(key)}: "
        if key in BY_ELEMENT:
            items = make()
            if not items:
                yield head + "[]", None, None
                continue
            yield head + "[", None, None
            for i, item in enumerate(items):
                value = item.to_dict()
                yield ("," if i else "") + "\n    " + _dumps(value, 2), key, value
            yield "\n  ]", None, None
        else:
            value = make()
            yield head + _dumps(value, 1), key, value
    yield "\n}\n", None, None


def series_json_text(results) -> str:
    """series.json's text (:func:`series_json_pieces` joined)."""
    return "".join(text for text, _, _ in series_json_pieces(results))


def stage_series_json(results, stage: str) -> tuple[list, dict]:
    """Write series.json into the staging folder ``stage`` (its ``new/``) piece by piece;
    returns its [size, sha256] (for :meth:`nof1.outputs.OutputSet.write`'s ``staged``) and
    the report's view of what was written (:func:`_add_to_view`)."""
    from nof1.outputs.staging import stage_pieces

    view: dict = {key: [] for key in BY_ELEMENT}

    def pieces():
        for text, key, value in series_json_pieces(results):
            yield text
            if key is not None:  # the value just encoded (plain, and made for this)
                _add_to_view(view, key, value)

    return stage_pieces(stage, "series.json", pieces()), view


def _add_to_view(view: dict, key: str, value) -> None:
    """Add one piece of series.json to the report's view of it, without the per-patient
    lists the report does not draw: each outcome's patients (effects, shrunken estimates,
    percent changes) but the primary's, the DerSimonian-Laird shrunken estimates, and
    each side effect's per-patient rates."""
    if key in BY_ELEMENT:
        if key == "outcomes":
            meta = value.get("meta_analysis") or {}
            (meta.get("dl") or {}).pop("shrunken", None)
            if not value.get("primary"):
                value.pop("patient_effects", None)
                meta.pop("shrunken", None)
                (value.get("percent_change") or {}).pop("per_patient", None)
        view.setdefault(key, []).append(value)
        return
    if key == "harms" and value:
        for event in value.get("events") or []:
            event.pop("per_patient", None)
    view[key] = value
