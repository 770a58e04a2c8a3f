"""One plain-language paragraph for the patient and clinician, built from the results.

It states the effect on the primary outcome with its interval in outcome units and as
a share of the control level, the probability of benefit and of a clinically important
benefit, responder status, and honestly what the design could not show.
"""

from __future__ import annotations

from nof1.analysis.registry import method as registry_method
from nof1.design.visibility import visible_differences

__all__ = ["harms_sentence", "responder_basis", "verdict", "words_for_difference"]


def words_for_difference(value: float, unit: str = "points") -> str:
    """'8.2 points lower', '1.5 points higher' or 'no different'.

    Examples
    --------
    >>> words_for_difference(-8.24), words_for_difference(1.5), words_for_difference(0.0)
    ('8.2 points lower', '1.5 points higher', 'no different')
    """
    if round(value, 1) == 0:
        return "no different"
    return f"{abs(value):.1f} {unit} {'lower' if value < 0 else 'higher'}"


def responder_basis(
    treated_label, control_label, estimate=None, p_value=None, where="above"
) -> str:
    """What responder status compares, and the comparison with control beside it.

    The responder definition (as in Younger et al. 2013) compares each condition with the
    patient's own baseline, not with the control condition, so a large effect against
    placebo can sit beside "not a responder". ``estimate`` and ``p_value`` are the primary
    method's effect (treated minus control); without them the comparison is only named.
    ``where`` says where on the page that comparison is.

    Examples
    --------
    >>> responder_basis("LDN 4.5 mg", "Placebo", -20.04, 0.0002)
    "Responder status is the 2013 study's comparison with the days before any treatment,
    not the comparison with Placebo above (LDN 4.5 mg vs Placebo: 20.0 points lower,
    p < 0.001)."
    """
    text = (
        "Responder status is the 2013 study's comparison with the days before any "
        f"treatment, not the comparison with {control_label} {where}"
    )
    if estimate is not None and p_value is not None:
        text += (
            f" ({treated_label} vs {control_label}: {words_for_difference(estimate)}, "
            f"{_p_text(p_value)})"
        )
    return text + "."


def verdict(p, results, responder, quality, comparison) -> str:
    """The paragraph.

    Parameters
    ----------
    p : Protocol
        Its analysis plan gives alpha and the primary method (one that may be primary,
        :func:`nof1.analysis.registry.primary_methods`: the same method as the report's
        headline).
    results : list of OutcomeResult
    responder, quality : dict
        As in results.json.
    comparison : nof1.design.comparison.Comparison
        The conditions compared and their labels.
    """
    primary = next(r for r in results if r.outcome.primary)
    outcome = primary.outcome
    method = registry_method(p.analysis.primary_method)
    effect = primary.effects[method.key]
    blinded, treated, control = comparison.blinded, comparison.treated, comparison.control
    t_name, c_name = comparison.treated_label, comparison.control_label
    sentences = []
    if blinded and visible_differences(p):
        sentences.append(
            "This analysis is blinded: it compares group B with group A, but this design "
            "cannot hide which group is which (see the blinding warnings)."
        )
    elif blinded:
        sentences.append(
            "This analysis is blinded: it compares group B with group A without knowing "
            "which group received which treatment."
        )
    if not effect.available:
        sentences.append(
            f"The effect on {outcome.label.lower()} could not be estimated: {effect.reason}."
        )
    else:
        level = primary.descriptive[control]["mean"]
        share = ""
        if level:
            share = f", {abs(effect.estimate) / abs(level) * 100:.0f}% of the {c_name} level"
        sentences.append(
            f"{outcome.label} was on average {words_for_difference(effect.estimate)} on "
            f"{t_name} than on {c_name} ({1 - p.analysis.alpha:.0%} CI from "
            f"{words_for_difference(effect.ci_low)} to {words_for_difference(effect.ci_high)}"
            f"{share}; {_p_text(effect.p_value)}, from {method.words})."
        )
        sentences.append(_significance(effect, outcome, p.analysis.alpha, t_name, c_name))
    bayes = primary.effects["bayes_ar1"]
    if bayes.available:
        direction = "lowers" if outcome.better == "lower" else "raises"
        sentences.append(
            f"The probability that {t_name} {direction} {outcome.label.lower()} at all is "
            f"{_percent(bayes.extra['p_benefit'])}, and by at least {outcome.mcid:g} points "
            f"(the smallest change that matters) {_percent(bayes.extra['p_mcid'])}."
        )
    rule = p.analysis.responder
    if rule and responder.get(treated) is not None:
        status = "met" if responder.get(treated) else "did not meet"
        sentences.append(
            f"On {t_name} the patient {status} the responder definition: "
            f"{rule.describe(p.outcomes)}, compared with the patient's own baseline."
        )
        if effect.available:
            sentences.append(responder_basis(t_name, c_name, effect.estimate, effect.p_value))
        else:
            sentences.append(responder_basis(t_name, c_name))
    sentences.extend(_limits(p, primary, quality))
    return " ".join(sentences)


