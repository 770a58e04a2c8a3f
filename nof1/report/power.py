"""The words and the page of a power analysis: the recommendation and ``power.html``.

Both read power.json's data (:func:`nof1.power.engine.power_analysis`) and compute nothing
statistical. The page reuses the shared report scaffolding (:mod:`nof1.report.html`): its base
template, with plotly.js inlined once, and its figure helper.
"""

from __future__ import annotations

import math

from nof1.analysis.registry import METHODS

__all__ = ["method_name", "power_html", "primary_method", "recommendation", "same_design"]

_TARGET_POWER = 0.8
_META = "meta_analysis"  # the series' pooled test, not a per-patient method
_INFLATED_SES = 2  # a type I error this many Monte Carlo SEs above alpha is warned about
_FAR_SES = 3  # ... and this many: "far more often"


def method_name(method: str) -> str:
    """A method's name for people (the registry's), or the series' meta-analysis."""
    if method == _META:
        return "Meta-analysis across patients"
    return METHODS[method].name if method in METHODS else method


def _methods(rows: list[dict]) -> list[str]:
    """The methods of the results, in the registry's order, the meta-analysis last."""
    present = {r["method"] for r in rows}
    return [m for m in (*METHODS, _META) if m in present]


def _design_words(row: dict) -> str:
    period = row["period_days"]
    if period is None:
        length = f"{row['active_days']} active and {row['placebo_days']} placebo days"
    elif period % 7 == 0:
        length = f"{period // 7} week{'s' if period > 7 else ''}"
    else:
        length = f"{period} days"
    cycles = f"{row['cycles']} cycle{'s' if row['cycles'] > 1 else ''}"
    return f"{cycles} of {length}"


def _target(inputs: dict) -> float | None:
    """The effect to plan for: the mcid in the better direction, else the largest benefit."""
    sign = -1.0 if inputs["better"] == "lower" else 1.0
    benefit = [e for e in inputs["effects"] if e * sign > 0]
    if sign * inputs["mcid"] in benefit:
        return sign * inputs["mcid"]
    return max(benefit, key=abs) if benefit else None


def primary_method(data: dict) -> str:
    """The protocol's primary method, or (when power does not simulate it) the first."""
    method, ran = data["inputs"]["primary_method"], _methods(data["results"])
    return method if method in ran else ran[0]


def _words(protocol) -> dict:
    """The labels a person reads: outcome, and the two treatments."""
    t = protocol.treatments
    return {
        "outcome": protocol.primary_outcome.label.lower(),
        "effect": f"{t.active.label} minus {t.placebo.label}",
        "active": t.active.label,
        "placebo": t.placebo.label,
    }


def recommendation(data: dict, protocol) -> str:
    """A plain-language answer: the smallest design with 80% power, and the honest caveats.

    Parameters
    ----------
    data : dict
        power.json without its ``recommendation``.
    protocol : Protocol
        The protocol simulated (its labels name the outcome).

    Returns
    -------
    str
        One paragraph. "Smallest" = fewest trial days, then fewest cycles. With several
        patients it opens with the series' answer (the pooled meta-analysis' power), then
        each patient's own, and states the between-patient spread of the effect assumed.
        It speaks from the protocol's primary method; every other method whose type I error
        with no effect is above alpha by more than 2 Monte Carlo SEs is named, with its
        rate, as not to be relied on. It ends with the harms test at the design it names:
        which simulated side effects it would likely miss (power.json's ``harms``).
    """
    inputs, rows = data["inputs"], data["results"]
    primary, target = primary_method(data), _target(inputs)
    outcome, alpha = _words(protocol)["outcome"], data["analysis"]["alpha"]
    ran = [r for r in rows if r["method"] == primary and r["rejection_rate"] is not None]
    pooled = [r for r in rows if r["method"] == _META and r["rejection_rate"] is not None]
    if target is None:
        chosen = min(ran, key=_size)
        text = [
            "No effect in the direction of benefit was simulated, so this run shows the "
            "type I error only; add e.g. --effect "
            f"{-inputs['mcid'] if inputs['better'] == 'lower' else inputs['mcid']:g}."
        ]
    else:
        size = f"a {abs(target):g}-point {'reduction' if target < 0 else 'increase'} in {outcome}"
        # the series' question first: with patients, the pooled answer leads
        text = [_series_answer(pooled, target, size)] if pooled else []
        at_target = sorted((r for r in ran if r["effect"] == target), key=_size)
        enough = [r for r in at_target if r["rejection_rate"] >= _TARGET_POWER]
        chosen = enough[0] if enough else max(at_target, key=lambda r: r["rejection_rate"])
        power = f"{_power_words(chosen, primary)} to detect {size}"
        where = _where(chosen)
        if enough:
            sentence = (
                f"with {_design_words(chosen)} ({where}) you have {power}: the shortest "
                f"design tried with at least {_TARGET_POWER:.0%} power."
            )
        else:
            sentence = (
                f"no design tried reaches {_TARGET_POWER:.0%} power; the best, "
                f"{_design_words(chosen)} ({where}), has {power}. "
                "More cycles or longer periods would help."
            )
        text.append(f"For each patient on their own, {sentence}" if pooled else _cap(sentence))
        shorter = [r for r in at_target if r["total_days"] < chosen["total_days"]]
        if enough and shorter:
            best = max(shorter, key=lambda r: r["rejection_rate"])
            text.append(f"{_design_words(best)} would give {best['rejection_rate']:.0%}.")
    text.append(_assumptions(inputs))
    lead = bool(pooled) and target is not None  # the pooled power is said already
    text.extend(_caveats(inputs, rows, chosen, primary, alpha, pooled_first=lead))
    from nof1.report.power_side import harms_sentence

    harms = harms_sentence(data, chosen, _words(protocol))
    return " ".join(text + ([harms] if harms else []))


