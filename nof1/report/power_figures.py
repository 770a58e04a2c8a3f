"""The figures and tables of ``power.html``, drawn from power.json's data (nothing is
estimated here): power curves, the calibration of every method and the full results."""

from __future__ import annotations

from nof1.analysis.registry import METHODS
from nof1.report.power import method_name, same_design

__all__ = ["calibration_table", "figures", "results_table"]

_TARGET_POWER = 0.8
_META = "meta_analysis"


def _methods(rows: list[dict]) -> list[str]:
    present = {r["method"] for r in rows}
    return [m for m in (*METHODS, _META) if m in present]


def _pct(value, se=None):
    if value is None:
        return "–"
    return f"{value:.1%}" + (f" ± {se:.1%}" if se is not None else "")


def calibration_table(data: dict, off_by: float) -> list[list[str]]:
    """Per design and method: the type I error and the interval coverage with no effect,
    each with its Monte Carlo SE, and whether the type I error is off (more than ``off_by``
    Monte Carlo SEs above alpha) or the coverage short (below 1 - alpha by as much)."""
    alpha, level = data["analysis"]["alpha"], data["analysis"]["interval_level"]
    labels = {_key(d): d["label"] for d in data["designs"]}
    out = []
    for r in data["results"]:
        if r["effect"] != 0:
            continue
        flags = []
        if r["type_i_error"] is not None and r["type_i_error"] > alpha + off_by * r["mc_se"]:
            flags.append("type I error above alpha")
        cov, cov_se = r["coverage"], r["coverage_mc_se"]
        if cov is not None and cov < level - off_by * cov_se:
            flags.append("interval too narrow")
        out.append(
            [
                labels[_key(r)],
                method_name(r["method"]),
                _pct(r["type_i_error"], r["type_i_error_mc_se"]),
                _pct(cov, cov_se) if cov is not None else "no interval",
                "; ".join(flags) or ("ok" if r["type_i_error"] is not None else r["reason"] or ""),
            ]
        )
    return out


def _key(row: dict) -> tuple:
    return (row["cycles"], row["active_days"], row["placebo_days"], row["analytic_washout_days"])


def figures(data: dict, words: dict, primary: str) -> list[tuple[str, str, str]]:
    """(title, div, id) per figure."""
    import plotly.graph_objects as go

    from nof1.report.html import figure_html, plotly_text

    rows = data["results"]
    alpha = data["analysis"]["alpha"]

    def curve(fig, subset, name):
        subset = sorted(subset, key=lambda r: r["effect"])
        fig.add_trace(
            go.Scatter(
                x=[r["effect"] for r in subset],
                y=[r["rejection_rate"] for r in subset],
                error_y={"type": "data", "array": [1.96 * r["mc_se"] for r in subset]},
                mode="lines+markers",
                line={"dash": "solid" if name in (primary, _META) else "dot"},
                name=plotly_text(method_name(name) if name in (*METHODS, _META) else name),
            )
        )

    def layout(fig):
        fig.add_hline(y=_TARGET_POWER, line_dash="dot", line_color="#888")
        fig.add_hline(y=alpha, line_dash="dash", line_color="#c00")
        # two-line axis title and the legend below the plot: long method names and
        # labels leave the plot its width on a phone
        outcome, effect = plotly_text(words["outcome"]), plotly_text(words["effect"])
        title = f"true effect on {outcome} (points)<br>{effect}"
        fig.update_layout(
            xaxis_title=title,
            yaxis_title="rejection rate",
            yaxis_range=[0, 1.02],
            legend={"orientation": "h", "y": -0.3, "yanchor": "top"},
        )

    figures = []
    fig = go.Figure()
    for design in data["designs"]:
        subset = [r for r in rows if r["method"] == primary and same_design(r, design)]
        if subset and subset[0]["rejection_rate"] is not None:
            curve(fig, subset, design["label"])
    layout(fig)
    figures.append(
        (
            f"Power of the primary analysis ({method_name(primary)}) by design",
            figure_html(fig, "power-primary", 440),
            "power-primary",
        )
    )
    for i, design in enumerate(data["designs"]):
        fig = go.Figure()
        for method in _methods(rows):
            subset = [r for r in rows if r["method"] == method and same_design(r, design)]
            if subset and subset[0]["rejection_rate"] is not None:
                curve(fig, subset, method)
        layout(fig)
        figures.append(
            (
                f"Every method: {design['label']}",
                figure_html(fig, f"power-{i}", 480),
                f"power-{i}",
            )
        )
    return figures


def results_table(data: dict) -> list[list[str]]:
    def pct(value, se=None):
        if value is None:
            return "–"
        return f"{value:.1%}" + (f" ± {se:.1%}" if se is not None else "")

    def num(value, se=None):
        if value is None:
            return "–"
        return f"{value:+.2f}" + (f" ± {se:.2f}" if se is not None else "")

    labels = {
        (d["cycles"], d["active_days"], d["placebo_days"], d["analytic_washout_days"]): d["label"]
        for d in data["designs"]
    }
    out = []
    for r in data["results"]:
        key = (r["cycles"], r["active_days"], r["placebo_days"], r["analytic_washout_days"])
        out.append(
            [
                labels[key],
                f"{r['effect']:g}",
                method_name(r["method"]),
                pct(r["rejection_rate"], r["mc_se"]),
                num(r["bias"], r["bias_mc_se"]),
                pct(r["coverage"], r["coverage_mc_se"]),
                r["reason"] or r["note"] or "",
            ]
        )
    return out