def harms_sentence(harms, alpha: float, comparison) -> str | None:
    """The verdict's sentence on side effects clearly more frequent on one condition
    (two-sided p <= alpha), or None when none is (or none is recorded).

    ``harms`` is a :class:`nof1.analysis.harms.Harms`; "any side effect" is named only
    when no single side effect is clearly more frequent.
    """
    if harms is None:
        return None
    named = [e for e in harms.events if e.name != "any" and e.clearly_more(alpha)]
    if not named:
        named = [e for e in harms.events if e.name == "any" and e.clearly_more(alpha)]
    if not named:
        return None
    t, c = comparison.treated, comparison.control
    labels = {t: comparison.treated_label, c: comparison.control_label}
    parts = []
    for e in named:
        more, less = (t, c) if e.difference.estimate > 0 else (c, t)
        rate = {arm: e.by_condition[arm].rate for arm in (t, c)}
        parts.append(
            f"{e.label.lower()} on {rate[more]:.0%} of days on {labels[more]} against "
            f"{rate[less]:.0%} on {labels[less]}"
        )
    return f"Side effects clearly more frequent on one condition: {'; '.join(parts)}."


def _significance(effect, outcome, alpha, t_name, c_name) -> str:
    better = effect.estimate < 0 if outcome.better == "lower" else effect.estimate > 0
    if effect.p_value < alpha:
        favoured = t_name if better else c_name
        return f"This difference is statistically significant, in favour of {favoured}."
    return (
        "This difference is not statistically significant: the data are compatible with no effect."
    )


def _limits(p, primary, quality) -> list[str]:
    """What this design and these data could not show."""
    out = []
    rand = primary.effects["randomization"]
    if p.randomization.scheme == "fixed":
        out.append(
            "The order of treatments was fixed, not randomized, so a change over time "
            "cannot be told apart from an effect of treatment."
        )
    elif rand.available and rand.extra["min_p"] >= p.analysis.alpha:
        out.append(
            f"With only {rand.extra['n_allocations']} possible treatment orders, a "
            f"randomization test cannot give p below {rand.extra['min_p']:.3g}, so this "
            "design alone cannot show significance without model assumptions."
        )
    if p.schedule.cycles == 1:
        out.append(
            "With a single cycle there is no replication of the comparison within the patient."
        )
    if quality["completeness"] < 0.8:
        out.append(
            f"Only {quality['completeness']:.0%} of days have diary entries, which "
            "makes the results less certain."
        )
    return out


def _p_text(p: float) -> str:
    """'p < 0.001' or 'p = 0.034'."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}" if p < 0.01 else f"p = {p:.2f}"


def _percent(x: float) -> str:
    if x > 0.99:
        return "over 99%"
    if x < 0.01:
        return "under 1%"
    return f"{x:.0%}"
