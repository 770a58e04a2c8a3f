"""Plotly figures of one patient's report, each drawn from results.json and aligned.csv.

Nothing here estimates anything: effects, intervals and posterior densities come from
the results; the only computation is the 7-day rolling mean drawn over the raw diary.
Each function returns ``(figure, caption)``: the caption states the figure's message.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nof1.analysis.registry import METHODS
from nof1.report.figure_text import compared_arms, condition_name, effect_axis_title, wrap_label
from nof1.report.html import COLORS, fmt, fmt_prob, level_text, plotly_text

__all__ = ["distributions", "forest", "posterior"]


def distributions(aligned: pd.DataFrame, outcomes: list[dict], results: dict):
    """Box plots of every outcome per condition (compared days only for the two arms)."""
    import plotly.graph_objects as go

    labels = results["labels"]
    fig = go.Figure()
    treated, control = compared_arms(results)
    for cond in ["baseline", control, treated]:
        rows = aligned[
            (aligned["condition"] == cond) & (aligned["included"] | (cond == "baseline"))
        ]
        x, y = [], []
        for o in outcomes:
            values = rows[o["name"]].dropna()
            x += [plotly_text(o["label"])] * len(values)
            y += values.tolist()
        fig.add_trace(
            go.Box(
                x=x, y=y, name=condition_name(cond, labels), marker_color=COLORS[cond], boxmean=True
            )
        )
    fig.update_layout(boxmode="group", legend={"orientation": "h", "y": -0.15})
    fig.update_yaxes(title="daily value")
    caption = (
        "Spread of daily values per condition (dashed line: mean); for "
        f"{labels[treated]} and {labels[control]} only the compared days."
    )
    return fig, caption


def forest(outcome: dict, out: dict, results: dict):
    """Every method's estimate and interval for one outcome, with 0 and ±mcid."""
    import plotly.graph_objects as go

    treated, control = compared_arms(results)
    primary = results["analysis"]["primary_method"]
    level = level_text(results["analysis"]["interval_level"])
    names, est, low, high, notes = [], [], [], [], []
    # the methods in outcome units (not NAP, a probability: it is in the caption)
    for key, m in METHODS.items():
        if not m.outcome_units or key not in out["effects"]:
            continue
        e = out["effects"][key]
        names.append(wrap_label(plotly_text(m.name + (" (primary)" if key == primary else ""))))
        est.append(e["estimate"])
        low.append(e.get("ci_low"))
        high.append(e.get("ci_high"))
        if e["estimate"] is None:
            notes.append(f"not available: {e['reason']}")
        elif "min_p" in e:  # a randomization test: no interval, a floor on p
            notes.append(f"p = {fmt(e['p_value'], 3)} (smallest possible {fmt(e['min_p'], 3)})")
        elif "ci_low" in e:
            note = f"{fmt(e['estimate'])} [{fmt(e['ci_low'])}, {fmt(e['ci_high'])}]"
            if e.get("cycles_used") is not None:  # a comparison over complete cycles
                note += f", {e['cycles_used']} cycles"
                if e.get("cycles_left_out"):
                    note += f" ({e['cycles_left_out']} left out: not both conditions)"
            notes.append(note)
        else:  # a method without an interval (any new one may be)
            notes.append(
                fmt(e["estimate"]) + (f", p = {fmt(e['p_value'], 3)}" if "p_value" in e else "")
            )
    y = list(range(len(names)))[::-1]
    fig = go.Figure()
    mcid = outcome["mcid"]
    for x, dash in [(0, "solid"), (-mcid, "dash"), (mcid, "dash")]:
        fig.add_vline(
            x=x, line_dash=dash, line_color="#999999" if x else COLORS["ink"], line_width=1
        )
    has_ci = [i for i, v in enumerate(est) if v is not None and low[i] is not None]
    fig.add_trace(
        go.Scatter(
            x=[est[i] for i in has_ci],
            y=[y[i] for i in has_ci],
            mode="markers",
            marker={"size": 10, "color": COLORS[treated], "symbol": "square"},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [high[i] - est[i] for i in has_ci],
                "arrayminus": [est[i] - low[i] for i in has_ci],
            },
            name=f"estimate and {level} interval",
            hovertext=[plotly_text(notes[i]) for i in has_ci],
        )
    )
    point_only = [i for i, v in enumerate(est) if v is not None and low[i] is None]
    if point_only:
        fig.add_trace(
            go.Scatter(
                x=[est[i] for i in point_only],
                y=[y[i] for i in point_only],
                mode="markers",
                marker={"size": 10, "symbol": "diamond-open", "color": COLORS[treated]},
                name="estimate (no interval)",
            )
        )
    fig.update_xaxes(
        range=_fitted_range(est + low + high, mcid), title=effect_axis_title(results, outcome)
    )
    fig.update_yaxes(tickvals=y, ticktext=names)
    # each method's numbers just above its marker (at 0 when it has none), so that they
    # take no width of their own and stay on screen on a phone
    for yi, e, note in zip(y, est, notes, strict=True):
        fig.add_annotation(
            x=0 if e is None else e,
            y=yi,
            yshift=10,
            yanchor="bottom",
            xanchor="auto",
            text=plotly_text(note),
            showarrow=False,
            font={"size": 10},
        )
    fig.update_layout(showlegend=False)
    nap = out["effects"]["nap"]
    caption = (
        f"{outcome['label']}: every method's estimate of {results['labels'][treated]} "
        f"minus {results['labels'][control]}; dashed lines mark ±{mcid:g} points, the "
        "smallest difference that matters."
    )
    if nap["estimate"] is not None:
        caption += (
            f" Non-overlap of all pairs: {nap['estimate']:.0%} of day pairs favour "
            f"{results['labels'][treated]} (50% = no difference"
        )
        if nap.get("ci_low") is not None:
            caption += f"; {level} interval {nap['ci_low']:.0%} to {nap['ci_high']:.0%})."
        else:  # too few periods for an interval that allows for correlation
            caption += f"; {nap.get('interval_reason') or 'no interval'})."
    return fig, caption


