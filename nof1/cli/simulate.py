"""``nof1 simulate``: synthetic diaries, with the schedule files they were drawn on."""

from __future__ import annotations

import click

from nof1.cli._common import (
    claim_out,
    force_option,
    from_key_option,
    out_option,
    patient_options,
    protocol_word,
    recorded_command,
    resolve_schedule,
    scenario_options,
    seed_option,
    warn_visible_differences,
)

__all__ = ["simulate"]


def _baseline_pairs(ctx, param, values) -> dict[str, float]:
    """Parse repeated ``--baseline NAME=VALUE`` into a dict."""
    pairs = {}
    for text in values:
        name, sep, value = text.partition("=")
        try:
            if not sep:
                raise ValueError
            pairs[name.strip()] = float(value)
        except ValueError:
            raise click.BadParameter(
                f"expected NAME=VALUE (e.g. pain=65), got {text!r}", ctx, param
            ) from None
    return pairs


@click.command()
@click.argument("protocol", metavar="PROTOCOL")
@patient_options("A series of N patients with ids P01, P02, ...")
@click.option(
    "--effect",
    required=True,
    type=float,
    metavar="X",
    help="Active minus placebo on the primary outcome, in its units (-10: pain 10 lower).",
)
@scenario_options()
@click.option(
    "--effect-sd",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    metavar="S",
    help="Between-patient sd of the effect (each patient draws their own).",
)
@click.option(
    "--secondary-fraction",
    default=0.5,
    show_default=True,
    type=click.FloatRange(min=0),
    metavar="F",
    help="Share of the primary benefit each secondary outcome gets.",
)
@click.option(
    "--baseline",
    multiple=True,
    callback=_baseline_pairs,
    metavar="NAME=VALUE",
    help="Baseline level of an outcome (repeatable); default 60% towards the worse end.",
)
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Date of day 1  [default: 2026-01-05, or the key's with --from-key]",
)
@seed_option("SIMULATION.md and the unblinding key")
@from_key_option
@out_option("the files")
@force_option
def simulate(protocol, patient_id, n_patients, start, seed, from_key, out_dir, force, **params):
    """Write synthetic diaries for one patient (--patient) or a series (--patients).

    The diaries follow the protocol's own timeline under a randomized, blinded schedule:
    the schedule files are those `nof1 schedule` writes (the seed fixes the A/B pattern
    and the noise, a fresh secret which group is active and the kit codes). --from-key
    with the unblinding key written here, and the same parameters, re-creates every
    file byte for byte. The model: baseline level, treatment effect with
    exponential onset and offset (carryover), AR(1) noise, linear trend, missing days,
    values rounded and clipped to each outcome's range.

    \b
    Writes, next to the files of `nof1 schedule`:
      ID-diary.csv        the diary template, filled in (a folder per patient
                          for a series, plus series-diary.csv with everyone)
      SIMULATION.md       says the data are synthetic; command, seed, parameters
    """
    import datetime as dt
    from pathlib import Path

    from nof1.design.blinding import schedule_files
    from nof1.design.from_key import check_recreated
    from nof1.files.diary_csv import diary_csv
    from nof1.files.unblinding_key import SERIES_KEY
    from nof1.protocol import read_protocol
    from nof1.simulate import simulate_diaries

    pf = read_protocol(protocol)
    if from_key is None and start is None:
        start = dt.datetime(2026, 1, 5)
    drawn, start, seed, keyed = resolve_schedule(
        pf, from_key, patient_id, n_patients, start, seed, "SIMULATION.md"
    )
    warn_visible_differences(pf.protocol)
    out = claim_out(out_dir, force, "simulate")
    ids = [s.patient_id for s in drawn]
    pairs = simulate_diaries(pf, ids, start, seed, drawn[0].secret, **params)
    series = len(ids) > 1

    files = {}
    for s, diary in pairs:
        prefix = f"{s.patient_id}/{s.patient_id}" if series else s.patient_id
        files[f"{prefix}-diary.csv"] = diary_csv(diary)
    files |= schedule_files(pf, [s for s, _ in pairs], start, seed)
    if keyed is not None:
        check_recreated(keyed, files)
    if series:
        import pandas as pd

        files["series-diary.csv"] = diary_csv(pd.concat([d for _, d in pairs], ignore_index=True))
    key_name = SERIES_KEY if series else f"{ids[0]}-unblinding-key.json"
    command = _command_line(protocol, key_name, params)
    files["SIMULATION.md"] = _simulation_md(pf, ids, start, seed, command, params)
    written = out.write(files, {"--protocol": pf.path, "--from-key": from_key})

    if series:
        click.echo(
            f"Wrote synthetic diaries for {len(ids)} patients in {Path(out_dir) / 'ID'}/, plus:"
        )
        written = [p for p in written if p.parent == written[-1].parent]
    for path in written:
        click.echo(str(path))


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _command_line(protocol, key_name, params) -> str:
    """The command that re-creates these files from their key, every parameter spelled out.

    It names the key in this folder and a new folder, so that it is the same whichever
    way the files were made (from a seed or from the key) and wherever they were written.
    """
    args = ["nof1", "simulate", protocol_word(protocol), "--from-key", key_name]
    for name in ("effect", "sd", "phi", "trend", "onset_half_life", "offset_half_life"):
        args += [f"--{name.replace('_', '-')}", _number(params[name])]
    for name in ("missing", "effect_sd", "secondary_fraction"):
        args += [f"--{name.replace('_', '-')}", _number(params[name])]
    for name, value in params["baseline"].items():
        args += ["--baseline", f"{name}={_number(value)}"]
    return recorded_command([*args, "--out", "NEW_FOLDER"], ".")


