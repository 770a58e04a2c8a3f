"""The blinding question across patients: series.json ``blinding.check``.

Reads each patient's ``blinding`` (results.json, or the compact per-patient summary of
the same shape): the guesses per condition, summed over patients, then Bang's index per
arm and James' index of the pooled table (:mod:`nof1.series.blinding_index`). A blinded
series (no unblinding key) has the table by group A and B only: which answer is right is
not known, so the indices are null with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from nof1.analysis.summaries import Arm
from nof1.schemas.records import Json, Record, entry
from nof1.series.blinding_index import BangIndex, JamesIndex, bang_index, james_index
from nof1.series.harms import level_words

__all__ = ["GuessCounts", "SeriesBlinding", "SeriesBlindingCheck", "pool_blinding"]

_ANSWERS = ("drug", "placebo", "unsure")


@dataclass(frozen=True)
class GuessCounts(Record):
    """Answers to the blinding question in periods of one condition."""

    drug: Annotated[int, Json(minimum=0)] = 0
    placebo: Annotated[int, Json(minimum=0)] = 0
    unsure: Annotated[int, Json(minimum=0)] = 0


@dataclass(frozen=True)
class SeriesBlindingCheck(Record):
    """The answers to the blinding question across patients, and the blinding indices."""

    name: str
    label: str
    patients_asked: Annotated[int, Json(minimum=0)] = entry(
        description="Patients who answered at least once."
    )
    patients_without_data: Annotated[int, Json(minimum=0)] = entry(
        description="Analysed patients with no answer."
    )
    periods_asked: Annotated[int, Json(minimum=0)] = entry(description="Answers, summed.")
    guesses: dict[Arm, GuessCounts] = entry(
        description="Per condition taken, the answers summed over patients."
    )
    correct: Annotated[int, Json(minimum=0)] | None = entry(
        description="Right guesses (drug on the treated condition, placebo on the control); "
        "null when blinded."
    )
    bang: dict[Arm, BangIndex] | None = entry(
        description="Bang's index per arm (Bang, Ni, Davis 2004): 1 all right, 0 random, "
        "-1 all wrong; null when blinded."
    )
    james: JamesIndex | None = entry(
        description="James' index of the pooled table (James et al. 1996): 0 complete "
        "unblinding, 0.5 random guessing, 1 complete blinding; null when blinded."
    )
    reason: str | None = entry(description="Why the indices are null.")
    message: str = entry(description="The one-line summary.")


@dataclass(frozen=True)
class SeriesBlinding(Record):
    """What the trial's blinding could and could not hide, and the blinding question."""

    warnings: tuple[str, ...] = entry(
        description="Every way the protocol's treatments look different in the files a "
        "patient or analyst gets, each naming the difference and what it reveals; empty "
        "when the design can be blind. Never names a treatment."
    )
    check: SeriesBlindingCheck | None = entry(
        required=False,
        description="The answers to the protocol's blinding question across patients, with "
        "Bang's and James' indices; null when the protocol asks none.",
    )


def pool_blinding(
    results: dict[str, dict],
    check,
    treated: str,
    control: str,
    labels: dict,
    blinded: bool,
    alpha: float = 0.05,
) -> SeriesBlindingCheck | None:
    """series.json ``blinding.check``: the guesses summed per arm, Bang's and James' indices.

    Parameters
    ----------
    results : dict
        Patient id -> results.json (or its compact summary): its ``blinding`` is read.
    check : (name, label) or None
        The protocol's ``blinding_check``; None: no question asked (returns None).
    treated, control : str
    labels : dict
        Condition -> label.
    blinded : bool
        Conditions are groups A and B: the indices are null.
    alpha : float

    Returns
    -------
    SeriesBlindingCheck or None
    """
    if check is None:
        return None
    name, label = (
        (check[0], check[1]) if isinstance(check, (tuple, list)) else (check.name, check.label)
    )
    arms = (treated, control)
    sums = {arm: dict.fromkeys(_ANSWERS, 0) for arm in arms}
    asked = 0
    for res in results.values():
        guesses = (res.get("blinding") or {}).get("guesses") or {}
        counts = [guesses.get(arm) or {} for arm in arms]
        if sum(c.get(a, 0) or 0 for c in counts for a in _ANSWERS):
            asked += 1
        for arm, c in zip(arms, counts, strict=True):
            for answer in _ANSWERS:
                sums[arm][answer] += int(c.get(answer) or 0)
    guesses = {arm: GuessCounts(**sums[arm]) for arm in arms}
    periods = sum(sum(s.values()) for s in sums.values())
    common = {
        "name": name,
        "label": label,
        "patients_asked": asked,
        "patients_without_data": len(results) - asked,
        "periods_asked": periods,
        "guesses": guesses,
    }
    if blinded or not periods:
        reason = (
            "blinded series: which answer is right is not known without the unblinding key"
            if blinded
            else "no patient answered the blinding question"
        )
        message = _blinded_message(guesses, labels, arms, periods) if periods else reason + "."
        return SeriesBlindingCheck(**common, correct=None, bang=None, james=None,
                                   reason=reason, message=message)  # fmt: skip
    t, c = guesses[treated], guesses[control]
    bang = {
        treated: bang_index(t.drug, t.placebo, t.unsure, alpha),
        control: bang_index(c.placebo, c.drug, c.unsure, alpha),
    }
    james = james_index([[t.drug, c.drug], [t.placebo, c.placebo], [t.unsure, c.unsure]], alpha)
    out = SeriesBlindingCheck(
        **common,
        correct=t.drug + c.placebo,
        bang=bang,
        james=james,
        reason=None,
        message="",
    )
    from dataclasses import replace

    return replace(out, message=_message(out, treated, control, labels, alpha))


def _blinded_message(guesses, labels, arms, periods) -> str:
    parts = [
        f"{labels[arm]}: {g.drug} drug, {g.placebo} placebo, {g.unsure} unsure"
        for arm, g in ((a, guesses[a]) for a in arms)
    ]
    return (
        f"{periods} answers to the blinding question ({'; '.join(parts)}); whether they "
        "were right is not known in a blinded analysis."
    )


def _message(b: SeriesBlindingCheck, treated, control, labels, alpha) -> str:
    guessed = b.periods_asked - b.guesses[treated].unsure - b.guesses[control].unsure
    head = (
        f"Across {b.patients_asked} patients, {b.correct} of {b.periods_asked} answers "
        f"were right ({b.periods_asked - guessed} unsure)"
    )
    level = level_words(alpha)
    j = b.james
    if j.reason:
        return f"{head}; James' index cannot be computed ({j.reason})."
    parts = [f"James' index {j.estimate:.2f} ({level} CI {j.ci_low:.2f} to {j.ci_high:.2f})"]
    for arm in (treated, control):
        x = b.bang[arm]
        if x.reason is None:
            parts.append(f"Bang's index {x.estimate:+.2f} on {labels[arm]}")
    broken = [arm for arm in (treated, control) if (b.bang[arm].ci_low or 0) > 0]
    if j.ci_high < 0.5:
        verdict = "patients could tell what they took better than by chance"
    elif broken:
        names = " and ".join(labels[a] for a in broken)
        verdict = f"more right than wrong guesses on {names}"
    else:
        verdict = "no better than chance: no sign that patients could tell"
    return f"{head}: {verdict} ({'; '.join(parts)})."
