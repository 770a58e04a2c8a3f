"""Plotly figures of one patient's report, each drawn from results.json and aligned.csv.

Nothing here estimates anything: effects, intervals and posterior densities come from
the results; the only computation is the 7-day rolling mean drawn over the raw diary.
Each function returns ``(figure, caption)``: the caption states the figure's message.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nof1.analysis.registry import METHODS
from nof1.design.comparison import Comparison
from nof1.report.html import COLORS, fmt, fmt_prob, level_text, plotly_text

__all__ = ["distributions", "forest", "posterior", "timeline"]


def _name(condition: str, labels: dict) -> str:
    """A condition's name for a figure (plotly-escaped: labels come from the protocol)."""
    return plotly_text(labels.get(condition, condition.replace("_", "-").capitalize()))


def _vs(results: dict, outcome: dict) -> str:
    """'treated minus control (outcome, points)', plotly-escaped, for an effect axis."""
    treated, control = _arms(results)
    labels = results["labels"]
    return plotly_text(
        f"{labels[treated]} minus {labels[control]} ({outcome['label'].lower()}, points)"
    )


def timeline(aligned: pd.DataFrame, outcome: dict, out: dict, results: dict, protocol):
    """Daily values with shaded periods, excluded and missing days, rolling mean, titration."""
    import plotly.graph_objects as go

    name, labels = outcome["name"], results["labels"]
    t = aligned.copy()
    t["date"] = pd.to_datetime(t["date"])
    fig = go.Figure()
    # Shapes and annotations are collected and set once: plotly's add_vrect/add_vline
    # re-validate every existing shape on each call, quadratic in their number.
    shapes, notes = [], []
    half_day = pd.Timedelta(hours=12)
    for period in results["data_quality"]["periods"]:
        if not period["first_date"]:
            continue
        cond = period["condition"] or "washout"
        x0 = pd.Timestamp(period["first_date"]) - half_day
        shapes.append(
            _band(
                x0,
                pd.Timestamp(period["last_date"]) + half_day,
                COLORS.get(cond, COLORS["washout"]),
                0.10 if cond in ("baseline", "washout", "follow_up") else 0.16,
            )
        )
        notes.append(
            {
                "x": x0,
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "showarrow": False,
                "text": _name(cond, labels),
                "xanchor": "left",
                "yanchor": "top",
                "font": {"size": 11},
            }
        )
    washout = results["data_quality"]["analytic_washout_days"]
    treatment = t[t["phase"] == "treatment"]
    for _, days in treatment.groupby("period"):
        first = days["date"].iloc[0]
        if washout:
            shapes.append(
                _band(
                    first - half_day,
                    first + pd.Timedelta(days=washout) - half_day,
                    COLORS["excluded"],
                    0.12,
                )
            )
        for i, (step_day, dose) in enumerate(_titration_steps(protocol)):
            x = first + pd.Timedelta(days=step_day)
            shapes.append(
                {
                    "type": "line",
                    "x0": x,
                    "x1": x,
                    "y0": 0,
                    "y1": 1,
                    "xref": "x",
                    "yref": "paper",
                    "line": {"dash": "dot", "width": 1, "color": COLORS["excluded"]},
                }
            )
            # alternate heights so neighbouring steps' labels do not overlap
            notes.append(
                {
                    "x": x,
                    "y": 1 + 0.055 * (i % 2),
                    "xref": "x",
                    "yref": "paper",
                    "text": f"{dose:g} mg",
                    "showarrow": False,
                    "yanchor": "bottom",
                    "font": {"size": 10, "color": COLORS["excluded"]},
                }
            )
    fig.update_layout(shapes=shapes, annotations=notes)
    # Raw series with gaps for missing days, and the rolling mean over calendar days.
    fig.add_trace(
        go.Scatter(
            x=t["date"],
            y=t[name],
            mode="lines",
            connectgaps=False,
            line={"color": "#c7c7c7", "width": 1},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    rolling = t[name].rolling(7, min_periods=4).mean()
    fig.add_trace(
        go.Scatter(
            x=t["date"],
            y=rolling,
            mode="lines",
            name="7-day rolling mean",
            line={"color": COLORS["ink"], "width": 2},
        )
    )
    shown = t[t["observed"] & t[name].notna()]
    for cond in ["baseline", *results["labels"]]:
        days = shown[(shown["condition"] == cond) & (shown["included"] | (cond == "baseline"))]
        if len(days):
            fig.add_trace(
                go.Scatter(
                    x=days["date"],
                    y=days[name],
                    mode="markers",
                    name=_name(cond, labels),
                    marker={"color": COLORS[cond], "size": 6},
                )
            )
    excluded = shown[(shown["phase"] != "baseline") & ~shown["included"]]
    if len(excluded):
        fig.add_trace(
            go.Scatter(
                x=excluded["date"],
                y=excluded[name],
                mode="markers",
                name="not compared",
                marker={
                    "color": "white",
                    "size": 6,
                    "line": {"color": COLORS["excluded"], "width": 1.5},
                },
            )
        )
    missing = t[t[name].isna()]
    if len(missing):
        fig.add_trace(
            go.Scatter(
                x=missing["date"],
                y=[outcome["min"]] * len(missing),
                mode="markers",
                name="missing day",
                marker={"symbol": "line-ns-open", "size": 10, "color": "#d62728"},
                hoverinfo="x",
            )
        )
    fig.update_yaxes(
        title=f"{plotly_text(outcome['label'])}<br><sub>{outcome['better']} is better</sub>",
        range=[outcome["min"] - 2, outcome["max"] + 2],
    )
    fig.update_layout(legend={"orientation": "h", "y": -0.15})
    caption = _timeline_caption(outcome, out, results, washout, len(missing))
    return fig, caption


def _band(x0, x1, color: str, opacity: float) -> dict:
    """A full-height shaded band between two dates, behind the data."""
    return {
        "type": "rect",
        "x0": x0,
        "x1": x1,
        "y0": 0,
        "y1": 1,
        "xref": "x",
        "yref": "paper",
        "fillcolor": color,
        "opacity": opacity,
        "line": {"width": 0},
        "layer": "below",
    }


def _titration_steps(protocol) -> list[tuple[int, float]]:
    """(day offset within a period, dose) where each titration step after the first starts."""
    active = protocol.treatments.active
    steps, offset = [], 0
    for step in active.titration:
        offset += step.days
        steps.append(offset)
    doses = [s.dose_mg for s in active.titration[1:]] + [active.dose_mg]
    return list(zip(steps, doses, strict=True)) if active.titration else []


def _timeline_caption(outcome, out, results, washout, n_missing) -> str:
    treated, control = _arms(results)
    effect = out["effects"][results["analysis"]["primary_method"]]
    labels = results["labels"]
    text = f"Daily {outcome['label'].lower()}"
    if effect["estimate"] is not None:
        direction = "lower" if effect["estimate"] < 0 else "higher"
        text += (
            f": on average {abs(effect['estimate']):.1f} points {direction} on "
            f"{labels[treated]} than on {labels[control]}"
        )
    if washout:
        text += f"; open circles are the first {washout} days of each period, left out"
    if n_missing:
        text += f"; red ticks mark {n_missing} missing days"
    return text + "."


def _wrap(label: str, width: int = 20) -> str:
    """A long tick label on two lines (the plot keeps its width on a phone): before a
    parenthesis, else at the space nearest the middle.

    Examples
    --------
    >>> _wrap("AR(1) regression with a time trend")
    'AR(1) regression<br>with a time trend'
    >>> _wrap("Welch t-test (ignores correlation)")
    'Welch t-test<br>(ignores correlation)'
    >>> _wrap("Randomization test")
    'Randomization test'
    """
    if len(label) <= width or " " not in label:
        return label
    if " (" in label:
        at = label.index(" (")
    else:
        spaces = [i for i, c in enumerate(label) if c == " "]
        at = min(spaces, key=lambda i: abs(i - len(label) / 2))
    return f"{label[:at]}<br>{label[at + 1 :]}"


def _arms(results: dict) -> tuple[str, str]:
    """(treated, control) as the results record them."""
    return Comparison.from_dict(results["comparison"]).arms


def distributions(aligned: pd.DataFrame, outcomes: list[dict], results: dict):
    """Box plots of every outcome per condition (compared days only for the two arms)."""
    import plotly.graph_objects as go

    labels = results["labels"]
    fig = go.Figure()
    treated, control = _arms(results)
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
            go.Box(x=x, y=y, name=_name(cond, labels), marker_color=COLORS[cond], boxmean=True)
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

    treated, control = _arms(results)
    primary = results["analysis"]["primary_method"]
    level = level_text(results["analysis"]["interval_level"])
    names, est, low, high, notes = [], [], [], [], []
    # the methods in outcome units (not NAP, a probability: it is in the caption)
    for key, m in METHODS.items():
        if not m.outcome_units or key not in out["effects"]:
            continue
        e = out["effects"][key]
        names.append(_wrap(plotly_text(m.name + (" (primary)" if key == primary else ""))))
        est.append(e["estimate"])
        low.append(e.get("ci_low"))
        high.append(e.get("ci_high"))
        if e["estimate"] is None:
            notes.append(f"not available: {e['reason']}")
        elif key == "randomization":
            notes.append(f"p = {fmt(e['p_value'], 3)} (smallest possible {fmt(e['min_p'], 3)})")
        else:
            notes.append(f"{fmt(e['estimate'])} [{fmt(e['ci_low'])}, {fmt(e['ci_high'])}]")
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
    finite = [v for v in est + low + high if v is not None]
    span = max([abs(v) for v in finite] + [mcid]) * 1.15
    fig.update_xaxes(
        range=[-span, span * 1.9],
        title=_vs(results, outcome),
    )
    fig.update_yaxes(tickvals=y, ticktext=names)
    for yi, note in zip(y, notes, strict=True):
        fig.add_annotation(
            x=span * 1.05,
            y=yi,
            text=plotly_text(note),
            showarrow=False,
            xanchor="left",
            font={"size": 11},
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
            f"{results['labels'][treated]} (50% = no difference)."
        )
    return fig, caption


def posterior(outcome: dict, out: dict, results: dict):
    """The posterior density of the effect, P(benefit) and P(benefit >= mcid) shaded."""
    import plotly.graph_objects as go

    bayes = out["effects"]["bayes_ar1"]
    treated, control = _arms(results)
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
    fig.update_xaxes(title=_vs(results, outcome))
    fig.update_yaxes(title="density", showticklabels=False)
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    caption = (
        f"How likely each size of effect is, given the data: {fmt_prob(bayes['p_benefit'])} "
        f"probability that {results['labels'][treated]} improves "
        f"{outcome['label'].lower()}, {fmt_prob(bayes['p_mcid'])} that it does so by at least "
        f"{mcid:g} points."
    )
    return fig, caption
