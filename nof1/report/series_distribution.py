"""The series page's figure of the patients' effects for a large series: their
distribution (histograms of the raw and shrunken estimates) in place of a forest plot with
a row per patient."""

from __future__ import annotations

from nof1.report.html import COLORS, level_text, plotly_text

__all__ = ["DISTRIBUTION_HEIGHT", "effects_distribution"]

#: The figure's height in the page (px).
DISTRIBUTION_HEIGHT = 460


def effects_distribution(primary: dict, series: dict, raw: list[dict], cap: int):
    """A large series' forest plot: the distribution of the patients' own and shrunken
    estimates, the pooled effect with its CI, and the prediction interval; ``raw``: the
    patients' effects with an estimate, more than ``cap`` (the forest plot's most rows).
    Returns the figure and its caption."""
    import plotly.graph_objects as go

    comp, labels = series["comparison"], series["labels"]
    level = level_text(series["analysis"]["interval_level"])
    meta = primary["meta_analysis"]
    mcid = primary["mcid"] or 0
    fig = go.Figure()
    fig.add_vline(x=0, line_color="#999999", line_width=1)
    for x in (-mcid, mcid) if mcid else ():
        fig.add_vline(x=x, line_dash="dash", line_color=COLORS["ink"], line_width=1)
    bins = {"size": _bin_width([e["estimate"] for e in raw])}
    fig.add_trace(
        go.Histogram(
            x=[e["estimate"] for e in raw],
            name="patients' own estimates",
            marker={"color": "#7f7f7f"},
            opacity=0.55,
            xbins=bins,
        )
    )
    shrunken = [s["estimate"] for s in meta.get("shrunken") or []]
    if shrunken:
        fig.add_trace(
            go.Histogram(
                x=shrunken,
                name="shrunken toward the pooled effect",
                marker={"color": COLORS[comp["treated"]]},
                opacity=0.55,
                xbins=bins,
            )
        )
    pooled = ""
    if not meta.get("reason"):
        color = COLORS[comp["treated"]]
        fig.add_vrect(x0=meta["pi_low"], x1=meta["pi_high"], fillcolor=color, opacity=0.1)
        fig.add_vrect(x0=meta["ci_low"], x1=meta["ci_high"], fillcolor=COLORS["ink"], opacity=0.3)
        fig.add_vline(x=meta["estimate"], line_color=COLORS["ink"], line_width=2)
        pooled = (
            f"; the pooled effect (black line) with its {level} CI (dark band) and the "
            f"{level} prediction interval for a new patient (light band)"
        )
    fig.update_layout(barmode="overlay", legend={"orientation": "h", "y": -0.25})
    fig.update_yaxes(title="patients", fixedrange=True)
    fig.update_xaxes(
        title=plotly_text(
            f"{labels[comp['treated']]} minus {labels[comp['control']]} "
            f"({primary['label'].lower()}, points)"
        )
    )
    dashed = f"; dashed lines at ±{mcid:g} points" if mcid else ""
    caption = (
        f"{primary['label']}: how the {len(raw)} patients' effects are spread: each "
        f"patient's own estimate (grey) and shrunken estimate (coloured){pooled}{dashed}. "
        f"Above {cap} patients this takes the place of a forest plot of every "
        "patient; each patient's effect and interval are in the responders table."
    )
    return fig, caption


def _bin_width(values: list[float]) -> float:
    """About 60 bins over the patients' estimates (the same bins for both histograms)."""
    span = max(values) - min(values)
    return span / 60 if span > 0 else 1.0
