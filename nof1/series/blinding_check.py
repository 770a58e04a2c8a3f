"""The blinding question across patients: series.json ``blinding`` (beside ``warnings``).

Reads each patient's ``blinding`` (results.json, or the compact per-patient summary of
the same shape): the guesses per condition, summed over patients, then Bang's index per
arm and James' index of the pooled table (:mod:`nof1.series.blinding_index`). A blinded
series (no unblinding key) has the table by group A and B only: which answer is right is
not known, so the indices are null with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

from nof1.analysis.blinding import ANSWERS, BangIndex, Guesses, bang_index
from nof1.analysis.items import name_label
from nof1.analysis.summaries import Arm
from nof1.schemas.records import Json, Record, entry
from nof1.series.blinding_index import JamesIndex, james_index
from nof1.series.harms import level_words

__all__ = ["CHECK_KEYS", "SeriesBlinding", "SeriesBlindingCheck", "pool_blinding"]

_COUNT = Annotated[int, Json(minimum=0)]
_CORRECT = (
    "Answers guessed right (drug on the treated condition, placebo on the control); null "
    "when blinded."
)
_BANG = (
    "Bang's index per arm on the summed answers (Bang, Ni, Davis 2004; as in each "
    "results.json): 1 all right, 0 random, -1 all wrong; null when blinded, null for an arm "
    "without answers."
)
_JAMES = (
    "James' index of the summed 3 x 2 table (James et al. 1996): 0 complete unblinding, 0.5 "
    "random guessing, 1 complete blinding ('unsure' counts towards blinding); null when "
    "blinded."
)


@dataclass(frozen=True)
class SeriesBlindingCheck(Record):
    """The answers to the blinding question across patients, and the blinding indices."""

    name: str
    label: str
    guesses: dict[Arm, Guesses] = entry(
        description="Per condition taken, the answers summed over patients."
    )
    periods_asked: _COUNT = entry(description="Answers, summed over patients.")
    correct: _COUNT | None = entry(description=_CORRECT)
    bang: dict[Arm, BangIndex | None] | None = entry(description=_BANG)
    james: JamesIndex | None = entry(description=_JAMES)
    patients_asked: _COUNT = entry(description="Patients who answered at least once.")
    patients_without_data: _COUNT = entry(description="Analysed patients with no answer.")
    reason: str | None = entry(description="Why the indices are null.")
    message: str = entry(description="The one-line summary.")


#: The keys of series.json ``blinding`` besides ``warnings`` (null without a blinding check).
CHECK_KEYS = tuple(SeriesBlindingCheck.__dataclass_fields__)


@dataclass(frozen=True)
class SeriesBlinding(Record):
    """What the trial's blinding could and could not hide, and the blinding question across
    patients (its keys are null when the protocol has no ``blinding_check``)."""

    warnings: tuple[str, ...] = entry(
        description="Every way the protocol's treatments look different in the files a "
        "patient or analyst gets, each naming the difference and what it reveals; empty "
        "when the design can be blind. Never names a treatment."
    )
    name: str | None = entry(None, required=False, description="The diary's guess column.")
    label: str | None = entry(None, required=False, description="The question asked.")
    guesses: dict[Arm, Guesses] | None = entry(
        None, required=False, description="Per condition taken, the answers summed."
    )
    periods_asked: _COUNT | None = entry(None, required=False)
    correct: _COUNT | None = entry(None, required=False, description=_CORRECT)
    bang: dict[Arm, BangIndex | None] | None = entry(None, required=False, description=_BANG)
    james: JamesIndex | None = entry(None, required=False, description=_JAMES)
    patients_asked: _COUNT | None = entry(None, required=False)
    patients_without_data: _COUNT | None = entry(None, required=False)
    reason: str | None = entry(None, required=False, description="Why the indices are null.")
    message: str | None = entry(None, required=False, description="The one-line summary.")


def pool_blinding(
    results: dict[str, dict],
    check,
    treated: str,
    control: str,
    labels: dict,
    blinded: bool,
    alpha: float = 0.05,
) -> SeriesBlindingCheck | None:
    """The blinding question across patients: the answers summed per arm, Bang's index per
    arm (:func:`nof1.analysis.blinding.bang_index`) and James' index of the summed table
    (:func:`~nof1.series.blinding_index.james_index`).

    Parameters
    ----------
    results : dict
        Patient id -> results.json (or its compact summary): its ``blinding.guesses`` is read.
    check : (name, label) or None
        The protocol's ``blinding_check``; None: no question asked (returns None).
    treated, control : str
    labels : dict
        Condition -> label.
    blinded : bool
        Conditions are groups A and B: which answer is right is unknown, the indices are null.
    alpha : float

    Returns
    -------
    SeriesBlindingCheck or None
        Its keys are series.json's ``blinding`` besides ``warnings``.
    """
    if check is None:
        return None
    name, label = name_label(check)
    arms = (treated, control)
    sums = {arm: dict.fromkeys(ANSWERS, 0) for arm in arms}
    asked = 0
    for res in results.values():
        guesses = (res.get("blinding") or {}).get("guesses") or {}
        counts = [guesses.get(arm) or {} for arm in arms]
        if sum(c.get(a, 0) or 0 for c in counts for a in ANSWERS):
            asked += 1
        for arm, c in zip(arms, counts, strict=True):
            for answer in ANSWERS:
                sums[arm][answer] += int(c.get(answer) or 0)
    guesses = {arm: Guesses(**sums[arm]) for arm in arms}
    periods = sum(sum(s.values()) for s in sums.values())
    common = {
        "name": name,
        "label": label,
        "guesses": guesses,
        "periods_asked": periods,
        "patients_asked": asked,
        "patients_without_data": len(results) - asked,
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
    bang = {treated: _bang(t.drug, t.placebo, t.unsure, alpha),
            control: _bang(c.placebo, c.drug, c.unsure, alpha)}  # fmt: skip
    james = james_index([[t.drug, c.drug], [t.placebo, c.placebo], [t.unsure, c.unsure]], alpha)
    out = SeriesBlindingCheck(
        **common, correct=t.drug + c.placebo, bang=bang, james=james, reason=None, message=""
    )
    return replace(out, message=_message(out, treated, control, labels, alpha))


def _bang(correct: int, incorrect: int, unsure: int, alpha: float) -> BangIndex | None:
    if not correct + incorrect + unsure:
        return None
    estimate, low, high = bang_index(correct, incorrect, unsure, alpha)
    return BangIndex(float(estimate), float(low), float(high))


def _blinded_message(guesses, labels, arms, periods) -> str:
    # "no drug" for the answer "placebo", as the patient's report: a blinded analysis names
    # no treatment, not even in the patient's own words
    parts = [
        f"{labels[arm]}: {g.drug} drug, {g.placebo} no drug, {g.unsure} unsure"
        for arm, g in ((a, guesses[a]) for a in arms)
    ]
    return (
        f"{periods} answers to the blinding question ({'; '.join(parts)}); whether they "
        "were right is not known in a blinded analysis."
    )


def _message(b: SeriesBlindingCheck, treated, control, labels, alpha) -> str:
    guessed = b.periods_asked - b.guesses[treated].unsure - b.guesses[control].unsure
    patients = f"{b.patients_asked} patient{'' if b.patients_asked == 1 else 's'}"
    head = (
        f"Across {patients}, {b.correct} of {b.periods_asked} answers were right "
        f"({b.periods_asked - guessed} unsure)"
    )
    level = level_words(alpha)
    j = b.james
    if j.reason:
        return f"{head}; James' index cannot be computed ({j.reason})."
    ci = f" ({level} CI {j.ci_low:.2f} to {j.ci_high:.2f})" if j.ci_low is not None else ""
    parts = [f"James' index {j.estimate:.2f}{ci}"]
    for arm in (treated, control):
        if b.bang[arm] is not None:
            parts.append(f"Bang's index {b.bang[arm].estimate:+.2f} on {labels[arm]}")
    broken = [arm for arm in (treated, control) if b.bang[arm] and b.bang[arm].ci_low > 0]
    if (j.ci_high if j.ci_high is not None else j.estimate) < 0.5:
        verdict = ": better than chance, so patients could likely tell what they took"
    elif broken:
        verdict = f": more right than wrong guesses on {' and '.join(labels[a] for a in broken)}"
    else:
        verdict = ", no better than chance"
    return f"{head}{verdict} ({'; '.join(parts)})."
