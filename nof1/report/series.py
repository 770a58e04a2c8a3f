"""The series report: series.json (+ each patient's results.json) -> one HTML page.

Like the patient report it reads results only: every number on the page is in
series.json or a patient's results.json.
"""

from __future__ import annotations

from nof1.analysis.registry import method as registry_method
from nof1.analysis.verdict import responder_basis
from nof1.design.comparison import Comparison
from nof1.report.html import (
    COLORS,
    figure_html,
    fmt,
    fmt_bf,
    fmt_p,
    level_text,
    page_pieces,
    plotly_text,
)
from nof1.report.series_distribution import DISTRIBUTION_HEIGHT, effects_distribution
from nof1.report.series_side import adherence_section, blinding_section, harms_section
from nof1.report.text import end_point_note, side_methods

__all__ = [
    "FOREST_PATIENTS",
    "PATIENT_SECTIONS",
    "heterogeneity_words",
    "render_series_report",
    "series_report_pieces",
]

#: The page has a section per analysed patient (their order, days, effect and verdict: about
#: 1.4 kB each) up to this many; a larger series' page leaves them out (14 MB at 10 000
#: patients) and links each row of the responders table to the patient's own files.
PATIENT_SECTIONS = 500
#: The forest plot has a row per patient up to this many (24 px each); a larger series'
#: page shows the distribution of the patients' effects instead (10 000 rows, 240 000 px
#: tall, do not load in a browser).
FOREST_PATIENTS = 200


def heterogeneity_words(meta: dict, level: str) -> str:
    """How much the patients differ, in words (I² bands after Higgins et al., BMJ 2003),
    and the prediction interval (``level``, as :func:`level_text` writes it) in a sentence.

    Examples
    --------
    >>> heterogeneity_words({"i2": 60.2, "tau2": 30.0, "pi_low": -19.4, "pi_high": 2.6,
    ...                      "estimate": -8.4, "reason": None}, "90%")
    'Patients differ substantially (I² 60%): the typical patient-to-patient spread of the
    true effect is ±5.5 points (tau). In a new patient like these, the effect would lie
    between 19.4 lower and 2.6 higher 90% of the time (prediction interval).'
    """
    if meta.get("reason"):
        return f"Heterogeneity cannot be assessed: {meta['reason']}."
    i2 = meta["i2"]
    band = (
        "little"
        if i2 < 25
        else "moderately"
        if i2 < 50
        else "substantially"
        if i2 < 75
        else "considerably"
    )
    verb = "Patients differ little" if band == "little" else f"Patients differ {band}"
    return (
        f"{verb} (I² {i2:.0f}%): the typical patient-to-patient spread of the true effect is "
        f"±{meta['tau2'] ** 0.5:.1f} points (tau). In a new patient like these, the effect "
        f"would lie between {_signed_words(meta['pi_low'])} and "
        f"{_signed_words(meta['pi_high'])} {level} of the time (prediction interval)."
    )


def render_series_report(
    series: dict, patient_results: dict[str, dict], patient_reports: bool = False
) -> str:
    """The series page as HTML text (:func:`series_report_pieces`, joined)."""
    return "".join(series_report_pieces(series, patient_results, patient_reports))


