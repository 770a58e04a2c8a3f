"""Options and checks that several commands share: output folder, command line, seeds..."""

from __future__ import annotations

import os

import click

__all__ = [
    "BadValueExitsOne",
    "echo_notes",
    "read_options",
    "allow_protocol_change_option",
    "claim_out",
    "force_option",
    "from_key_option",
    "out_option",
    "patient_options",
    "problems_option",
    "protocol_word",
    "recorded_command",
    "recorded_path",
    "resolve_patients",
    "resolve_schedule",
    "resolve_seed",
    "scenario_options",
    "seed_option",
    "warn_visible_differences",
]


def read_options(command):
    """``--map FILE`` and ``--date-format ORDER``: reading diaries not in nof1's template."""
    command = click.option(
        "--date-format",
        metavar="ORDER",
        help="The order of dates like 05/01/2026 when the data does not settle it: "
        "day-first, month-first, or a strptime pattern such as '%d/%m/%Y %H:%M'.",
    )(command)
    return click.option(
        "--map",
        "map_file",
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="A mapping file (YAML) saying which column is the patient, the date and each "
        "outcome, for files such as a Google or Microsoft Forms sheet (schema: "
        "nof1/schemas/map.schema.json; see docs/input-formats.md).",
    )(command)


def echo_notes(notes) -> None:
    """How a diary was read (REDCap, a map, the date order...), one line each on stderr."""
    for note in dict.fromkeys(notes):
        click.echo(f"Note: {note}.", err=True)


def patient_options(series_help: str):
    """``--patient ID`` or ``--patients N`` (exactly one; see :func:`resolve_patients`)."""

    def decorate(command):
        command = click.option(
            "--patients", "n_patients", type=click.IntRange(1, 9999), metavar="N", help=series_help
        )(command)
        return click.option(
            "--patient",
            "patient_id",
            metavar="ID",
            help="Patient id, for one patient: 1-64 ASCII letters, digits, '-' and '_', "
            "starting with a letter or digit.",
        )(command)

    return decorate


