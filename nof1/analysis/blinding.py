"""The blinding check: what the patient guessed they took in each period, and Bang's index.

The diary asks on the last day of each treatment period which the patient thinks they took
(``drug``, ``placebo`` or ``unsure``). :func:`blinding_check` tabulates one patient's
answers by condition; :func:`bang_index` is Bang's blinding index per arm, on one patient's
counts or on counts pooled over a series (``nof1.series``).

A blinded analysis (groups A and B) does not know which group had the drug, so which
guess is right is unknown: the table is by group, and ``correct`` and ``bang`` are null
(the allocation is never guessed).

References
----------
Bang, H., Ni, L., & Davis, C. E. (2004). Assessment of blinding in clinical trials.
Controlled Clinical Trials 25, 143-156.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from scipy import special

from nof1.analysis.items import name_label
from nof1.analysis.summaries import Arm
from nof1.schemas.records import Json, Record, entry

__all__ = [
    "ANSWERS",
    "BangIndex",
    "Blinding",
    "BlindingCheck",
    "Guesses",
    "bang_index",
    "blinding_check",
]

#: The answers of the blinding question.
ANSWERS = ("drug", "placebo", "unsure")
_COUNT = Annotated[int, Json(minimum=0)]
_INDEX = Annotated[float | None, Json(minimum=-1, maximum=1)]


@dataclass(frozen=True)
class Guesses(Record):
    """How many periods of a condition got each answer."""

    drug: _COUNT
    placebo: _COUNT
    unsure: _COUNT


@dataclass(frozen=True)
class BangIndex(Record):
    """Bang's blinding index of one arm with its interval at 1 - alpha: 0 = guesses no
    better than chance, 1 = every guess right, -1 = every guess wrong."""

    estimate: _INDEX
    ci_low: _INDEX
    ci_high: _INDEX


@dataclass(frozen=True)
class BlindingCheck(Record):
    """The blinding question's answers by condition (the keys of results.json's
    ``blinding`` besides ``warnings``)."""

    name: str
    label: str
    guesses: dict[Arm, Guesses]
    periods_asked: _COUNT = entry(description="Treatment periods with an answer.")
    correct: int | None = entry(
        description="Periods guessed right; null in a blinded analysis (the groups' "
        "treatments are unknown)."
    )
    bang: dict[Arm, BangIndex | None] | None = entry(
        description="Bang's index per arm; null in a blinded analysis, null for an arm "
        "without answers."
    )
    message: str = entry()


_WARNINGS = (
    "Every way the protocol's treatments look different in the files a patient or analyst "
    "gets (period lengths, a fixed order, dose instructions), each naming the difference and "
    "what it reveals; empty when the design can be blind. Never names a treatment."
)


@dataclass(frozen=True)
class Blinding(Record):
    """What the trial's blinding could and could not hide, and what the patient guessed
    (the blinding check's keys are null when the protocol has no ``blinding_check``, and
    absent in files written before it existed)."""

    warnings: tuple[str, ...] = entry(description=_WARNINGS)
    name: str | None = entry(None, required=False, description="The diary's guess column.")
    label: str | None = entry(None, required=False, description="The question asked.")
    guesses: dict[Arm, Guesses] | None = entry(
        None, required=False, description="Per compared condition, periods by answer."
    )
    periods_asked: Annotated[int | None, Json(minimum=0)] = entry(
        None, required=False, description="Treatment periods with an answer."
    )
    correct: Annotated[int | None, Json(minimum=0)] = entry(
        None, required=False, description="Periods guessed right; null when blinded."
    )
    bang: dict[Arm, BangIndex | None] | None = entry(
        None,
        required=False,
        description="Bang's blinding index per arm; null when blinded (the allocation is "
        "unknown), null for an arm without answers.",
    )
    message: str | None = entry(None, required=False, description="One sentence.")


def bang_index(correct, incorrect, unsure, alpha: float = 0.05):
    """Bang's blinding index of an arm and its interval (arrays broadcast).

    ``BI = (n_correct - n_incorrect) / n`` with ``n = n_correct + n_incorrect + n_unsure``
    ("don't know" answers count in the denominator), i.e. ``p_c - p_i`` with the shares
    ``p_c = n_correct / n`` and ``p_i = n_incorrect / n``. Its multinomial variance is
    ``Var(BI) = (p_c (1 - p_c) + p_i (1 - p_i) + 2 p_c p_i) / n``, and the interval is
    ``BI -/+ z_(1 - alpha/2) sqrt(Var(BI))``, kept within [-1, 1] (Bang, Ni & Davis 2004).
    In the treated arm a right guess is "drug", in the control arm "placebo". When every
    answer of the arm is the same (Var = 0, common with one patient's few periods) the
    interval is NaN: a zero-width interval would claim a certainty the counts do not have.

    Parameters
    ----------
    correct, incorrect, unsure : array_like of int
        Per arm (or per patient and arm) the counts of right, wrong and "unsure" answers.
    alpha : float
        Two-sided level of the interval.

    Returns
    -------
    (estimate, ci_low, ci_high) : ndarrays of float
        NaN where ``n = 0``.

    Examples
    --------
    >>> est, low, high = bang_index(2, 1, 1)
    >>> float(est), round(float(low), 4), round(float(high), 4)
    (0.25, -0.5626, 1.0)
    >>> [float(v) for v in bang_index(3, 0, 0)]  # every answer the same: no interval
    [1.0, nan, nan]
    """
    c, i, u = (np.asarray(v, dtype=float) for v in (correct, incorrect, unsure))
    n = c + i + u
    with np.errstate(invalid="ignore", divide="ignore"):
        pc, pi = c / n, i / n
        estimate = pc - pi
        se = np.sqrt((pc * (1 - pc) + pi * (1 - pi) + 2 * pc * pi) / n)
    half = np.where(se > 0, special.ndtri(1 - alpha / 2) * se, np.nan)
    return estimate, np.clip(estimate - half, -1, 1), np.clip(estimate + half, -1, 1)


def blinding_check(days, guess, protocol, comparison) -> BlindingCheck | None:
    """One patient's answers by condition, and Bang's index when the analysis is unblinded.

    Parameters
    ----------
    days : PatientDays
    guess : ndarray of object or None
        The day's answer (:class:`~nof1.analysis.items.DiaryItems` ``guess``).
    protocol : Protocol
    comparison : Comparison
    """
    check = getattr(protocol, "blinding_check", None)
    if check is None or guess is None:
        return None
    name, label = name_label(check)
    treated, control = comparison.arms
    answers = {}  # period -> (condition, last answer in the period)
    answered = (guess == "drug") | (guess == "placebo") | (guess == "unsure")
    asked = answered & (days.period > 0) & (days.phase == "treatment")
    for at in np.flatnonzero(asked):
        answers[int(days.period[at])] = (days.condition[at], guess[at])
    counted = Counter(answers.values())  # (condition, answer) -> periods
    guesses = {arm: Guesses(*(counted[arm, a] for a in ANSWERS)) for arm in (treated, control)}
    asked = sum(1 for c, _ in answers.values() if c in (treated, control))
    if comparison.blinded:
        message = (
            f"Asked in {asked} periods which they took; this analysis is blinded, so "
            "whether the guesses were right is not known until the groups are revealed."
        )
        return BlindingCheck(name, label, guesses, asked, None, None, message)
    right = {treated: "drug", control: "placebo"}
    wrong = {treated: "placebo", control: "drug"}
    bang = {}
    for arm, g in guesses.items():
        counts = g.to_dict()
        n = sum(counts.values())
        est, low, high = bang_index(
            counts[right[arm]], counts[wrong[arm]], counts["unsure"], protocol.analysis.alpha
        )
        bang[arm] = BangIndex(float(est), float(low), float(high)) if n else None
    correct = sum(guesses[arm].to_dict()[right[arm]] for arm in guesses)
    arms = [
        (comparison.treated_label, guesses[treated].to_dict()[right[treated]], guesses[treated]),
        (comparison.control_label, guesses[control].to_dict()[right[control]], guesses[control]),
    ]
    return BlindingCheck(
        name, label, guesses, asked, correct, bang, _message(correct, asked, arms, protocol)
    )


def _message(correct: int, asked: int, arms, protocol) -> str:
    """'Guessed right in 2 of 6 periods, no better than chance: 1 of 3 on LDN, ...'.

    Chance: a one-sided binomial test of the right guesses among the answered periods
    against 1/2 ("unsure" counts as not right), at the protocol's alpha.
    """
    if not asked:
        return "The blinding question was not answered in any period."
    alpha = protocol.analysis.alpha
    # P(at least `correct` right of `asked` by chance), exactly.
    p = sum(math.comb(asked, j) for j in range(correct, asked + 1)) / 2**asked
    verdict = "better than chance" if p <= alpha else "no better than chance"
    if 0.5**asked > alpha:
        verdict += f" (with {asked} periods even all right could be chance)"
    parts = []
    for label, right, g in arms:
        n = g.drug + g.placebo + g.unsure
        unsure = f", {g.unsure} unsure" if g.unsure else ""
        parts.append(f"{right} of {n} right on {label}{unsure}")
    return f"Guessed right in {correct} of {asked} periods, {verdict}: {'; '.join(parts)}."