def series_report_pieces(
    series: dict, patient_results: dict[str, dict], patient_reports: bool = False
):
    """The series page as HTML text, in pieces (an iterator: see
    :func:`nof1.report.html.page_pieces`).

    Parameters
    ----------
    series : dict
        series.json (contract ``nof1.series/2``): its ``analysis`` (alpha, the primary
        method pooled) and ``comparison`` say what every part of the page shows.
    patient_results : dict
        Patient id -> that patient's results.json (for their verdicts).
    patient_reports : bool
        Whether patients/ID/report.html were written (then each section links to its own).
    """
    treated, control = Comparison.from_dict(series["comparison"]).arms
    labels = series["labels"]
    analysed = sum(1 for p in series["patients"] if p["included"])
    primary = next(o for o in series["outcomes"] if o["primary"])
    forest_fig, forest_caption, forest_height = _forest(primary, series)
    days = _endpoint_days(patient_results)
    slope_fig, slope_caption = _percent_change(primary, series)
    if days:
        slope_caption += " " + end_point_note(days)
    figures = [
        {
            "id": "forest",
            "html": figure_html(forest_fig, "plot-forest", forest_height),
            "caption": forest_caption,
        },
        {
            "id": "percent-change",
            "html": figure_html(slope_fig, "plot-percent-change", 420),
            "caption": slope_caption,
        },
    ]
    return page_pieces(
        "series.html.j2",
        series=series,
        labels=labels,
        treated=treated,
        control=control,
        primary=primary,
        summary=_summary(primary, series),
        level=level_text(series["analysis"]["interval_level"]),
        method=registry_method(series["analysis"]["primary_method"]),
        heterogeneity=heterogeneity_words(
            primary["meta_analysis"], level_text(series["analysis"]["interval_level"])
        ),
        figures=figures,
        patient_results=patient_results,
        patient_reports=patient_reports,
        sections=analysed <= PATIENT_SECTIONS,
        forest_links=_with_estimate(primary) <= FOREST_PATIENTS,  # else no row per patient
        section_limit=PATIENT_SECTIONS,
        analysed=analysed,
        end_point_days=days,
        responder_note=responder_basis(
            labels[treated], labels[control], where="in the table below (the effect and p)"
        ),
        harms=harms_section(series, treated, control),
        adherence=adherence_section(series, treated, control),
        blinding_check=blinding_section(series, treated, control),
        side_methods=side_methods(
            series, registry_method(series["analysis"]["primary_method"]).name, series=True
        ),
    )


def _endpoint_days(patient_results: dict[str, dict]) -> int | None:
    """The end point's number of days, as the patients' results.json record it."""
    for res in patient_results.values():
        for out in res.get("outcomes") or []:
            if (out.get("end_point") or {}).get("days"):
                return out["end_point"]["days"]
    return None


def _signed_words(x: float, unit: str = "") -> str:
    return f"{abs(x):.1f}{unit} {'lower' if x < 0 else 'higher'}"


def _summary(primary: dict, series: dict) -> list[str]:
    """The first paragraph, sentence by sentence."""
    labels, comp = series["labels"], series["comparison"]
    t, c = labels[comp["treated"]], labels[comp["control"]]
    level = level_text(series["analysis"]["interval_level"])
    method = registry_method(series["analysis"]["primary_method"])
    meta, out = primary["meta_analysis"], []
    counts = series["counts"]
    out.append(
        f"{counts['analysed']} of {counts['patients']} patients were analysed"
        + (f" ({counts['skipped']} skipped, listed below)." if counts["skipped"] else ".")
    )
    if meta.get("reason"):
        out.append(f"No pooled estimate: {meta['reason']}.")
    else:
        out.append(
            f"Across patients, {primary['label'].lower()} was on average "
            f"{_signed_words(meta['estimate'], ' points')} on {t} than on {c} ({level} CI "
            f"from {_signed_words(meta['ci_low'])} to {_signed_words(meta['ci_high'])}; "
            f"p {fmt_p(meta['p_value'])}; random-effects meta-analysis of each patient's "
            f"estimate by {method.words}, with the Knapp-Hartung t test on {meta['k'] - 1} "
            f"degrees of freedom for {meta['k']} patients)."
        )
    pc = primary["percent_change"]
    if not pc.get("reason"):
        t_mean, c_mean = pc[comp["treated"] + "_mean"], pc[comp["control"] + "_mean"]
        out.append(
            f"From baseline to the end points, {primary['label'].lower()} changed by "
            f"{fmt(t_mean, 1, True)}% on {t} and {fmt(c_mean, 1, True)}% on {c} (paired t p "
            f"{fmt_p(pc['p_value'])}, Cohen's dz {fmt(pc.get('cohen_dz'), 2, True)}, Bayes "
            f"factor BF10 {fmt_bf(pc.get('bf10'))}; Wilcoxon p {fmt_p(pc['wilcoxon_p'])}, "
            f"rank-biserial r {fmt(pc.get('rank_biserial'), 2, True)})."
        )
    resp = series["responders"]
    if not resp.get("reason"):
        cond = resp["conditions"]
        out.append(
            f"{cond[comp['treated']]['responders']} of {cond[comp['treated']]['n']} patients "
            f"responded on {t} ({cond[comp['treated']]['rate']:.0%}) and "
            f"{cond[comp['control']]['responders']} on {c} ({cond[comp['control']]['rate']:.0%}), "
            f"each compared with their own baseline, not with {c}; "
            f"exact McNemar p {fmt_p(resp['mcnemar']['p_value'])}."
        )
    harms, alpha = series.get("harms"), series["analysis"]["alpha"]
    if harms and any((e["difference"].get("p_value") or 1) < alpha for e in harms["events"]):
        out.append(harms["message"])  # a side effect clearly more frequent on one condition
    if series["blinded"]:
        out.append("This is a blinded analysis: groups A and B, effects B minus A.")
    return out


