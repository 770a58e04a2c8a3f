"""The side analyses of a patient's diary: harms, adherence and the blinding check.

:func:`side_analyses` runs each once over every patient (:mod:`nof1.analysis.harms`,
:mod:`nof1.analysis.adherence`, :mod:`nof1.analysis.blinding`);
:func:`with_side_analyses` puts them into a patient's results, and the verdict's sentence
on harms into its verdict.
"""

from __future__ import annotations

from nof1.design.comparison import Comparison
from nof1.protocol.model import Protocol

__all__ = ["blinding_entry", "side_analyses", "with_side_analyses"]


#: The keys of the blinding check in results.json's ``blinding`` (null without one).
_CHECK_KEYS = ("name", "label", "guesses", "periods_asked", "correct", "bang", "message")


def blinding_entry(blinding: dict | None, check) -> dict:
    """results.json's ``blinding``: the design's warnings and the blinding question's answers."""
    out = dict(blinding or {"warnings": []})
    out |= check.to_dict() if check else dict.fromkeys(_CHECK_KEYS)
    return out


def side_analyses(aligned, patients, p: Protocol, itt, seed: int) -> list[dict]:
    """Per patient the harms, adherence and blinding check (each None without its
    protocol field), each batched across patients; ``itt`` is each patient's main effect
    of the primary method on the primary outcome (in the words of its comparison)."""
    from nof1.analysis.adherence import adherence_of
    from nof1.analysis.blinding import blinding_check
    from nof1.analysis.harms import patient_harms
    from nof1.analysis.items import DiaryItems
    from nof1.data.align import aligned_columns

    items = [DiaryItems.from_table(a.table, p, aligned_columns(a)) for a in aligned]
    comparisons = [Comparison.of(p, patient.blinded) for patient in patients]
    days = [(q.days, it) for q, it in zip(patients, items, strict=True)]
    harms = patient_harms(days, p, comparisons)
    adherence = adherence_of(list(zip(patients, items, strict=True)), p, comparisons, itt, seed)
    checks = [
        blinding_check(q.days, it.guess, p, c)
        for q, it, c in zip(patients, items, comparisons, strict=True)
    ]
    return [
        {"harms": h, "adherence": a, "blinding_check": b}
        for h, a, b in zip(harms, adherence, checks, strict=True)
    ]


def with_side_analyses(result, p: Protocol, extra: dict):
    """The result with its side analyses, and the verdict's sentence on harms."""
    from dataclasses import replace

    from nof1.analysis.verdict import harms_sentence

    text = result.verdict
    sentence = harms_sentence(extra["harms"], p.analysis.alpha, result.comparison)
    if sentence:
        text = f"{text} {sentence}"
    return replace(result, verdict=text, **extra)