def _size(row: dict) -> tuple:
    return (row["total_days"], row["cycles"])  # "smallest": fewest days, then cycles


def _cap(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _where(row: dict) -> str:
    return f"{row['total_days']} days in all, analytic washout {row['analytic_washout_days']} days"


def _power_words(row: dict, method: str) -> str:
    return (
        f"{_percent(row['rejection_rate'])} power ({method_name(method)}; Monte Carlo SE "
        f"{row['mc_se']:.1%})"
    )


def _series_answer(pooled: list[dict], target: float, size: str) -> str:
    """The series' question: the pooled meta-analysis' power for the effect planned for, at
    the smallest design reaching the target power, else at the design with the most."""
    at_target = sorted((r for r in pooled if r["effect"] == target), key=_size)
    if not at_target:
        return f"The meta-analysis across patients was not simulated for {size}."
    n = at_target[0]["patients"]
    enough = [r for r in at_target if r["rejection_rate"] >= _TARGET_POWER]
    row = enough[0] if enough else max(at_target, key=lambda r: r["rejection_rate"])
    power = f"{_power_words(row, _META)} to detect {size}"
    if enough:
        return (
            f"Pooled over {n} patients, {_design_words(row)} each ({_where(row)}) gives "
            f"{power}: the shortest design tried with at least {_TARGET_POWER:.0%} power "
            "for the series."
        )
    return (
        f"Pooled over {n} patients, no design tried reaches {_TARGET_POWER:.0%} power for "
        f"the series; the best, {_design_words(row)} each ({_where(row)}), gives {power}."
    )


def _assumptions(inputs: dict) -> str:
    parts = [f"day-to-day sd {inputs['sd']:g}", f"autocorrelation phi {inputs['phi']:g}"]
    if inputs["onset_half_life"] or inputs["offset_half_life"]:
        parts.append(
            f"onset/offset half-lives {inputs['onset_half_life']:g}/"
            f"{inputs['offset_half_life']:g} days"
        )
    if inputs["trend"]:
        parts.append(f"trend {inputs['trend']:g} per day")
    if inputs["missing"]:
        parts.append(f"{100 * inputs['missing']:.3g}% of days missing")
    if inputs["patients"] > 1:
        spread = inputs.get("effect_sd") or 0
        parts.append(
            f"the true effect varying between patients with sd {spread:g} points"
            if spread
            else "the same true effect in every patient (--effect-sd 0, which overstates the "
            "pooled power)"
        )
    return f"Assumed: {', '.join(parts)}; {inputs['sims']} simulated trials per design and effect."


def _caveats(inputs, rows, chosen, primary, alpha, pooled_first=False) -> list[str]:
    same = [r for r in rows if same_design(r, chosen)]
    out = []
    share = chosen["estimand"] / chosen["effect"] if chosen["effect"] else 1.0
    washout = chosen["analytic_washout_days"]
    if share < 0.99:
        text = (
            f"Slow onset and carryover leave the compared days {share:.0%} of the full effect "
            "on average, so estimates are diluted towards zero"
        )
        without = [
            r
            for r in rows
            if r["method"] == primary
            and r["effect"] == chosen["effect"]
            and r["analytic_washout_days"] == 0
            and same_design(r, chosen | {"analytic_washout_days": 0})
        ]
        if washout > 0:
            text += f"; the {washout}-day analytic washout leaves out the slow onset"
            if without:
                text += f" (without it: {without[0]['estimand'] / chosen['effect']:.0%})"
        out.append(text + ".")
    failed = chosen.get("failed") or 0
    if failed > 0.05 * chosen["sims"]:
        out.append(
            f"{method_name(primary)} could not analyse {failed} of {chosen['sims']} simulated "
            "trials (too few observed days in an arm); they count as not showing the effect."
        )
    # type I errors where measured (with --effect-sd > 0 only the pooled test has one)
    null = {r["method"]: r for r in same if r["effect"] == 0 and r["type_i_error"] is not None}
    if not any(r["effect"] == 0 for r in same):
        out.append("Add 0 to --effect to check the type I error.")
    elif primary not in null:
        out.append(
            "With --effect-sd above 0 each patient has an effect of their own, so the "
            "per-patient rates at effect 0 are not type I errors; run with --effect-sd 0 to "
            "check them."
        )
    else:
        rate, mc_se = null[primary]["rejection_rate"], null[primary]["mc_se"]
        text = (
            f"With no effect, {method_name(primary)} rejected {rate:.1%} of trials (nominal "
            f"{alpha:.0%}"
        )
        if rate > alpha + _FAR_SES * mc_se:
            text += (
                "), far more often than Monte Carlo error explains: it would often report an "
                "effect that is not there, so its results should not be relied on with this "
                "design"
            )
        elif rate > alpha + _INFLATED_SES * mc_se:
            text += "; more than 2 Monte Carlo SEs above it: a little liberal with this design)"
        else:
            text += ")"
        out.append(text + ".")
        cover = null[primary]
        level = 1 - alpha
        if cover["coverage"] is not None and (
            cover["coverage"] < level - _INFLATED_SES * cover["coverage_mc_se"]
        ):
            out.append(
                f"Its {level:.0%} interval held the true effect in only "
                f"{cover['coverage']:.1%} of those trials."
            )
    others = [(m, r) for m, r in _inflated(null, alpha) if m != primary]
    if others:
        out.append(_inflated_words(others, alpha))
    randomization = next((r for r in same if r["method"] == "randomization"), None)
    if randomization and (randomization["min_p"] or 0) > alpha:
        text = (
            f"The randomization test cannot reach p <= {alpha:g} with this design whatever "
            f"the data (smallest attainable p {randomization['min_p']:.3g})"
        )
        if chosen["scheme"] == "pairwise":
            text += (
                f"; with pairwise randomization it needs {math.ceil(math.log2(2 / alpha))} cycles"
            )
        out.append(text + ".")
    meta = [r for r in same if r["method"] == _META and r["effect"] == chosen["effect"]]
    if not pooled_first and meta and meta[0]["rejection_rate"] is not None:
        out.append(
            f"Pooled over {meta[0]['patients']} patients, the meta-analysis has "
            f"{_percent(meta[0]['rejection_rate'])} power for this effect."
        )
    return out


def _inflated(null: dict, alpha: float) -> list[tuple[str, float]]:
    """(method, rate) for every method whose simulated type I error is above alpha by more
    than 2 Monte Carlo SEs: measured on the rows with no effect, not by the method's name."""
    return [
        (m, r["rejection_rate"])
        for m in _methods(list(null.values()))
        if (r := null[m])["rejection_rate"] is not None
        and r["rejection_rate"] > alpha + _INFLATED_SES * r["mc_se"]
    ]


def _inflated_words(over: list[tuple[str, float]], alpha: float) -> str:
    """Each method named once with its rate, and a plain "do not rely on it"; it follows
    the primary method's sentence on the trials with no effect."""
    rates = [
        f"{method_name(m)} found an effect in {rate:.0%} of those trials" for m, rate in over[:1]
    ]
    rates += [f"{method_name(m)} in {rate:.0%}" for m, rate in over[1:]]
    listed = rates[0] if len(rates) == 1 else f"{', '.join(rates[:-1])} and {rates[-1]}"
    they = "it" if len(over) == 1 else "they"
    return (
        f"{listed}, more often than the nominal {alpha:.0%} (beyond 2 Monte Carlo SEs): "
        f"{they} would report effects that are not there and should not be relied on with "
        "this design."
    )


def _percent(rate: float) -> str:
    """A rate as a whole percentage that never rounds to certainty."""
    if 0.995 <= rate < 1:
        return "over 99%"
    return "under 1%" if 0 < rate < 0.005 else f"{rate:.0%}"


def same_design(row: dict, other: dict) -> bool:
    keys = ("cycles", "active_days", "placebo_days", "analytic_washout_days")
    return all(row[k] == other[k] for k in keys)


def power_html(data: dict, protocol) -> str:
    """``power.html``: one self-contained page (plotly.js inlined once).

    Power curves (rejection rate against effect, with error bars of 1.96 Monte Carlo
    standard errors) for the primary method across designs and for every method per
    design, the recommendation and the table of results. Methods are named by the
    registry, the outcome and treatments by ``protocol``'s labels.
    """
    from nof1.report.html import level_text, render_page
    from nof1.report.power_figures import calibration_table, figures, results_table
    from nof1.report.power_side import adherence_table, blinding_table, harms_table, side_lines

    return render_page(
        "power.html.j2",
        data=data,
        figures=figures(data, _words(protocol), primary_method(data)),
        table=results_table(data),
        calibration=calibration_table(data, off_by=_INFLATED_SES),
        level=level_text(data["analysis"]["interval_level"]),
        harms=harms_table(data),
        adherence=adherence_table(data),
        blinding=blinding_table(data),
        side=side_lines(data, _words(protocol)),
    )