def _with_estimate(primary: dict) -> int:
    return sum(1 for e in primary["patient_effects"] if e["estimate"] is not None)


def _forest(primary: dict, series: dict):
    """Each patient's raw and shrunken estimate, the pooled diamond and prediction interval."""
    import plotly.graph_objects as go

    comp, labels = series["comparison"], series["labels"]
    level = level_text(series["analysis"]["interval_level"])
    meta = primary["meta_analysis"]
    raw = [e for e in primary["patient_effects"] if e["estimate"] is not None]
    if len(raw) > FOREST_PATIENTS:
        fig, caption = effects_distribution(primary, series, raw, FOREST_PATIENTS)
        return fig, caption, DISTRIBUTION_HEIGHT
    raw.sort(key=lambda e: e["estimate"])
    shrunken = {s["patient_id"]: s for s in meta.get("shrunken") or []}
    rows = [e["patient_id"] for e in raw]
    y = {pid: i + 2 for i, pid in enumerate(rows)}  # rows 0 and 1: pooled and prediction
    fig = go.Figure()
    mcid = primary["mcid"] or 0
    for x, dash, color in [
        (0, "solid", "#999999"),
        (-mcid, "dash", COLORS["ink"]),
        (mcid, "dash", COLORS["ink"]),
    ]:
        if x or dash == "solid":
            fig.add_vline(x=x, line_dash=dash, line_color=color, line_width=1)
    fig.add_trace(
        go.Scatter(
            x=[e["estimate"] for e in raw],
            y=[y[e["patient_id"]] + 0.15 for e in raw],
            mode="markers",
            name=f"patient's own estimate ({level} CI)",
            marker={"color": "#7f7f7f", "size": 7},
            error_x={
                "type": "data",
                "symmetric": False,
                "color": "#b0b0b0",
                "array": [e["ci_high"] - e["estimate"] for e in raw],
                "arrayminus": [e["estimate"] - e["ci_low"] for e in raw],
            },
            hovertext=[e["patient_id"] for e in raw],
        )
    )
    shown = [pid for pid in rows if pid in shrunken]
    if shown:
        fig.add_trace(
            go.Scatter(
                x=[shrunken[p]["estimate"] for p in shown],
                y=[y[p] - 0.15 for p in shown],
                mode="markers",
                name="shrunken toward the pooled effect",
                marker={"color": COLORS[comp["treated"]], "size": 8, "symbol": "diamond"},
                hovertext=shown,
            )
        )
    if not meta.get("reason"):
        est, lo, hi = meta["estimate"], meta["ci_low"], meta["ci_high"]
        fig.add_trace(
            go.Scatter(
                x=[lo, est, hi, est, lo],
                y=[1, 1.35, 1, 0.65, 1],
                fill="toself",
                mode="lines",
                line={"color": COLORS["ink"]},
                fillcolor=COLORS[comp["treated"]],
                name=f"pooled (REML, Knapp-Hartung {level} CI)",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[meta["pi_low"], meta["pi_high"]],
                y=[0, 0],
                mode="lines+markers",
                line={"color": COLORS[comp["treated"]], "width": 3},
                marker={"symbol": "line-ns-open", "size": 12},
                name=f"{level} prediction interval (a new patient)",
            )
        )
    # Plain ids: the page's script turns them into links to each patient's section
    # (plotly drops relative links when a page is opened from file://).
    ticks = ["prediction", "<b>pooled</b>", *rows]
    # fixedrange: no drag zone over the labels, so a click reaches the patient link
    fig.update_yaxes(
        tickvals=list(range(len(ticks))), ticktext=ticks, range=[-0.7, len(ticks)], fixedrange=True
    )
    fig.update_xaxes(
        title=plotly_text(
            f"{labels[comp['treated']]} minus {labels[comp['control']]} "
            f"({primary['label'].lower()}, points)"
        )
    )
    fig.update_layout(legend={"orientation": "h", "y": -80 / (160 + 24 * len(rows))})
    caption = (
        f"{primary['label']}: each patient's effect (grey, with {level} CI) and shrunken "
        "estimate (diamond), sorted; the pooled effect and the range expected for a new "
        f"patient at the bottom; dashed lines at ±{mcid:g} points. Click a patient for "
        "their section."
    )
    return fig, caption, 160 + 24 * len(primary["patient_effects"])


