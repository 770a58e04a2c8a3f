"""``nof1 analyze``: one patient's diary in, results.json and aligned.csv out."""

from __future__ import annotations

import click

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
@click.option(
    "--studyu-map",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Read DIARY as a StudyU participant export, with this mapping of its "
    "questions and interventions to the protocol's outcomes and conditions.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Folder for results.json and aligned.csv (created if missing).",
)
@click.option("--force", is_flag=True, help="Replace files that already exist.")
def analyze(diary, protocol, allocation, patient_id, studyu_map, out_dir, force):
    """Analyse one patient's DIARY (CSV or XLSX) with the protocol's pre-specified methods.

    \b
    Writes DIR/results.json (every method, per outcome; contract nof1.results/1)
    and DIR/aligned.csv (one row per day: which day counted for what).
    With a blinded allocation the results compare group B with group A and say so.
    """
    import json

    from nof1.analysis.patient import analyze_patient
    from nof1.data import load_aligned
    from nof1.outputs import write_outputs
    from nof1.protocol import read_protocol

    pf = read_protocol(protocol)
    aligned = load_aligned(
        diary, pf.protocol, allocation=allocation, patient_id=patient_id, studyu_map=studyu_map
    )
    results = analyze_patient(aligned, pf)
    files = {
        "results.json": json.dumps(results.to_dict(), indent=2, ensure_ascii=False) + "\n",
        "aligned.csv": aligned.to_csv(),
    }
    written = write_outputs(out_dir, files, force=force)
    quality = results.data_quality
    click.echo(
        f"{aligned.patient_id or 'patient'}: {quality['days_observed']} of "
        f"{quality['days_planned']} planned days observed "
        f"({len(quality['missing_dates'])} missing).\n",
        err=True,
    )
    click.echo(results.verdict + "\n", err=True)
    for path in written:
        click.echo(str(path))
