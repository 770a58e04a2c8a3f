"""Words of the report generated from the protocol: the methods paragraph and CENT items."""

from __future__ import annotations

from nof1.analysis.registry import METHODS
from nof1.design.allocation import count_allocations
from nof1.protocol.summary import describe_design, duration
from nof1.report.html import level_text

__all__ = ["CENT_ITEMS", "cent_items", "end_point_note", "methods_paragraph", "side_methods"]

_SCHEME = {
    "pairwise": "the order of the two periods within each cycle was randomized",
    "counterbalanced": "the order of the two periods was counterbalanced across patients",
    "balanced": "the periods were randomly arranged with equal numbers of each",
    "fixed": "the periods followed a fixed order (no randomization)",
}

#: CENT 2015 items (Vohra et al., BMJ 2015;350:h1738) and the report section answering each.
CENT_ITEMS = [
    ("1a", "Identification as an N-of-1 trial in the title", "title"),
    ("2b", "Specific objectives or hypotheses", "protocol"),
    ("3a", "Trial design: planned number and length of periods, run-in and washout", "protocol"),
    ("5", "Interventions, including titration", "protocol"),
    ("6a", "Pre-specified outcomes: how and when measured", "protocol"),
    ("8a-10", "Randomization: sequence generation and its restrictions", "methods"),
    ("11a", "Blinding: who was blinded", "methods"),
    (
        "12a",
        "Statistical methods, incl. carryover, period effects and within-person correlation",
        "methods",
    ),
    ("13a", "Periods completed and analysed; days excluded and why", "quality"),
    ("17a", "Results for each outcome with effect size and precision", "effects"),
    ("17b", "Results per period", "timeline"),
    ("18", "Other analyses (sensitivity, secondary outcomes)", "secondary"),
    ("19", "Harms: not recorded by the diary; report them separately", "verdict"),
    ("21", "Generalisability: applies to this patient", "verdict"),
]


def cent_items(results: dict) -> list[tuple[str, str, str]]:
    """:data:`CENT_ITEMS` for these results: harms, blinding and adherence point to their
    sections when the diary recorded them (``results.json`` ``harms``, ``blinding.guesses``,
    ``adherence``).

    Examples
    --------
    >>> [i for i in cent_items({"harms": {"events": []}}) if i[0] == "19"]
    [('19', 'Harms: side effects by condition', 'harms')]
    """
    items = []
    for item, topic, where in CENT_ITEMS:
        if item == "19" and results.get("harms"):
            topic, where = "Harms: side effects by condition", "harms"
        items.append((item, topic, where))
        if item == "11a" and (results.get("blinding") or {}).get("guesses"):
            items.append(("11a", "Blinding: could the patient tell? (the guesses)", "blinding"))
        if item == "13a" and results.get("adherence"):
            items.append(("13a", "Adherence: doses taken per period", "adherence"))
        if item == "18" and results.get("adherence"):
            items.append(("18", "Per-protocol sensitivity analysis (adherence)", "adherence"))
    return items


def end_point_note(days: int) -> str:
    """What "end point" means beside a percent change, so it does not read as the mean.

    Examples
    --------
    >>> end_point_note(3)[:75]
    'End point: the mean of the last 3 observed days of each treatment period, a'
    """
    return (
        f"End point: the mean of the last {days} observed day{'' if days == 1 else 's'} of each "
        "treatment period, "
        "averaged over the condition's periods (the 2013 study's primary end point); the "
        "change is from the baseline mean. It can differ from the condition's mean over "
        "all its days."
    )