def _simulation_md(pf, ids, start, seed, command, params) -> str:
    from nof1 import __version__
    from nof1.simulate import baseline_levels, outcome_effects

    p = pf.protocol
    levels = baseline_levels(p, params["baseline"])
    effects = outcome_effects(p, params["effect"], params["secondary_fraction"])
    who = ids[0] if len(ids) == 1 else f"{len(ids)} ({ids[0]} to {ids[-1]})"
    lines = [
        "# Synthetic data",
        "",
        "**These diaries are synthetic.** They were simulated by `nof1 simulate`; no",
        "patient reported them. Use them to try the software, never as evidence.",
        "",
        "To re-create every file here byte for byte, run this in this folder (with the",
        "same version of nof1; the unblinding key holds the seed and the secret):",
        "",
        f"    {command}",
        "",
        "| parameter | value |",
        "|---|---|",
        f"| protocol | {p.id} (sha256 {pf.sha256}) |",
        f"| patients | {who} |",
        f"| start date (day 1) | {start.isoformat()} |",
        f"| seed | {seed} |",
        f"| effect (active - placebo, {p.primary_outcome.name}) | {_number(params['effect'])} |",
        f"| between-patient sd of the effect | {_number(params['effect_sd'])} |",
        f"| noise sd (AR(1), marginal) | {_number(params['sd'])} |",
        f"| noise lag-1 autocorrelation phi | {_number(params['phi'])} |",
        f"| trend per day | {_number(params['trend'])} |",
        f"| onset half-life (days) | {_number(params['onset_half_life'])} |",
        f"| offset half-life (days) | {_number(params['offset_half_life'])} |",
        f"| probability a day is missing | {_number(params['missing'])} |",
        f"| secondary fraction of the effect | {_number(params['secondary_fraction'])} |",
        f"| software | nof1 {__version__} |",
        "",
        "| outcome | better | baseline | full effect (active - placebo) |",
        "|---|---|---|---|",
        *(
            f"| {o.name} | {o.better} | {levels[o.name]:g} | {effects[o.name]:g} |"
            for o in p.outcomes
        ),
        "",
        "The schedule files (calendar, blinded allocation, unblinding key, diary template)",
        "are those `nof1 schedule` writes; the seed fixes the A/B pattern and the noise, the",
        "secret in the unblinding key which group is active and the kit codes.",
        "The model is described in the `nof1.simulate` module.",
        "",
    ]
    return "\n".join(lines)
