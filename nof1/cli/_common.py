"""Options and checks that several commands share (schedule, simulate)."""

from __future__ import annotations

import click

__all__ = [
    "BadValueExitsOne",
    "force_option",
    "out_option",
    "patient_options",
    "problems_option",
    "resolve_patients",
    "resolve_seed",
    "scenario_options",
    "seed_option",
]


def patient_options(series_help: str):
    """``--patient ID`` or ``--patients N`` (exactly one; see :func:`resolve_patients`)."""

    def decorate(command):
        command = click.option(
            "--patients", "n_patients", type=click.IntRange(1, 9999), metavar="N", help=series_help
        )(command)
        return click.option(
            "--patient", "patient_id", metavar="ID", help="Patient id, for one patient."
        )(command)

    return decorate


def scenario_options(sd: float | None = None, phi: float | None = None):
    """The simulated noise and time course, shared by ``simulate`` and ``power``.

    ``--sd`` and ``--phi`` are required unless defaults are given.
    """
    half_life = click.FloatRange(min=0)
    options = [
        click.option(
            "--sd",
            default=sd,
            required=sd is None,
            show_default=sd is not None,
            type=click.FloatRange(min=0, min_open=True),
            metavar="S",
            help="Day-to-day noise sd on the primary outcome (> 0).",
        ),
        click.option(
            "--phi",
            default=phi,
            required=phi is None,
            show_default=phi is not None,
            type=click.FloatRange(-1, 1, min_open=True, max_open=True),
            metavar="P",
            help="Lag-1 autocorrelation of the noise, strictly between -1 and 1.",
        ),
        click.option("--trend", default=0.0, show_default=True, metavar="T", help="Drift per day."),
        click.option(
            "--onset-half-life",
            default=0.0,
            show_default=True,
            type=half_life,
            metavar="D",
            help="Days for the effect to build up to half (0 = instant).",
        ),
        click.option(
            "--offset-half-life",
            default=0.0,
            show_default=True,
            type=half_life,
            metavar="D",
            help="Days for the effect to decay by half after an active period (carryover).",
        ),
        click.option(
            "--missing",
            default=0.0,
            show_default=True,
            type=click.FloatRange(0, 1, max_open=True),
            metavar="M",
            help="Probability that a diary day is missing, in [0, 1).",
        ),
    ]

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def out_option(what: str):
    return click.option(
        "--out",
        "out_dir",
        required=True,
        type=click.Path(file_okay=False),
        metavar="DIR",
        help=f"Folder for {what} (created if missing).",
    )


def seed_option(recorded_in: str):
    """``--seed N``; without it :func:`resolve_seed` draws one and records it."""
    return click.option(
        "--seed",
        type=click.IntRange(0, 2**63 - 1),
        metavar="N",
        help="Random seed; the same inputs give byte-identical files. "
        f"Without it a seed is drawn and recorded in {recorded_in}.",
    )


force_option = click.option("--force", is_flag=True, help="Replace files that already exist.")

problems_option = click.option(
    "--problems",
    "problems_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also write every problem found in the inputs to this CSV (file, row, column, "
    "problem; only a header when there is none). The error message lists the first 50.",
)


def resolve_patients(patient_id: str | None, n_patients: int | None) -> list[str]:
    """The patient ids: the one given, or P01..PNN for a series; usage errors exit 2."""
    from nof1.design.blinding import patient_ids

    if (patient_id is None) == (n_patients is None):
        raise click.UsageError("give either --patient ID or --patients N")
    if patient_id is None:
        return patient_ids(n_patients)
    if not patient_id.replace("-", "").replace("_", "").isalnum():
        raise click.BadParameter(
            "use letters, digits, '-' and '_' only (it becomes part of file names)",
            param_hint="--patient",
        )
    return [patient_id]


def resolve_seed(seed: int | None, recorded_in: str) -> int:
    """The seed given, or a fresh one, announced on stderr and recorded in ``recorded_in``."""
    if seed is not None:
        return seed
    import secrets

    seed = secrets.randbelow(2**31)
    click.echo(f"No --seed given: drew seed {seed} (recorded in {recorded_in}).", err=True)
    return seed


class BadValueExitsOne(click.Command):
    """A command whose invalid option values are input errors (exit 1), not usage errors.

    For commands whose options are the user's data (``nof1 power``: a negative sd, phi
    outside (-1, 1), zero simulations), as their issue asks. A missing option or an unknown
    one stays a usage error (exit 2).
    """

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.MissingParameter:
            raise
        except click.BadParameter as exc:
            raise click.ClickException(exc.format_message()) from None
