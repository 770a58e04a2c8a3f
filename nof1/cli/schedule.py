"""``nof1 schedule``: a randomized, blinded schedule and the files for each person."""

from __future__ import annotations

import click

from nof1.cli._common import (
    claim_out,
    force_option,
    from_key_option,
    out_option,
    patient_options,
    resolve_schedule,
    seed_option,
    warn_visible_differences,
)

__all__ = ["schedule"]


@click.command()
@click.argument("protocol", metavar="PROTOCOL")
@patient_options("A series of N patients with ids P01, P02, ... (balanced allocation list).")
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Date of day 1 (required unless --from-key).",
)
@seed_option("the unblinding key")
@from_key_option
@out_option("the files")
@force_option
def schedule(protocol, patient_id, n_patients, start, seed, from_key, out_dir, force):
    """Randomize and blind a schedule for one patient (--patient) or a series (--patients).

    \b
    Writes, for each patient:
      ID-calendar.csv, ID-calendar.ics   for the patient: kit codes and doses by day
      ID-diary-template.csv              for the patient: one row per day to fill in
      ID-allocation-blinded.csv          for the analyst: periods as group A or B
      ID-unblinding-key.json             for the pharmacist: A/B, kit contents, seed
                                         and secret
    A series puts these in a folder per patient and adds series-allocation-blinded.csv
    and series-unblinding-key.json (the key that holds the seed and secret). The seed
    fixes the A/B pattern; which group is active and the kit codes come from a secret
    drawn afresh each time, so the same seed gives other kit codes. To make the same
    files again, use --from-key. Keep the unblinding key away from the patient and the
    analyst.
    """
    from pathlib import Path

    from nof1.design.blinding import schedule_files
    from nof1.design.from_key import check_recreated
    from nof1.protocol import read_protocol

    pf = read_protocol(protocol)
    schedules, start, seed, keyed = resolve_schedule(
        pf, from_key, patient_id, n_patients, start, seed, "the unblinding key"
    )
    out = claim_out(out_dir, force, "schedule")
    warn_visible_differences(pf.protocol)
    ids = [s.patient_id for s in schedules]
    files = schedule_files(pf, schedules, start, seed)
    if keyed is not None:
        check_recreated(keyed, files)
    written = out.write(files, {"--protocol": pf.path, "--from-key": from_key})
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
            f"Wrote schedules for {len(ids)} patients ({ids[0]}..{ids[-1]}) "
            f"in {Path(out_dir) / 'ID'}/, plus:"
        )
        for path in written[-2:]:
            role = "analyst" if "blinded" in path.name else "pharmacist"
            click.echo(f"{path}  ({role})")
