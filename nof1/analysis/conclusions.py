"""What a patient's analysis concludes from its effects: significant improvement against
baseline, the responder rule (DESIGN.md section 5), and Holm's adjustment of the secondary
outcomes' p-values.

The functions read :class:`~nof1.analysis.patient.OutcomeResult` objects (``results``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from nof1.analysis import registry
from nof1.analysis.effect import Effect
from nof1.analysis.patient_trials import vs_baseline_method
from nof1.analysis.summaries import Responder
from nof1.protocol.model import Outcome, Protocol

__all__ = ["holm", "improved", "responder_status", "with_holm"]


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
    secondary = [
        i
        for i, r in enumerate(results)
        if not r.outcome.primary and r.effects[method].p_value is not None
    ]
    if not secondary:
        return results
    raw = [results[i].effects[method].p_value for i in secondary]
    adjusted = holm(raw)
    out = list(results)
    for i, value in zip(secondary, adjusted, strict=True):
        out[i] = replace(results[i], p_holm=float(value))
    return out


def holm(p_values) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given.

    Sorted ascending, p_(i) becomes max over j <= i of min(1, (m - j + 1) p_(j)).
    (statsmodels has this too, but importing it costs a third of a second.)

    Examples
    --------
    >>> [round(p, 12) for p in holm([0.01, 0.04, 0.03, 0.005])]
    [0.03, 0.06, 0.06, 0.02]

    (R: ``p.adjust(c(0.01, 0.04, 0.03, 0.005), method = "holm")`` gives the same.)
    """
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, (len(p) - np.arange(len(p))) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.maximum.accumulate(stepped)
    return adjusted.tolist()


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
