"""``nof1 schedule``: a randomized, blinded schedule and the files for each person."""

from __future__ import annotations

import click

from nof1.cli._common import (
    claim_out,
    force_option,
    out_option,
    patient_options,
    resolve_patients,
    resolve_seed,
    seed_option,
)

__all__ = ["schedule"]


@click.command()
@click.argument("protocol", metavar="PROTOCOL")
@patient_options("A series of N patients with ids P01, P02, ... (balanced allocation list).")
@click.option(
    "--start",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Date of day 1.",
)
@seed_option("the unblinding key")
@out_option("the files")
@force_option
def schedule(protocol, patient_id, n_patients, start, seed, out_dir, force):
    """Randomize and blind a schedule for one patient (--patient) or a series (--patients).

    \b
    Writes, for each patient:
      ID-calendar.csv, ID-calendar.ics   for the patient: kit codes and doses by day
      ID-diary-template.csv              for the patient: one row per day to fill in
      ID-allocation-blinded.csv          for the analyst: periods as group A or B
      ID-unblinding-key.json             for the pharmacist: A/B, kit contents, seed
    A series puts these in a folder per patient and adds series-allocation-blinded.csv
    and series-unblinding-key.json. Keep the unblinding key away from the patient and
    the analyst.
    """
    from nof1.design.blinding import draw_schedules, schedule_files
    from nof1.protocol import read_protocol

    ids = resolve_patients(patient_id, n_patients)
    out = claim_out(out_dir, force, "schedule")
    pf = read_protocol(protocol)
    seed = resolve_seed(seed, "the unblinding key")
    start = start.date()
    files = schedule_files(pf, draw_schedules(pf, ids, start, seed), start, seed)
    written = out.write(files, {"--protocol": pf.path})
    who = {
        "calendar.csv": "patient",
        "calendar.ics": "patient",
        "diary-template.csv": "patient",
        "allocation-blinded.csv": "analyst",
        "unblinding-key.json": "pharmacist",
    }
    if len(ids) == 1:
        for path in written:
            role = next(r for suffix, r in who.items() if path.name.endswith(suffix))
            click.echo(f"{path}  ({role})")
    else:
        click.echo(
            f"Wrote schedules for {len(ids)} patients ({ids[0]}..{ids[-1]}) in {out_dir}/ID/, plus:"
        )
        for path in written[-2:]:
            role = "analyst" if "blinded" in path.name else "pharmacist"
            click.echo(f"{path}  ({role})")
