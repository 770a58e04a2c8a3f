"""The Harms, Adherence and Blinding sections of the series report, from series.json.

Each function turns one series.json key (``harms``, ``adherence``, ``blinding``) into the
rows the template shows: short cells, so that the tables stay readable on a phone. Every
number is in series.json; nothing is recomputed.
"""

from __future__ import annotations

from nof1.report.html import fmt, fmt_p

__all__ = ["adherence_section", "blinding_section", "harms_section"]


def _pct(x, digits: int = 0) -> str:
    return "–" if x is None else f"{x * 100:.{digits}f}%"


def harms_section(series: dict, treated: str, control: str) -> dict | None:
    """The Harms section: per event, patients with it and mean share of days per condition,
    and the paired difference; None when series.json has no ``harms``.

    Examples
    --------
    >>> cell = {"patients": 4, "with_event": 3, "share": 0.75, "mean_rate": 0.125}
    >>> event = {"label": "Nausea", "name": "nausea", "patients_without_data": 1,
    ...          "by_condition": {"active": cell, "placebo": cell}, "message": "m",
    ...          "difference": {"estimate": 0.02, "ci_low": -0.01, "ci_high": 0.05,
    ...                         "p_value": 0.2, "reason": None}}
    >>> s = harms_section({"harms": {"events": [event], "message": "M"}}, "active", "placebo")
    >>> s["rows"][0]["cells"], s["rows"][0]["difference"]
    ([('3/4', '12.5%'), ('3/4', '12.5%')], ('+2.0', '(-1.0 to 5.0)'))
    """
    harms = series.get("harms")
    if not harms:
        return None
    rows = []
    for e in harms["events"]:
        d = e["difference"]
        cells = []
        for arm in (treated, control):
            c = e["by_condition"][arm]
            cells.append((f"{c['with_event']}/{c['patients']}", _pct(c["mean_rate"], 1)))
        if d.get("reason") or d.get("ci_low") is None:
            difference, p = ("–", ""), "–"
        else:
            difference = (
                fmt(d["estimate"] * 100, 1, True),
                f"({fmt(d['ci_low'] * 100, 1)} to {fmt(d['ci_high'] * 100, 1)})",
            )
            p = fmt_p(d["p_value"])
        rows.append(
            {
                "label": e["label"],
                "any": e["name"] == "any",
                "cells": cells,
                "difference": difference,
                "p": p,
                "without": e["patients_without_data"],
                "message": e["message"],
            }
        )
    return {"message": harms["message"], "rows": rows}


def adherence_section(series: dict, treated: str, control: str) -> dict | None:
    """The Adherence section: the patients' shares per condition, and the pooled
    per-protocol effect beside the main one; None when series.json has no ``adherence``."""
    a = series.get("adherence")
    if not a:
        return None
    rows = []
    for arm in (treated, control):
        s = a["by_condition"][arm]
        rows.append(
            {
                "condition": arm,
                "patients": s["patients"],
                "median": _pct(s["median"], 1),
                "range": f"{_pct(s['min'], 1)}–{_pct(s['max'], 1)}" if s["patients"] else "–",
                "mean": _pct(s["mean"], 1),
            }
        )
    primary = next(o for o in series["outcomes"] if o["name"] == a["per_protocol"]["outcome"])
    pp = a["per_protocol"]
    effects = [
        _effect_row("Every period (main analysis)", primary["meta_analysis"]),
        _effect_row("Per protocol", pp["meta_analysis"]),
    ]
    below = [p["patient_id"] for p in a["per_patient"] if p.get("periods_below_min")]
    return {
        "message": a["message"],
        "rows": rows,
        "effects": effects,
        "outcome": primary["label"],
        "below": below,
        "minimum": _pct(a["per_protocol_min"], 1) if a["per_protocol_min"] is not None else None,
        "excluded": pp["excluded"],
        "label": a["label"],
        "without": a["patients_without_data"],
    }


def _effect_row(name: str, m: dict) -> dict:
    if m.get("reason"):
        return {"name": name, "k": m.get("k", 0), "estimate": (m["reason"], ""), "p": "–"}
    return {
        "name": name,
        "k": m["k"],
        "estimate": (
            fmt(m["estimate"], 1, True),
            f"({fmt(m['ci_low'], 1)} to {fmt(m['ci_high'], 1)})",
        ),
        "p": fmt_p(m["p_value"]),
    }


def blinding_section(series: dict, treated: str, control: str) -> dict | None:
    """The Blinding section: the answers per condition taken, Bang's index per arm and
    James' index; None when series.json's ``blinding`` has no guesses."""
    b = series.get("blinding") or {}
    if not b.get("guesses"):
        return None
    rows = []
    for arm in (treated, control):
        g = b["guesses"][arm]
        bang = (b.get("bang") or {}).get(arm)
        rows.append(
            {
                "condition": arm,
                "drug": g["drug"],
                "placebo": g["placebo"],
                "unsure": g["unsure"],
                "bang": ("–", "")
                if bang is None
                else (
                    fmt(bang["estimate"], 2, True),
                    f"({fmt(bang['ci_low'], 2)} to {fmt(bang['ci_high'], 2)})",
                ),
            }
        )
    j = b.get("james")
    james = None
    if j and not j.get("reason"):
        james = fmt(j["estimate"], 2)
        if j.get("ci_low") is not None:
            james += f" ({fmt(j['ci_low'], 2)} to {fmt(j['ci_high'], 2)})"
    return {
        "message": b["message"],
        "label": b["label"],
        "rows": rows,
        "indices": b.get("bang") is not None,
        "james": james,
        "reason": b.get("reason") or (j or {}).get("reason"),
        "patients_asked": b["patients_asked"],
        "without": b["patients_without_data"],
        "periods": b["periods_asked"],
    }
