"""``nof1 series``: many patients on one protocol in, per-patient results and series.json out."""

from __future__ import annotations

import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click

from nof1.cli._common import (
    allow_protocol_change_option,
    claim_out,
    echo_notes,
    force_option,
    out_option,
    problems_option,
    protocol_word,
    read_options,
    recorded_command,
    recorded_path,
)

__all__ = ["series"]

_HINT = "(--skip-bad analyses the other patients and lists these as skipped)"


@click.command()
@click.argument("source", metavar="DIARY_OR_DIR", type=click.Path(exists=True))
@click.option(
    "--protocol",
    "protocol",
    required=True,
    metavar="ID_OR_FILE",
    help="The series' protocol: a shipped id or a YAML file.",
)
@click.option(
    "--allocations",
    type=click.Path(exists=True),
    metavar="FILE_OR_DIR",
    help="The allocations `nof1 schedule` wrote: series-allocation-blinded.csv (blinded: "
    "groups A and B, effects B minus A), series-unblinding-key.json (unblinded), or a folder "
    "of them (the blinded files are used when present). Not needed when the diaries have a "
    "condition column.",
)
@click.option(
    "--skip-bad",
    is_flag=True,
    help="Analyse the other patients when some cannot be (no placebo days, not in the "
    "allocations, an unreadable diary...); they are listed as skipped in series.json.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    metavar="N",
    help="Worker processes (default: one per CPU for a large series; the results are the "
    "same whatever N).",
)
@click.option(
    "--dask",
    "dask",
    metavar="ADDRESS",
    help="Run the patients on a Dask cluster: a scheduler's address (tcp://host:8786), or "
    "local[:N] for N worker processes here. --out must be on storage every worker sees. "
    "Needs pip install 'nof1[dask]'. The files are the same as without it.",
)
@click.option(
    "--dask-scheduler-file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Connect to the Dask scheduler described in FILE (dask scheduler --scheduler-file, "
    "dask-jobqueue, HPC setups).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Reuse the per-patient files an earlier run of this series left complete and valid "
    "in --out, or staged before it was stopped (unchanged since, same diary data, protocol, "
    "seed, options and nof1 version); analyse the rest and replace series.json and "
    "series.html (as --force would).",
)
@click.option(
    "--seed",
    type=click.IntRange(0),
    metavar="N",
    default=0,
    show_default=True,
    help="Seed of each patient's Monte Carlo randomization test (only used when the scheme "
    "has more than 100 000 allocations).",
)
@click.option(
    "--patient-reports",
    is_flag=True,
    help="Also write each patient's report.html in patients/ID/ (about 200 kB each: they "
    "share one plotly.js file in patients/, so keep the folder together; it opens offline).",
)
@read_options
@allow_protocol_change_option
@out_option("series.json, series.html and patients/ID/")
@force_option
@problems_option
def series(
    source,
    protocol,
    allocations,
    skip_bad,
    workers,
    dask,
    dask_scheduler_file,
    resume,
    seed,
    patient_reports,
    map_file,
    date_format,
    allow_protocol_change,
    out_dir,
    force,
    problems_file,
):
    """Analyse a series of n-of-1 trials: every patient, then pooled across patients.

    DIARY_OR_DIR is one diary table (CSV or XLSX, wide or long; a REDCap export; any table
    with --map) with a patient_id column, or a folder of per-patient diaries named
    ID-diary.csv (e.g. the folder `nof1 simulate --patients N` or `nof1 import studyu`
    writes).

    \b
    Writes DIR/series.json (contract nof1.series/2): per outcome a random-effects
    meta-analysis of the patients' effects by the protocol's primary method (REML
    and DerSimonian-Laird, I², prediction interval, shrunken estimates), a linear
    mixed model on the daily data, percent change from baseline (paired t and
    Wilcoxon) and the order effect; responder rates with McNemar's exact test; and
    every patient, analysed or skipped.
    DIR/patients/ID/ holds each patient's results.json and aligned.csv, as `nof1 analyze`.
    """
    from dataclasses import replace

    from nof1.data import ReadOptions
    from nof1.data.problems import problems_csv
    from nof1.errors import DiaryError
    from nof1.outputs.staging import stage_pieces
    from nof1.parallel import cluster_for
    from nof1.protocol import read_protocol
    from nof1.report.patient import series_patient_files
    from nof1.report.series import series_report_pieces
    from nof1.series import SeriesError, analyze_series, load_series, series_files
    from nof1.series.series_json import stage_series_json

    cluster = cluster_for(workers, dask, dask_scheduler_file)
    out = claim_out(out_dir, force or resume, "series")
    out.refuse_existing(["series.json"])  # say so before the long run
    pf = read_protocol(protocol)
    options = [("--protocol", protocol_word(protocol))]
    options += [("--allocations", allocations and Path(allocations)), ("--seed", seed)]
    options += [("--map", map_file and Path(map_file)), ("--date-format", date_format)]
    options += [("--out", Path(out_dir)), ("--problems", problems_file and Path(problems_file))]
    flags = ["--skip-bad"] * skip_bad + ["--patient-reports"] * patient_reports
    flags += ["--allow-protocol-change"] * allow_protocol_change
    flags += ["--force"] * force
    words = ["nof1", "series", Path(source)]
    words += [part for name, value in options if value is not None for part in (name, value)]
    command = recorded_command(words + flags, out_dir)
    run = dict(skip_bad=skip_bad, workers=workers, seed=seed, command=command)
    run["allow_protocol_change"] = allow_protocol_change
    run["density"] = patient_reports  # only a patient's report draws it
    run["stage"] = out.stage()  # the workers write each patient's files there
    if patient_reports:
        run["files"] = series_patient_files
    typed_inputs = {"diary": source, "--allocations": allocations, "--protocol": pf.path}
    typed_inputs["--map"] = map_file
    reading = ReadOptions(mapping=map_file, date_format=date_format)
    try:
        with cluster as client:
            with _bar("Checking diaries") as checked:
                data = load_series(
                    source, pf.protocol, allocations=allocations, skip_bad=skip_bad,
                    options=reading, lean=True, workers=workers, client=client, progress=checked,
                    cache=run["stage"],
                )  # fmt: skip
            echo_notes(data.notes)
            shared = replace(  # series.json names its inputs as the command line does
                data,
                source=recorded_path(data.source, out_dir),
                allocation_sources=tuple(
                    recorded_path(a, out_dir) for a in data.allocation_sources
                ),
            )
            if resume:  # each chunk is checked where it would be analysed
                from nof1.series.resume import reuse_plan

                run["resume"], run["records"] = reuse_plan(
                    out_dir, run["stage"], pf, seed=seed, command=command,
                    density=patient_reports, patient_reports=patient_reports,
                )  # fmt: skip
            try:
                with _bar("Analysing patients", len(data.diaries)) as bar:
                    results = analyze_series(shared, pf, progress=bar, client=client, **run)
            except KeyboardInterrupt:
                from nof1.series.resume import keep_staged

                keep_staged(run["stage"])  # for --resume
                raise
    except (SeriesError, DiaryError) as exc:
        if problems_file:
            exc.with_traceback(None)  # frees the frames that hold the whole table read
            out.write_file(problems_file, problems_csv(exc.sourced_problems()), typed_inputs)
        if not isinstance(exc, SeriesError):
            raise
        raise click.ClickException(f"{exc}" + ("" if skip_bad else f"\n{_HINT}")) from None
    # series.json is written piece by piece (never whole in memory), and the page reads
    # exactly what was written (the parts it draws).
    series_json, view = stage_series_json(results, run["stage"])
    files = series_files(results, series_json=False)  # the patients' (unless staged)
    if patient_reports:  # the per-patient reports share one copy of plotly.js
        from nof1.report.html import plotly_js, plotly_js_name

        files[f"patients/{plotly_js_name()}"] = plotly_js()
    page = series_report_pieces(view, results.patient_results, patient_reports)
    series_html = stage_pieces(run["stage"], "series.html", page)  # never whole here either
    del view, page
    inputs = {
        "diary": [source, *(d.source for d in data.diaries.values())],
        "--allocations": data.allocation_sources,
        "--protocol": pf.path,
        "--map": map_file,
    }
    staged = results.staged | {"series.json": series_json, "series.html": series_html}
    out.write(files, inputs, staged=staged, kept=results.kept)
    if resume:
        from nof1.series.resume import clean_left_over

        clean_left_over(Path(out_dir), run["stage"])
    if problems_file:
        out.write_file(problems_file, problems_csv(list(results.problems)), inputs)
    _summary(results)
    _data_warnings(results.patient_results)
    for name in ("series.json", "series.html", "patients"):  # where to look next
        click.echo(str(out.root / name))


