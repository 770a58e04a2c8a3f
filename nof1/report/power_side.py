"""The words and tables of power.json's answer items (``harms``, ``adherence``,
``blinding``): the recommendation's sentence on harms and the three small tables of
``power.html``. They read power.json's data and compute nothing statistical."""

from __future__ import annotations

from nof1.report.power import method_name, same_design

__all__ = ["adherence_table", "blinding_table", "harms_sentence", "harms_table", "side_lines"]

_TARGET_POWER = 0.8
_OFF_BY = 2  # Monte Carlo SEs above alpha that flag a type I error


def _pct(value, se=None) -> str:
    if value is None:
        return "–"
    return f"{value:.0%}" + (f" ± {se:.0%}" if se is not None else "")


def _labels(data: dict) -> dict:
    return {_key(d): d["label"] for d in data["designs"]}


def _key(row: dict) -> tuple:
    return (row["cycles"], row["active_days"], row["placebo_days"], row["analytic_washout_days"])


def _events(rows: list[dict]) -> list[dict]:
    """The protocol's own events (not "any"), as the harms rows list them."""
    return [r for r in rows if r["event"] != "any"]


def harms_sentence(data: dict, design: dict, words: dict) -> str | None:
    """The recommendation's sentence on harms at ``design`` (the design it recommends):
    which simulated differences the harms test would likely miss (under 80% of trials),
    and a type I error above alpha; None without harms rows."""
    rows = [r for r in data.get("harms") or [] if same_design(r, design)]
    if not rows:
        return None
    alpha = data["analysis"]["alpha"]
    active, placebo = words["active"], words["placebo"]

    def rates(r):
        return f"{r['rate_active']:.0%} of days on {active}, {r['rate_placebo']:.0%} on {placebo}"

    differ = [r for r in _events(rows) if r["measures"] == "power"]
    missed = [r for r in differ if r["rejection_rate"] < _TARGET_POWER]
    found = [r for r in differ if r["rejection_rate"] >= _TARGET_POWER]
    text = []
    if missed:
        parts = [
            f"{r['label'].lower()} ({rates(r)}) in only {_pct(r['rejection_rate'])} of trials"
            for r in missed
        ]
        text.append(
            "A harm would likely go undetected: with this design the harms test "
            f"(p <= {alpha:g}) finds {'; '.join(parts)} (Monte Carlo SE at most "
            f"{max(r['mc_se'] for r in missed):.0%})."
        )
    if found:
        parts = [f"{r['label'].lower()} ({_pct(r['rejection_rate'])})" for r in found]
        text.append(f"It would detect {', '.join(parts)} in at least 80% of trials.")
    if not differ:
        text.append(
            f"Every side effect was simulated as equally frequent on {active} and {placebo}; "
            "give --event-rate NAME=P:A to see the chance to detect a harm."
        )
    liberal = [
        r
        for r in _events(rows)
        if r["measures"] == "type_i_error" and r["rejection_rate"] > alpha + _OFF_BY * r["mc_se"]
    ]
    if liberal:
        names = ", ".join(f"{r['label'].lower()} {_pct(r['rejection_rate'])}" for r in liberal)
        text.append(
            f"With equal rates the harms test found a difference more often than {alpha:.0%} "
            f"({names})."
        )
    return " ".join(text)


def harms_table(data: dict) -> list[list[str]]:
    """Per design and event: the simulated rates, what the rate measures and its value."""
    labels = _labels(data)
    out = []
    for r in data.get("harms") or []:
        what = "power" if r["measures"] == "power" else "type I error (equal rates)"
        out.append(
            [
                labels[_key(r)],
                r["label"],
                f"{r['rate_placebo']:.0%} → {r['rate_active']:.0%}",
                what,
                _pct(r["rejection_rate"], r["mc_se"]),
                _pct(r["coverage"], r["coverage_mc_se"]),
            ]
        )
    return out


