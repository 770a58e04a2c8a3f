"""``nof1 analyze``: one patient's diary in; results.json, aligned.csv and report.html out."""

from __future__ import annotations

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
)

__all__ = ["analyze"]


@click.command()
@click.argument("diary", type=click.Path(dir_okay=False))
@click.option(
    "--protocol",
    "protocol",
    required=True,
    metavar="ID_OR_FILE",
    help="The trial's protocol: a shipped id or a YAML file.",
)
@click.option(
    "--allocation",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="The allocation `nof1 schedule` wrote: the analyst's *-allocation-blinded.csv "
    "(blinded analysis, groups A and B) or the pharmacist's *-unblinding-key.json. "
    "Not needed when the diary has a condition column.",
)
@click.option(
    "--patient",
    "patient_id",
    metavar="ID",
    help="Which patient, when the diary or allocation file holds several.",
)
@read_options
@click.option(
    "--seed",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Seed of the Monte Carlo randomization test (only used when the scheme has "
    "more than 100 000 allocations).",
)
@allow_protocol_change_option
@out_option("results.json, aligned.csv and report.html")
@force_option
@problems_option
def analyze(
    diary,
    protocol,
    allocation,
    patient_id,
    map_file,
    date_format,
    seed,
    allow_protocol_change,
    out_dir,
    force,
    problems_file,
):
    """Analyse one patient's DIARY (CSV or XLSX) with the protocol's pre-specified methods.

    DIARY is nof1's diary template, a REDCap export (raw or labels), a spreadsheet from
    any locale, or any table with --map. A StudyU export is imported first (`nof1
    import studyu`).

    \b
    Writes DIR/results.json (every method, per outcome; contract nof1.results/2),
    DIR/aligned.csv (one row per day: which day counted for what) and
    DIR/report.html (the shareable report; opens offline).
    With a blinded allocation the results compare group B with group A and say so.
    """
    import json
    from pathlib import Path

    from nof1.analysis.patient import analyze_patient
    from nof1.data import ReadOptions, load_aligned
    from nof1.data.align import nothing_to_compare
    from nof1.data.problems import problems_csv
    from nof1.errors import DiaryError
    from nof1.protocol import read_protocol
    from nof1.report.patient import report_from_texts

    out = claim_out(out_dir, force, "analyze")
    pf = read_protocol(protocol)
    inputs = {"diary": diary, "--allocation": allocation, "--map": map_file}
    inputs |= {"--protocol": pf.path}
    try:
        options = ReadOptions(mapping=map_file, date_format=date_format)
        aligned = load_aligned(
            diary, pf.protocol, allocation=allocation, patient_id=patient_id, options=options
        )
        echo_notes(aligned.notes)
        empty = nothing_to_compare(aligned)
        if empty:
            raise DiaryError(aligned.source, [empty])
    except DiaryError as exc:
        if problems_file:
            exc.with_traceback(None)  # frees the frames that hold the whole table read
            out.write_file(problems_file, problems_csv(exc.sourced_problems()), inputs)
        raise
    options = [
        ("--protocol", protocol_word(protocol)),
        ("--allocation", allocation and Path(allocation)),
        ("--patient", patient_id),
        ("--map", map_file and Path(map_file)),
        ("--date-format", date_format),
        ("--seed", seed),
        ("--out", Path(out_dir)),
        ("--problems", problems_file and Path(problems_file)),
    ]
    words = ["nof1", "analyze", Path(diary)]
    words += [part for name, value in options if value is not None for part in (name, value)]
    words += ["--allow-protocol-change"] * allow_protocol_change
    command = recorded_command(words, out_dir)
    results = analyze_patient(
        aligned, pf, seed=seed, command=command, allow_protocol_change=allow_protocol_change
    ).to_dict()
    files = {
        "results.json": json.dumps(results, indent=2, ensure_ascii=False) + "\n",
        "aligned.csv": aligned.to_csv(),
    }
    # The report reads exactly what is written, as `nof1 report` would later.
    files["report.html"] = report_from_texts(
        files["results.json"], files["aligned.csv"], pf.protocol
    )
    written = out.write(files, inputs)
    if problems_file:
        written.append(out.write_file(problems_file, problems_csv([]), inputs))
    quality = results["data_quality"]
    who = aligned.patient_id or "patient"
    for warning in quality.get("warnings", ()):
        click.echo(f"Warning ({who}): {warning}.", err=True)
    interim = quality.get("interim")
    if interim:
        click.echo(
            f"{who}: interim: {interim['days_so_far']} of {interim['days_planned']} days so "
            f"far (diary to {interim['last_date']}); {quality['days_observed']} observed "
            f"({len(quality['missing_dates'])} missing; later days are not yet due).\n",
            err=True,
        )
    else:
        click.echo(
            f"{who}: {quality['days_observed']} of {quality['days_planned']} planned days "
            f"observed ({len(quality['missing_dates'])} missing).\n",
            err=True,
        )
    click.echo(results["verdict"] + "\n", err=True)
    for path in written:
        click.echo(str(path))