@contextmanager
def _bar(label: str, length: int | None = None):
    """A click progress bar on a terminal, fed by the calls made with a count (None
    elsewhere); with no ``length``, sized by the first call's ``total``."""
    if not _on_terminal():
        yield None
        return
    with ExitStack() as stack:
        bars: list = []

        def update(n: int, total: int | None = None) -> None:
            if not bars:
                bars.append(stack.enter_context(_click_bar(label, total or length)))
            bars[0].update(n)

        if length is not None:
            update(0)
        yield update


def _click_bar(label: str, length: int | None):
    return click.progressbar(length=length, label=label, file=sys.stderr)


def _on_terminal() -> bool:
    """Progress bars only on a terminal (not in pipes, files or CI logs)."""
    return sys.stderr.isatty()


def _data_warnings(patient_results: dict) -> None:
    """Per patient, once: periods that differ from the protocol's; an interim diary."""
    for pid, result in patient_results.items():
        quality = result.get("data_quality") or {}
        for warning in quality.get("warnings", ()):
            click.echo(f"Warning ({pid}): {warning}.", err=True)
        interim = quality.get("interim")
        if interim:
            click.echo(
                f"{pid}: interim: {interim['days_so_far']} of {interim['days_planned']} days "
                f"so far (diary to {interim['last_date']}).",
                err=True,
            )


def _summary(results) -> None:
    """A few lines on stderr: who was analysed and the pooled primary effect."""
    analysed = len(results.patients) - len(results.skipped)
    click.echo(
        f"{analysed} patients analysed, {len(results.skipped)} skipped"
        + (" (blinded: effects are B minus A)." if results.blinded else "."),
        err=True,
    )
    for skipped in results.skipped:
        who = f"patient {skipped['patient_id']}" if skipped["patient_id"] else "input"
        click.echo(f"  skipped {who}: {skipped['reason']}", err=True)
    effect = f"{results.treated} minus {results.control}"
    level = f"{1 - results.alpha:.0%}"
    for outcome in results.outcomes:
        m = outcome.meta
        if m.reason:
            text = f"no pooled estimate ({m.reason})"
        else:
            text = (
                f"{m.estimate:.2f} ({level} CI {m.ci_low:.2f} to {m.ci_high:.2f}; prediction "
                f"interval {m.pi_low:.2f} to {m.pi_high:.2f}), tau² {m.tau2:.2f}, "
                f"I² {m.i2:.0f}%, k = {m.k}"
            )
        click.echo(f"{outcome.name} (REML, Knapp-Hartung, {effect}): {text}", err=True)