def scenario_options(sd: float | None = None, phi: float | None = None):
    """The simulated noise and time course, shared by ``simulate`` and ``power``.

    ``--sd`` and ``--phi`` are required unless defaults are given.
    """
    half_life = click.FloatRange(min=0)

    def default_or_required(value):
        # click takes an explicit default=None as a default and then does not enforce
        # required=True (a missing --sd reached float(None) as a traceback).
        if value is None:
            return {"required": True}
        return {"default": value, "show_default": True}

    options = [
        click.option(
            "--sd",
            **default_or_required(sd),
            type=click.FloatRange(min=0, min_open=True),
            metavar="S",
            help="Day-to-day noise sd on the primary outcome (> 0).",
        ),
        click.option(
            "--phi",
            **default_or_required(phi),
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


force_option = click.option(
    "--force",
    is_flag=True,
    help="Replace the output set of an earlier run of this command in DIR: its files that "
    "this run does not write are removed too (inputs, and files nof1 did not write, never).",
)


def claim_out(out_dir, force: bool, name: str | None = None):
    """Claim the output folder for the whole command: an :class:`~nof1.outputs.OutputSet`.

    Locked and staged now (a second run into the same folder, or an unwritable one, fails
    before any work), released when the command ends. ``name`` names the output set in
    the folder's manifest (None for a single file such as ``nof1 report --out FILE``).
    """
    from nof1.outputs import OutputSet

    return click.get_current_context().with_resource(OutputSet(out_dir, force=force, name=name))


def recorded_command(words, out_dir) -> str:
    """The command line recorded in shareable outputs, without any path as typed.

    Parameters
    ----------
    words : list of str or Path
        The command's words; those given as :class:`~pathlib.Path` are file paths: each is
        recorded relative to ``out_dir`` when it lies inside it, else as its file name only
        (``out_dir`` itself as its folder name). Absolute or relative paths as typed would
        carry user names, folder layouts and patient names into every report.

    Examples
    --------
    >>> from pathlib import Path
    >>> recorded_command(["nof1", "analyze", Path("/home/ann/smith/diary.csv"), "--out",
    ...                   Path("/home/ann/out")], "/home/ann/out")
    'nof1 analyze diary.csv --out out'
    """
    import shlex
    from pathlib import Path

    return shlex.join(recorded_path(w, out_dir) if isinstance(w, Path) else str(w) for w in words)


def recorded_path(path, out_dir) -> str:
    """A path as shareable outputs record it: relative to ``out_dir`` inside it, else its name.

    Examples
    --------
    >>> recorded_path("/data/ann/diary.csv", "/data/ann/out"), recorded_path("out/x", "out")
    ('diary.csv', 'x')
    """
    from pathlib import Path  # lazily: `nof1 --help` stays fast

    out = Path(os.path.abspath(out_dir))
    path = Path(os.path.abspath(path))
    if path == out:
        return out.name or "."
    if path.is_relative_to(out):
        return path.relative_to(out).as_posix()
    return path.name or "."


def protocol_word(protocol: str):
    """A PROTOCOL argument for :func:`recorded_command`: a path if it names a file, else an id."""
    from pathlib import Path

    return Path(protocol) if Path(protocol).is_file() else protocol


allow_protocol_change_option = click.option(
    "--allow-protocol-change",
    is_flag=True,
    help="Analyse even when the allocation was made from another version of the protocol "
    "(its protocol_sha256 differs); both hashes are recorded in the results and the report.",
)

from_key_option = click.option(
    "--from-key",
    "from_key",
    type=click.Path(dir_okay=False),
    metavar="KEY",
    help="Re-create the schedule an unblinding key records (ID-unblinding-key.json or "
    "series-unblinding-key.json), byte for byte: patients, start, seed and secret come "
    "from the key, so --patient, --patients, --start and --seed are not given.",
)


def resolve_schedule(pf, from_key, patient_id, n_patients, start, seed, recorded_in: str):
    """Draw the schedules: from the options, or again from ``--from-key``.

    Returns
    -------
    (schedules, start, seed, keyed)
        ``keyed`` is the :class:`~nof1.design.from_key.KeyedSchedule` with ``--from-key``
        (check the files with ``check_recreated``), else None.
    """
    if from_key is not None:
        given = [
            name
            for name, value in (
                ("--patient", patient_id),
                ("--patients", n_patients),
                ("--start", start),
                ("--seed", seed),
            )
            if value is not None
        ]
        if given:
            raise click.UsageError(f"--from-key takes these from the key: drop {', '.join(given)}")
        from nof1 import __version__
        from nof1.design.from_key import redraw_from_key

        keyed = redraw_from_key(pf, from_key)
        if keyed.version != __version__:
            click.echo(
                f"Warning: {from_key} was written by nof1 {keyed.version}, this is "
                f"{__version__}: the files may differ from the original ones.",
                err=True,
            )
        return keyed.schedules, keyed.start, keyed.seed, keyed
    from nof1.design.blinding import draw_schedules

    ids = resolve_patients(patient_id, n_patients)
    if start is None:
        raise click.UsageError("give --start YYYY-MM-DD (or --from-key KEY)")
    seed = resolve_seed(seed, recorded_in)
    start = start.date()
    return draw_schedules(pf, ids, start, seed), start, seed, None


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
    from nof1.ids import patient_id_problem

    problem = patient_id_problem(patient_id)
    if problem:
        raise click.BadParameter(
            f"{problem}; it becomes part of file names", param_hint="--patient"
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


def warn_visible_differences(protocol) -> None:
    """Print on stderr every way the protocol's treatments look different (see
    ``nof1.design.visibility``)."""
    from nof1.design.visibility import visible_differences

    for warning in visible_differences(protocol):
        click.echo(f"Warning: {warning}", err=True)


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