def _fitted_range(values: list, mcid: float) -> list[float]:
    """An effect axis that fits what is drawn, with 0 and the ±mcid line on each side
    where there are estimates in view, and a 10% margin.

    Examples
    --------
    >>> _fitted_range([-8.9, -13.8, -3.9, -25.8, 8.7], 10)
    [-29.38, 13.58]
    >>> _fitted_range([None, None], 10)
    [-12.0, 12.0]
    """
    finite = [v for v in values if v is not None]
    low, high = min(finite + [0.0]), max(finite + [0.0])
    low = min(low, -mcid) if low < 0 or not finite else low
    high = max(high, mcid) if high > 0 or not finite else high
    pad = (high - low) * 0.1
    return [round(low - pad, 2), round(high + pad, 2)]


def posterior(outcome: dict, out: dict, results: dict):
    """The posterior density of the effect, P(benefit) and P(benefit >= mcid) shaded."""
    import plotly.graph_objects as go

    bayes = out["effects"]["bayes_ar1"]
    treated, control = compared_arms(results)
    if bayes["estimate"] is None or not bayes.get("density"):
        return None, f"No posterior for {outcome['label'].lower()}: {bayes['reason']}."
    x = np.array(bayes["density"]["x"])
    y = np.array(bayes["density"]["y"])
    mcid, lower = outcome["mcid"], outcome["better"] == "lower"
    benefit = x <= 0 if lower else x >= 0
    important = x <= -mcid if lower else x >= mcid
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=x, y=y, mode="lines", line={"color": COLORS["ink"]}, name="posterior density")
    )
    fig.add_trace(
        go.Scatter(
            x=x[benefit],
            y=y[benefit],
            fill="tozeroy",
            mode="none",
            fillcolor="rgba(0,114,178,0.25)",
            name=f"benefit: {fmt_prob(bayes['p_benefit'])}",
        )
    )
    if important.any():
        fig.add_trace(
            go.Scatter(
                x=x[important],
                y=y[important],
                fill="tozeroy",
                mode="none",
                fillcolor="rgba(0,114,178,0.6)",
                name=f"benefit ≥ {mcid:g}: {fmt_prob(bayes['p_mcid'])}",
            )
        )
    fig.add_vline(x=0, line_color="#999999", line_width=1)
    fig.add_vline(
        x=-mcid if lower else mcid, line_dash="dash", line_color=COLORS["ink"], line_width=1
    )
    fig.update_xaxes(title=effect_axis_title(results, outcome))
    fig.update_yaxes(title="density", showticklabels=False)
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    caption = (
        f"How likely each size of effect is, given the data: {fmt_prob(bayes['p_benefit'])} "
        f"probability that {results['labels'][treated]} improves "
        f"{outcome['label'].lower()}, {fmt_prob(bayes['p_mcid'])} that it does so by at least "
        f"{mcid:g} points."
    )
    return fig, caption