def adherence_table(data: dict) -> list[list[str]]:
    """Per design and effect: the periods left out per protocol and its power beside the
    main analysis'."""
    labels = _labels(data)
    out = []
    for r in data.get("adherence") or []:
        out.append(
            [
                labels[_key(r)],
                f"{r['effect']:g}",
                f"{r['periods_left_out']:.1%}",
                f"{r['trials_with_periods_left_out']:.0%}",
                _pct(r["rejection_rate"], r["mc_se"]),
                _pct(r["itt_rejection_rate"]),
            ]
        )
    return out


def blinding_table(data: dict) -> list[list[str]]:
    """Per design: Bang's index per arm and how often the guesses look better than chance."""
    labels = _labels(data)
    out = []
    for r in data.get("blinding") or []:
        bang = [
            "–" if b["mean"] is None else f"{b['mean']:+.2f}"
            for b in (r["bang"]["active"], r["bang"]["placebo"])
        ]
        flagged = _pct(r["better_than_chance"], r["mc_se"])
        if not r["can_flag"]:
            flagged = "never (too few periods)"
        out.append([labels[_key(r)], *bang, flagged])
    return out


def _best_chance(data: dict, words: dict) -> str:
    """Power.html's line above the harms table: each simulated harm's best chance to be
    detected over the designs tried."""
    labels = _labels(data)
    rows = _events(data["harms"])
    differ = [r for r in rows if r["measures"] == "power"]
    if not differ:
        return (
            f"Every side effect was simulated as equally frequent on {words['active']} and "
            f"{words['placebo']}: the table shows how often the harms test finds a difference "
            "that is not there."
        )
    parts = []
    for event in dict.fromkeys(r["event"] for r in differ):
        best = max((r for r in differ if r["event"] == event), key=lambda r: r["rejection_rate"])
        parts.append(
            f"{best['label'].lower()} ({best['rate_active']:.0%} against "
            f"{best['rate_placebo']:.0%} of days): {_pct(best['rejection_rate'])} at best "
            f"({labels[_key(best)]})"
        )
    worst = min(max(r["rejection_rate"] for r in differ if r["event"] == e) for e in
                dict.fromkeys(r["event"] for r in differ))  # fmt: skip
    verdict = (
        "some harms would likely go undetected with every design tried"
        if worst < _TARGET_POWER
        else "each simulated harm is detected in at least 80% of trials by some design"
    )
    return f"Chance to detect a harm: {'; '.join(parts)}. So {verdict}."


def side_lines(data: dict, words: dict) -> dict:
    """One line per table of power.html, saying what it shows."""
    alpha = data["analysis"]["alpha"]
    inputs = data["inputs"]
    out = {}
    if data.get("harms"):
        out["harms_message"] = _best_chance(data, words)
        out["harms"] = (
            "Share of simulated trials in which the harms test of the patient report (the "
            f"daily rate on {words['active']} minus on {words['placebo']}, allowing for "
            f"day-to-day persistence {inputs.get('event_persistence', 0):g}) finds a "
            f"difference at p ≤ {alpha:g}: the chance to detect it, or, with equal rates, "
            "to find one that is not there; ± Monte Carlo SE. Coverage: how often its "
            "interval holds the true difference."
        )
    if data.get("adherence"):
        r = data["adherence"][0]
        method = method_name(r["method"]) if r["method"] else "the primary method"
        out["adherence"] = (
            f"A dose missed on {inputs.get('missed_dose_rate', 0):.0%} of treatment days: "
            f"the periods below {r['per_protocol_min']:.0%} of days taken, which the "
            f"per-protocol sensitivity analysis ({method}) leaves out, and its power beside "
            "the main analysis' (every period). The simulated outcome does not depend on "
            "doses taken."
        )
    if data.get("blinding"):
        out["blinding"] = (
            f"Guesses right with probability {inputs.get('guess_right', 0.5):g} (unsure "
            f"{inputs.get('guess_unsure', 0):g}): the mean Bang index per arm (0 = chance, "
            "1 = every guess right) and how often the report would call the guesses better "
            f"than chance (one-sided binomial test at {alpha:g}), ± Monte Carlo SE."
        )
    return out