def _percent_change(primary: dict, series: dict):
    """Each patient's percent change from baseline on each arm, joined by a line."""
    import plotly.graph_objects as go

    comp, labels = series["comparison"], series["labels"]
    t, c = comp["treated"], comp["control"]
    pc = primary["percent_change"]
    names = {c: plotly_text(labels[c]), t: plotly_text(labels[t])}  # the x categories
    fig = go.Figure()
    better_lower = primary["better"] == "lower"
    # One trace per colour, each patient's line cut from the next by a gap (None): the
    # same picture as a trace per patient, which at thousands of patients makes a page
    # too heavy to build (the parent's memory) and to draw (the browser).
    lines: dict[str, tuple[list, list, list]] = {t: ([], [], []), c: ([], [], [])}
    for p in pc.get("per_patient") or []:
        if p[t] is None or p[c] is None:
            continue
        x, y, text = lines[t if (p[t] < p[c]) == better_lower else c]
        x += [names[c], names[t], None]
        y += [p[c], p[t], None]
        text += [p["patient_id"], p["patient_id"], None]
    for arm, (x, y, text) in lines.items():
        if x:
            fig.add_trace(
                go.Scatter(
                    x=x[:-1],
                    y=y[:-1],
                    mode="lines+markers",
                    showlegend=False,
                    line={"color": COLORS[arm], "width": 1},
                    opacity=0.6,
                    hovertext=text[:-1],
                    hoverinfo="text+y",
                    connectgaps=False,
                )
            )
    if not pc.get("reason"):
        fig.add_trace(
            go.Scatter(
                x=[names[c], names[t]],
                y=[pc[f"{c}_mean"], pc[f"{t}_mean"]],
                mode="lines+markers",
                name="mean",
                line={"color": COLORS["ink"], "width": 4},
                marker={"size": 10},
            )
        )
    fig.add_hline(y=0, line_color="#999999", line_width=1)
    fig.update_yaxes(
        title=plotly_text(f"{primary['label']}: % change from baseline at the end point")
    )
    caption = (
        f"Percent change of {primary['label'].lower()} from baseline on each arm, one line "
        f"per patient (coloured {labels[t]} when {labels[t]} did better); the thick line "
        "joins the means (the 2013 study's primary analysis)."
    )
    return fig, caption