def methods_paragraph(protocol, results: dict) -> str:
    """Enough of the methods to reproduce the analysis, in one paragraph.

    The primary method is the one results.json's ``analysis`` names, and every method is
    described by its registry entry (:mod:`nof1.analysis.registry`), so the text follows
    the analysis that ran.
    """
    p, a = protocol, protocol.analysis
    analysis = results["analysis"]
    primary_method = METHODS[analysis["primary_method"]]
    others = [m for key, m in METHODS.items() if key != primary_method.key]
    primary = p.primary_outcome
    secondary = [o.label.lower() for o in p.outcomes if not o.primary]
    n_alloc = count_allocations(p)
    text = [
        f"Design: {describe_design(p, blinded=results['blinded'])}; "
        f"{_SCHEME[p.randomization.scheme]}"
        + (f" ({n_alloc} possible allocations)." if n_alloc > 1 else "."),
        f"Blinding: {p.blinding}"
        + (" (patient and assessor)" if p.blinding == "double" else "")
        + ("; this report is blinded, groups labelled A and B." if results["blinded"] else "."),
        f"Daily ratings of {primary.label.lower()} (primary, {primary.min:g}–{primary.max:g}, "
        f"{primary.better} is better)"
        + (f" and {', '.join(secondary)} (secondary)" if secondary else "")
        + " were compared between treatment periods.",
    ]
    if a.analytic_washout_days:
        text.append(
            f"The first {a.analytic_washout_days} days of every treatment period were left "
            "out of the comparisons (analytic washout for carryover and slow onset)."
        )
    if p.treatments.active.titration:
        ramp = ", ".join(
            f"{t.dose_mg:g} mg for {duration(t.days)}" for t in p.treatments.active.titration
        )
        text.append(
            f"Each treatment period began with a dose ramp ({ramp}), the same for both treatments."
        )
    text += [
        f"Primary analysis ({primary_method.name}): {primary_method.description}, "
        f"two-sided alpha {analysis['alpha']:g} and "
        f"{level_text(analysis['interval_level'])} intervals. Sensitivity analyses: "
        + "; ".join(f"{m.name}: {m.description}" for m in others)
        + f". The minimal clinically important difference is {primary.mcid:g} points.",
        f"End points: the mean of the last {a.endpoint_days} observed days of each period; "
        "percent change from the baseline mean. Secondary outcomes' p-values are "
        "Holm-adjusted.",
    ]
    if a.responder:
        text.append(
            f"Responder: {a.responder.describe(p.outcomes)}, each condition compared with "
            "the patient's own baseline."
        )
    side = side_methods(results, primary_method.name)
    if side:
        text.append(side)
    text.append(
        f"Software: nof1 {results['software']['version']}; protocol {p.id} "
        f"(SHA-256 {results['protocol']['sha256'][:12]}…)."
    )
    return " ".join(text)


def _labels(events: list[dict]) -> str:
    names = [e["label"].lower() for e in events if e.get("name") != "any"]
    return ", ".join(names)


def side_methods(results: dict, primary_name: str, series: bool = False) -> str:
    """How harms, adherence and the blinding check are analysed, in plain words: only for
    those the results have (results.json's or series.json's ``harms``, ``adherence``,
    ``blinding.guesses``); empty when none.

    Examples
    --------
    >>> side_methods({"adherence": {"label": "Took today's capsules",
    ...                             "per_protocol_min": 0.8}}, "Corrected AR(1) regression")[:60]
    "Adherence (took today's capsules): the share of treatment da"
    """
    text = []
    harms = results.get("harms")
    if harms:
        text.append(
            f"Side effects ({_labels(harms['events'])}) were recorded daily as yes or no. "
            "Per side effect and for any of them, the share of answered days with it on each "
            "condition, over every day of the treatment periods, was compared between the "
            "conditions (treated minus control) by a t-test with an Agresti–Caffo interval "
            "on the effective number of days: days in a row are not independent (a side "
            "effect tends to last), so the lag-1 autocorrelation within periods and "
            "differences between periods widen the interval, never below a comparison of "
            "the period rates."
        )
        if series:
            text.append(
                "Across patients: each patient's share of days per condition, compared by a "
                "paired t-test, and the number of patients with each side effect at least "
                "once on each condition."
            )
    adherence = results.get("adherence")
    if adherence:
        minimum = f"{adherence['per_protocol_min']:.0%}"
        text.append(
            f"Adherence ({adherence['label'].lower()}): the share of treatment days with the "
            "dose taken, per period and condition. The main analysis keeps every period "
            "(intention to treat); a per-protocol sensitivity analysis repeats the primary "
            f"analysis ({primary_name}) on the primary outcome without the periods with the dose "
            f"taken on fewer than {minimum} of days."
            + (
                " Across patients the per-protocol effects are pooled by the same "
                "random-effects meta-analysis, beside the main pooled effect."
                if series
                else ""
            )
        )
    blinding = results.get("blinding") or {}
    blinded = results.get("blinded") or (results.get("comparison") or {}).get("blinded")
    if blinding.get("guesses"):
        # a blinded report names no treatment, not even as the answers' words
        answers = "either treatment or unsure" if blinded else "drug, placebo or unsure"
        text.append(
            f'Blinding check ("{blinding["label"]}", asked on the last day of each treatment '
            f"period; {answers}): "
            + (
                "the answers summed over patients; Bang's blinding index per arm (the share "
                "of right guesses minus the share of wrong ones, unsure answers counted: 0 = "
                "chance, 1 = every guess right) with its interval, and James' index of the "
                "summed table across patients (0 = complete unblinding, 0.5 = random "
                "guessing, 1 = complete blinding)."
                if series
                else "the right guesses compared with chance by a one-sided binomial test "
                "against one half (unsure counts as not right), and Bang's blinding index "
                "per arm (the share of right guesses minus the share of wrong ones, unsure "
                "answers counted: 0 = chance, 1 = every guess right) with its interval."
            )
            + (
                " This analysis is blinded, so which guess is right is not known: only the "
                "answers by group are shown."
                if blinded
                else ""
            )
        )
    return " ".join(text)
