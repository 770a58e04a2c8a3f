"""The daily timeline of one outcome in a patient's report: the diary with shaded periods,
excluded and missing days marked, and a 7-day rolling mean (the only computation here);
and the strip of daily side effects under it (:func:`events_strip`)."""

from __future__ import annotations

import pandas as pd

from nof1.report.figure_text import NARROW_PLOT_PX, compared_arms, condition_name, label_rows
from nof1.report.html import COLORS, plotly_text

__all__ = ["events_strip", "strip_height", "timeline"]


def timeline(aligned: pd.DataFrame, outcome: dict, out: dict, results: dict, protocol):
    """Daily values with shaded periods, excluded and missing days, rolling mean, titration."""
    import plotly.graph_objects as go

    name, labels = outcome["name"], results["labels"]
    t = aligned.copy()
    t["date"] = pd.to_datetime(t["date"])
    fig = go.Figure()
    # Shapes and annotations are collected and set once: plotly's add_vrect/add_vline
    # re-validate every existing shape on each call, quadratic in their number.
    shapes, names, steps = [], [], []
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
        names.append((x0, condition_name(cond, labels)))
    washout = results["data_quality"]["analytic_washout_days"]
    treatment = t[t["phase"] == "treatment"]
    labelled = set()  # the titration is labelled once per period type
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
        cond = days["condition"].iloc[0]
        titration = _titration_steps(protocol)
        for step_day, _ in titration:
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
        if titration and cond not in labelled:
            x = first + pd.Timedelta(days=titration[0][0])
            steps.append((x, _step_text([d for _, d in titration], cond, results["blinded"])))
        labelled.add(cond)
    notes, strip_rows = _strip_notes(t["date"], names, steps)
    # The data keep the lower part of the plot; the labels sit in the strip above them,
    # inside the plot area and so below plotly's toolbar (it lives in the top margin).
    fig.update_yaxes(domain=[0, 1 - _ROW_PAPER * strip_rows])
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
                    name=condition_name(cond, labels),
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
    interim = (results.get("data_quality") or {}).get("interim")
    if interim and interim.get("last_date"):  # later days are not yet due, not missing
        missing = missing[pd.to_datetime(missing["date"]) <= pd.Timestamp(interim["last_date"])]
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
    return fig, caption + _titration_caption(protocol, results)


def events_strip(aligned: pd.DataFrame, results: dict):
    """(figure, caption): a row per side effect with a mark on each day it happened,
    coloured by the day's condition, over the same shaded periods as the timeline; the
    figure is None (and the caption says why) when the results have no harms."""
    import plotly.graph_objects as go

    harms = results.get("harms")
    if not harms:
        return None, "The protocol records no side effects."
    labels = results["labels"]
    events = [e for e in harms["events"] if e["name"] != "any" and e["name"] in aligned]
    t = aligned.copy()
    t["date"] = pd.to_datetime(t["date"])
    half_day = pd.Timedelta(hours=12)
    shapes = [
        _band(
            pd.Timestamp(p["first_date"]) - half_day,
            pd.Timestamp(p["last_date"]) + half_day,
            COLORS.get(p["condition"] or "washout", COLORS["washout"]),
            0.10 if p["condition"] in ("baseline", "washout", "follow_up") else 0.16,
        )
        for p in results["data_quality"]["periods"]
        if p["first_date"]
    ]
    fig = go.Figure()
    for cond in ["baseline", *labels]:
        on = t["condition"] == cond
        xs, ys = [], []
        for e in events:
            days = t.loc[on & (t[e["name"]] == 1), "date"]
            xs += list(days)
            ys += [plotly_text(e["label"])] * len(days)
        if xs:
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="markers",
                    name=condition_name(cond, labels),
                    marker={"symbol": "square", "size": 7, "color": COLORS.get(cond, "#555")},
                    hovertemplate="%{y}: %{x|%d %b %Y}<extra></extra>",
                )
            )
    rows = [plotly_text(e["label"]) for e in events]
    fig.update_yaxes(
        categoryorder="array", categoryarray=rows[::-1], range=[-0.6, len(rows) - 0.4],
        automargin=True, fixedrange=True,
    )  # fmt: skip
    fig.update_layout(shapes=shapes, showlegend=False)
    caption = (
        "Side effects day by day: a mark on each day the diary says it happened, coloured "
        "by the condition that day, over the periods shaded as above."
    )
    return fig, caption


def strip_height(results: dict) -> int:
    """Pixel height of :func:`events_strip` for these results."""
    harms = results.get("harms") or {"events": []}
    return 90 + 26 * max(1, sum(e["name"] != "any" for e in harms["events"]))


#: One row of labels in the strip above the data, as a fraction of the plot's height.
_ROW_PAPER = 0.045
_ROW_PX = 13


def _step_text(doses: list[float], condition: str, blinded: bool) -> str:
    """The titration's label, once per period type: the doses on the drug; on placebo, and
    on either blinded group (the label must not tell which group had the drug), the doses
    the capsules match."""
    text = " → ".join(f"{d:g}" for d in doses) + " mg"
    return text if condition == "active" and not blinded else f"as {text}"


def _strip_notes(dates: pd.Series, names: list, steps: list) -> tuple[list[dict], int]:
    """Annotations for period names and the titration, in up to four rows, placed so
    that none overlaps another on a phone; a label that cannot fit is left out (the
    legend still names each condition's colour). Returns (annotations, rows used)."""
    first, last = dates.min() - pd.Timedelta(hours=12), dates.max() + pd.Timedelta(hours=12)
    px_per_day = NARROW_PLOT_PX / max((last - first) / pd.Timedelta(days=1), 1)
    items = sorted(
        [(x, text, {"size": 10}) for x, text in names]
        + [(x, text, _STEP_FONT) for x, text in steps],
        key=lambda item: item[0],
    )
    starts = [(x - first) / pd.Timedelta(days=1) * px_per_day for x, _, _ in items]
    rows = label_rows(starts, [text for _, text, _ in items], 4)
    notes = [
        {
            "x": x,
            "y": 1,
            "yshift": -_ROW_PX * row,
            "xref": "x",
            "yref": "paper",
            "showarrow": False,
            "text": text,
            "xanchor": "left",
            "yanchor": "top",
            "font": font,
        }
        for (x, text, font), row in zip(items, rows, strict=True)
        if row is not None
    ]
    return notes, max((r + 1 for r in rows if r is not None), default=0)


_STEP_FONT = {"size": 10, "color": COLORS["excluded"]}


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


def _titration_caption(protocol, results) -> str:
    """What the dotted lines and the "as ... mg" labels mean ('' without a titration)."""
    doses = [d for _, d in _titration_steps(protocol)]
    if not doses:
        return ""
    steps = " → ".join(f"{d:g}" for d in doses) + " mg"
    if results["blinded"]:  # a blinded report names neither treatment
        return (
            " Dotted lines: the days the number of capsules steps up, labelled "
            f"\u201cas {steps}\u201d in both groups alike, so the labels do not tell which "
            "group had the drug."
        )
    placebo, drug = protocol.treatments.placebo.label, protocol.treatments.active.label
    text = (
        f" Dotted lines: the dose steps up ({steps} on {drug}); on {placebo} the patient "
        f"takes the same number of placebo capsules (\u201cas {steps}\u201d), with no drug."
    )
    return text


def _timeline_caption(outcome, out, results, washout, n_missing) -> str:
    treated, control = compared_arms(results)
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
