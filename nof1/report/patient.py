"""One patient's report: results.json + aligned.csv + the protocol -> one HTML page."""

from __future__ import annotations

import pandas as pd

from nof1.analysis.registry import method as registry_method
from nof1.analysis.verdict import responder_basis
from nof1.design.comparison import Comparison
from nof1.protocol.summary import describe_design
from nof1.report import figures, timeline_figure
from nof1.report.html import figure_html, level_text, render_page
from nof1.report.text import cent_items, end_point_note, methods_paragraph

__all__ = ["render_patient_report", "report_from_texts", "series_patient_files"]


def render_patient_report(
    results: dict, aligned: pd.DataFrame, protocol, plotly_src: str | None = None
) -> str:
    """The report page as HTML text.

    Parameters
    ----------
    results : dict
        results.json (contract ``nof1.results/2``): its ``analysis`` (alpha, primary
        method) and ``comparison`` say what every part of the page shows.
    aligned : pandas.DataFrame
        aligned.csv as read by ``nof1.data.read_aligned_csv``.
    protocol : Protocol
        The protocol the results cite (its SHA-256 is checked by the caller).
    plotly_src : str, optional
        Load plotly.js from this relative path instead of inlining it (a series' per-patient
        reports share one copy).
    """
    comparison = Comparison.from_dict(results["comparison"])
    treated, control = comparison.arms
    labels = results["labels"]
    analysis = results["analysis"]
    method = registry_method(analysis["primary_method"])
    outcomes = [_outcome_info(protocol, o) for o in results["outcomes"]]
    primary_index = next(i for i, o in enumerate(results["outcomes"]) if o["primary"])
    primary, primary_out = outcomes[primary_index], results["outcomes"][primary_index]

    headline = _headline(primary, primary_out, method.key, control)
    figs = []

    def add(fig_and_caption, div_id, height=360):
        fig, caption = fig_and_caption
        # "plot-" keeps plot ids apart from section ids (#distributions, #posterior)
        html = figure_html(fig, f"plot-{div_id}", height) if fig is not None else None
        figs.append(div_id)
        return {"id": div_id, "html": html, "caption": caption}

    timelines = [
        add(
            timeline_figure.timeline(aligned, info, out, results, protocol),
            f"timeline-{info['name']}",
            420 if out["primary"] else 320,
        )
        for info, out in zip(outcomes, results["outcomes"], strict=True)
    ]
    strip = add(
        timeline_figure.events_strip(aligned, results),
        "events-strip",
        timeline_figure.strip_height(results),
    )
    forest = add(figures.forest(primary, primary_out, results), "forest", 340)
    posterior = add(figures.posterior(primary, primary_out, results), "posterior", 320)
    spread = add(figures.distributions(aligned, outcomes, results), "distributions", 380)

    return render_page(
        "patient.html.j2",
        plotly_src=plotly_src,
        results=results,
        protocol=protocol,
        design=describe_design(protocol, blinded=results["blinded"]),
        treated=treated,
        control=control,
        labels=labels,
        primary=primary,
        primary_out=primary_out,
        headline=headline,
        responder_note=responder_basis(
            labels[treated], labels[control], headline.get("estimate"), headline.get("p_value")
        ),
        end_point_note=end_point_note(
            primary_out.get("end_point", {}).get("days", protocol.analysis.endpoint_days)
        ),
        method=method,
        level=level_text(analysis["interval_level"]),
        outcomes=list(zip(outcomes, results["outcomes"], strict=True)),
        timelines=timelines,
        forest=forest,
        posterior=posterior,
        distributions=spread,
        methods=methods_paragraph(protocol, results),
        cent=cent_items(results),
        limits=_limits(primary_out, analysis["alpha"], results.get("harms") is not None),
        strip=strip,
        harms=results.get("harms"),
        adherence=results.get("adherence"),
        check=(results.get("blinding") or {}).get("guesses") and results["blinding"],
    )


def report_from_texts(
    results_json: str, aligned_csv: str, protocol, plotly_src: str | None = None
) -> str:
    """The report of exactly what was written: results.json and aligned.csv as text
    (``plotly_src``: as :func:`~nof1.report.html.render_page`)."""
    import io
    import json

    from nof1.data import read_aligned_csv

    aligned = read_aligned_csv(io.StringIO(aligned_csv))
    return render_patient_report(json.loads(results_json), aligned, protocol, plotly_src)


def series_patient_files(results, aligned) -> dict[str, str]:
    """A series patient's files with their report.html (``nof1 series --patient-reports``).

    The per-patient hook of ``nof1.series.analyze_series``; module-level because it runs in
    worker processes.
    """
    from nof1.report.html import plotly_js_name
    from nof1.series import patient_files

    files = patient_files(results, aligned)
    # patients/FOLDER/report.html loads the one patients/plotly-*.js the series writes
    files["report.html"] = report_from_texts(
        files["results.json"], files["aligned.csv"], aligned.protocol, f"../{plotly_js_name()}"
    )
    return files


def _outcome_info(protocol, out: dict) -> dict:
    o = protocol.outcome(out["name"])
    return {
        "name": o.name,
        "label": o.label,
        "min": o.min,
        "max": o.max,
        "better": o.better,
        "mcid": o.mcid,
    }


def _headline(primary, out, method: str, control) -> dict:
    """The numbers of the first screen (the primary method's), already in words."""
    effect = out["effects"][method]
    bayes = out["effects"]["bayes_ar1"]
    level = out["descriptive"][control]["mean"]
    head = {"available": effect["estimate"] is not None, "reason": effect["reason"]}
    if head["available"]:
        better = (effect["estimate"] < 0) == (primary["better"] == "lower")
        head.update(
            estimate=effect["estimate"],
            ci_low=effect["ci_low"],
            ci_high=effect["ci_high"],
            p_value=effect["p_value"],
            better=better,
            direction="lower" if effect["estimate"] < 0 else "higher",
            percent=abs(effect["estimate"]) / abs(level) * 100 if level else None,
        )
    head["p_benefit"] = bayes.get("p_benefit")
    head["p_mcid"] = bayes.get("p_mcid")
    return head


def _limits(out: dict, alpha: float, harms: bool = False) -> list[str]:
    """What this design could not show, plainly."""
    lines = []
    rand = out["effects"]["randomization"]
    if rand["estimate"] is None:
        lines.append(f"No randomization test: {rand['reason']}.")
    elif rand["min_p"] >= alpha:
        lines.append(
            f"The randomization test can never give p below {rand['min_p']:.3g} with this "
            f"design ({rand['n_allocations']} possible orders), so significance rests on the "
            "model's assumptions."
        )
    paired = out["effects"]["paired_periods"]
    if paired["estimate"] is None:
        lines.append(f"No comparison over cycles: {paired['reason']}.")
    if not harms:
        lines.append("Side effects are not part of the diary and are not analysed here.")
    return lines
