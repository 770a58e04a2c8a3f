"""What a patient's analysis concludes from its effects: significant improvement against
baseline, the responder rule (DESIGN.md section 5), and Holm's adjustment of the secondary
outcomes' p-values.

The functions read :class:`~nof1.analysis.patient.OutcomeResult` objects (``results``).
"""

from __future__ import annotations

import math
from dataclasses import replace

from nof1.analysis import registry
from nof1.analysis.effect import Effect
from nof1.analysis.patient_trials import vs_baseline_method
from nof1.analysis.summaries import Responder
from nof1.protocol.model import Outcome, Protocol

__all__ = ["holm", "holm_by_outcome", "improved", "responder_status", "with_holm"]


def improved(effect: Effect, outcome: Outcome, alpha: float) -> bool:
    """Significant (p < alpha) change in the better direction."""
    if not effect.available or effect.p_value is None:
        return False
    better = effect.estimate < 0 if outcome.better == "lower" else effect.estimate > 0
    return bool(better and effect.p_value < alpha)


def with_holm(results: list, p: Protocol) -> list:
    """Holm-adjust the secondary outcomes' p-values of the primary method.

    A protocol's primary method always has a p-value (the registry allows no other as
    primary). The primary outcome is not part of the family, so its p_holm is None.
    """
    method = p.analysis.primary_method
    adjusted = holm_by_outcome(p, [r.effects[method].p_value for r in results])
    return [
        r if value is None else replace(r, p_holm=value)
        for r, value in zip(results, adjusted, strict=True)
    ]


def holm_by_outcome(p: Protocol, p_values: list) -> list:
    """Per outcome of ``p`` (in order), the Holm-adjusted ``p_values`` of the secondary
    outcomes that have one (None for the primary outcome and those without)."""
    secondary = [
        i for i, (o, value) in enumerate(zip(p.outcomes, p_values, strict=True))
        if not o.primary and value is not None
    ]  # fmt: skip
    out = [None] * len(p_values)
    for i, value in zip(secondary, holm([p_values[i] for i in secondary]), strict=True):
        out[i] = float(value)
    return out


def holm(p_values) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given.

    Sorted ascending, p_(i) becomes max over j <= i of min(1, (m - j + 1) p_(j)).
    (statsmodels has this too, but importing it costs a third of a second.) The
    arithmetic of numpy's, one value at a time: a patient has a few outcomes.

    Examples
    --------
    >>> [round(p, 12) for p in holm([0.01, 0.04, 0.03, 0.005])]
    [0.03, 0.06, 0.06, 0.02]

    (R: ``p.adjust(c(0.01, 0.04, 0.03, 0.005), method = "holm")`` gives the same.)
    """
    p = [float(v) for v in p_values]
    m = len(p)
    adjusted = [0.0] * m
    running = -math.inf
    for j, i in enumerate(sorted(range(m), key=p.__getitem__)):  # stable, as numpy's
        running = max(running, min(1.0, (m - j) * p[i]))
        adjusted[i] = running
    return adjusted


def responder_status(results: list, p: Protocol, treated, control) -> dict:
    """The protocol's responder rule per compared condition, applied to ``vs_baseline``."""
    rule = p.analysis.responder
    conditions = sorted([treated, control])
    if rule is None:
        return Responder(dict.fromkeys(conditions), None).to_dict()
    by_name = {r.outcome.name: r for r in results}
    out = {}
    for condition in conditions:
        if by_name[rule.outcome].vs_baseline[condition]["reason"]:
            out[condition] = None  # cannot be assessed without its main comparison
            continue
        main = by_name[rule.outcome].vs_baseline[condition]["improved"]
        others = [by_name[o].vs_baseline[condition]["improved"] for o in rule.plus_any_of]
        out[condition] = bool(main and (any(others) if others else True))
    rule_text = (
        f"{rule.describe(p.outcomes)}, each compared with the patient's own baseline "
        f"({registry.method(vs_baseline_method(p)).name})"
    )
    return Responder(out, rule_text).to_dict()
