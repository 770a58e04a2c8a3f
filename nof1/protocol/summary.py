"""Plain-text descriptions of a protocol for people: one line, or a full summary."""

from __future__ import annotations

from nof1.analysis.registry import METHODS
from nof1.design.allocation import count_allocations
from nof1.protocol.model import Protocol

__all__ = ["describe_design", "duration", "summarize"]

_SCHEME_TEXT = {
    "pairwise": "order random within each cycle",
    "counterbalanced": "order counterbalanced across patients",
    "balanced": "any order with equal numbers of each",
    "fixed": "fixed order",
}


def duration(days: int) -> str:
    """Days as weeks when they divide evenly.

    Examples
    --------
    >>> duration(84), duration(10), duration(7)
    ('12 wk', '10 d', '1 wk')
    """
    return f"{days // 7} wk" if days % 7 == 0 and days else f"{days} d"


def describe_design(p: Protocol, blinded: bool = False) -> str:
    """The design in one line; ``blinded`` names no treatment (for blinded reports).

    Examples
    --------
    >>> from nof1.protocol import load_protocol
    >>> describe_design(load_protocol("ldn-nof1-multicycle"))
    'double-blind; 2 wk baseline; 3 cycles of LDN 4.5 mg 4 wk and Placebo 4 wk, order random
    within each cycle; 26 wk in all'
    >>> describe_design(load_protocol("ldn-fibromyalgia-2013"), blinded=True)
    'double-blind; 2 wk baseline; 1 cycle of two treatments (12 wk and 4 wk), order
    counterbalanced across patients; 4 wk follow-up; 22 wk in all'
    """
    s, t = p.schedule, p.treatments
    parts = [f"{p.blinding}-blind" if p.blinding != "none" else "open-label"]
    if s.baseline_days:
        parts.append(f"{duration(s.baseline_days)} baseline")
    cycles = "1 cycle" if s.cycles == 1 else f"{s.cycles} cycles"
    if blinded:
        lengths = (
            f"{duration(s.active_days)} each"
            if s.active_days == s.placebo_days
            else f"{duration(s.active_days)} and {duration(s.placebo_days)}"
        )
        parts.append(
            f"{cycles} of two treatments ({lengths}), {_SCHEME_TEXT[p.randomization.scheme]}"
        )
    elif p.randomization.scheme == "fixed":
        labels = {"active": t.active.label, "placebo": t.placebo.label}
        lengths = {"active": s.active_days, "placebo": s.placebo_days}
        order = ", then ".join(
            f"{labels[x]} {duration(lengths[x])}" for x in p.randomization.sequence
        )
        parts.append(f"{order} (fixed order)")
    else:
        parts.append(
            f"{cycles} of {t.active.label} {duration(s.active_days)} and "
            f"{t.placebo.label} {duration(s.placebo_days)}, {_SCHEME_TEXT[p.randomization.scheme]}"
        )
    if s.washout_days:
        parts.append(f"{duration(s.washout_days)} washout between periods")
    if s.follow_up_days:
        parts.append(f"{duration(s.follow_up_days)} follow-up")
    parts.append(f"{duration(p.total_days)} in all")
    return "; ".join(parts)


def summarize(p: Protocol, sha256: str | None = None) -> str:
    """A human summary: timeline in weeks, blinding, randomization, outcomes, analysis."""
    s, t, a = p.schedule, p.treatments, p.analysis
    lines = [p.title, "=" * min(len(p.title), 100), f"id: {p.id} (version {p.version})"]
    if sha256:
        lines.append(f"sha256: {sha256}")
    lines += [f"condition: {p.condition}"]
    if p.reference:
        lines.append(f"reference: {p.reference}")

    lines += ["", "Treatments"]
    active = t.active
    lines.append(
        f"  active:  {active.label} ({active.drug} {active.dose_mg:g} mg, {active.frequency})"
    )
    if active.titration:
        ramp = ", ".join(f"{st.dose_mg:g} mg for {st.days} d" for st in active.titration)
        lines.append(
            f"           titration at the start of each period: {ramp}, "
            f"then {active.dose_mg:g} mg (placebo titrated identically)"
        )
    lines.append(f"  placebo: {t.placebo.label}")

    lines += ["", f"Timeline ({p.total_days} days, {p.total_days / 7:g} weeks)"]
    lines.append(f"  baseline       {_weeks(s.baseline_days)}")
    cycles = f"{s.cycles} cycle(s) of"
    lines.append(
        f"  {cycles:<14} active {_weeks(s.active_days)} + placebo {_weeks(s.placebo_days)}"
    )
    lines.append(f"  washout        {_weeks(s.washout_days)} between treatment periods")
    lines.append(f"  follow-up      {_weeks(s.follow_up_days)}")

    n = count_allocations(p)
    lines += ["", "Blinding and randomization"]
    lines.append(f"  blinding: {p.blinding}")
    scheme = p.randomization.scheme
    if scheme == "fixed":
        lines.append(
            f"  scheme: fixed order {' -> '.join(p.randomization.sequence)}; "
            "no randomization, so no randomization test"
        )
    else:
        from nof1.analysis.randomization import smallest_p

        lines.append(
            f"  scheme: {scheme} ({_SCHEME_TEXT[scheme]}); {n} possible allocations, "
            f"so a randomization test cannot reach p below {smallest_p(p):.3g}"
        )

    lines += ["", "Outcomes (daily)"]
    for o in p.outcomes:
        flag = "  [primary]" if o.primary else ""
        lines.append(
            f"  {o.name:<18} {o.label}: {o.min:g}-{o.max:g}, {o.better} is better, "
            f"mcid {o.mcid:g}{flag}"
        )

    lines += _answer_lines(p)

    lines += ["", "Analysis plan"]
    name = METHODS[a.primary_method].name
    lines.append(f"  primary method: {a.primary_method} ({name}), alpha {a.alpha:g} (two-sided)")
    lines.append(
        f"  analytic washout: first {a.analytic_washout_days} day(s) of each treatment "
        "period left out of active-vs-placebo comparisons"
    )
    lines.append(f"  end point: mean of the last {a.endpoint_days} observed day(s) of each period")
    if a.responder:
        rule = a.responder.describe(p.outcomes)
        lines.append(f"  responder: {rule}, each compared with the patient's own baseline")
    return "\n".join(lines) + "\n"


def _answer_lines(p: Protocol) -> list[str]:
    """The diary's yes/no items and the blinding question, when the protocol has them."""
    lines = []
    if p.adverse_events:
        lines += ["", "Adverse events (daily, yes/no)"]
        lines += [f"  {e.name:<18} {e.label}" for e in p.adverse_events]
    if p.adherence:
        h = p.adherence
        lines += ["", "Adherence (daily, yes/no, on treatment days)"]
        lines.append(
            f"  {h.name:<18} {h.label}; per protocol: taken on >= {h.per_protocol_min:.0%} "
            "of a period's days"
        )
    if p.blinding_check:
        b = p.blinding_check
        lines += ["", "Blinding check (last day of each treatment period)"]
        lines.append(f"  {b.name:<18} {b.label} (drug, placebo or unsure)")
    return lines


def _weeks(days: int) -> str:
    return f"{days:>3} d ({days / 7:g} wk)"
