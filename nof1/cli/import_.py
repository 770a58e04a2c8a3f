"""``nof1 import``: data collected with other tools, as nof1's files (StudyU exports)."""

from __future__ import annotations

import click

from nof1.cli._common import claim_out, force_option, out_option

__all__ = ["import_group", "studyu"]


@click.group("import")
def import_group():
    """Turn data collected with another tool into nof1's protocol, diaries and allocations."""


@import_group.command()
@click.argument("export", type=click.Path(exists=True))
@click.option("--active", metavar="NAME", help="The StudyU intervention that is the treatment.")
@click.option("--placebo", metavar="NAME", help="The StudyU intervention it is compared with.")
@click.option(
    "--timezone",
    metavar="ZONE",
    help="Time zone of the diary dates (IANA name, e.g. Europe/Berlin); default: this "
    "machine's. StudyU records times in UTC.",
)
@click.option(
    "--day-starts-at",
    default="04:00",
    show_default=True,
    metavar="HH:MM",
    help="Answers before this time count for the day before (an evening diary filled in "
    "after midnight).",
)
@click.option(
    "--same-day",
    type=click.Choice(["error", "first", "last", "mean"]),
    default="error",
    show_default=True,
    help="Several answers to a question on one date: stop, or keep the first, the last, "
    "or their mean.",
)
@click.option("--primary", metavar="OUTCOME", help="The primary outcome (default: the first).")
@click.option(
    "--higher-better",
    multiple=True,
    metavar="OUTCOME",
    help="An outcome for which higher is better (default: lower is better). Repeatable.",
)
@click.option(
    "--mcid",
    multiple=True,
    metavar="OUTCOME=VALUE",
    help="Minimal clinically important difference (default: a tenth of the range). Repeatable.",
)
@out_option("protocol.yaml, diaries/ and allocations/")
@force_option
def studyu(
    export,
    active,
    placebo,
    timezone,
    day_starts_at,
    same_day,
    primary,
    higher_better,
    mcid,
    out_dir,
    force,
):
    """Import a StudyU EXPORT (the ZIP the StudyU designer downloads, or its folder).

    \b
    Writes DIR/protocol.yaml (from study_definition.json: baseline, phases, cycles, the
    sequence, the numeric questions as outcomes with their ranges), DIR/diaries/ID-diary.csv
    per participant and DIR/allocations/ID-unblinding-key.json (what each participant
    received). Then:
      nof1 series DIR/diaries --protocol DIR/protocol.yaml --allocations DIR/allocations --out R
    What was left out (deleted interventions, non-numeric questions, days without an
    answer) is listed on stderr.
    """
    from nof1.data.dates import parse_clock
    from nof1.data.studyu import read_studyu_export
    from nof1.data.studyu_files import import_files

    try:
        start = parse_clock(day_starts_at)
    except ValueError:
        raise click.BadParameter("expected HH:MM", param_hint="--day-starts-at") from None
    zone = _zone(timezone)
    mcids = {}
    for item in mcid:
        name, _, value = item.partition("=")
        try:
            mcids[name] = float(value)
        except ValueError:
            message = f"expected OUTCOME=VALUE, got {item!r}"
            raise click.BadParameter(message, param_hint="--mcid") from None
    out = claim_out(out_dir, force, "import")
    data = read_studyu_export(export)
    files, result = import_files(
        data, active, placebo, zone, start, same_day, primary, higher_better, mcids
    )
    written = out.write(files, {"export": export})
    for warning in result.warnings:
        click.echo(f"Warning: {warning}.", err=True)
    for item in result.dropped:
        click.echo(f"Left out: {item}.", err=True)
    click.echo(f"{len(result.orders)} participant(s) imported.", err=True)
    for path in written:
        click.echo(str(path))


def _zone(name):
    if name is None:
        return None  # the machine's own (with its daylight saving time)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {name!r}", param_hint="--timezone") from None
