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

__all__ = ["answer_options", "answer_settings", "simulate"]

#: The answer-item options and their defaults (see ``nof1.simulate.answers``).
ANSWER_DEFAULTS = {
    "event_persistence": 0.5,
    "missed_dose_rate": 0.05,
    "guess_right": 0.5,
    "guess_unsure": 0.2,
}


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


def _rate_pairs(ctx, param, values) -> dict[str, tuple[float, float]]:
    """Parse repeated ``--event-rate NAME=PLACEBO:ACTIVE`` into a dict."""
    pairs = {}
    for text in values:
        name, sep, rates = text.partition("=")
        placebo, colon, active = rates.partition(":")
        try:
            if not sep or not colon:
                raise ValueError
            pair = (float(placebo), float(active))
            if not all(0 <= r <= 1 for r in pair):
                raise ValueError
        except ValueError:
            raise click.BadParameter(
                f"expected NAME=PLACEBO:ACTIVE, two daily probabilities in [0, 1] "
                f"(e.g. vivid_dreams=0.05:0.20), got {text!r}",
                ctx,
                param,
            ) from None
        pairs[name.strip()] = pair
    return pairs


def answer_options(command):
    """The options of the simulated answer items (adverse events, adherence, guesses)."""
    probability = click.FloatRange(0, 1)
    options = [
        click.option(
            "--event-rate",
            "event_rates",
            multiple=True,
            callback=_rate_pairs,
            metavar="NAME=P:A",
            help="Daily probability of an adverse event on placebo (and off treatment) "
            "and on the active treatment, e.g. vivid_dreams=0.05:0.20 (repeatable). "
            "Defaults: LDN-like for vivid_dreams (0.05:0.20), insomnia (0.06:0.10), "
            "headache (0.08:0.08), nausea (0.03:0.03); 0.05:0.05 for other events.",
        ),
        click.option(
            "--event-persistence",
            default=ANSWER_DEFAULTS["event_persistence"],
            show_default=True,
            type=click.FloatRange(0, 1, max_open=True),
            metavar="R",
            help="Day-to-day persistence of every event: the lag-1 autocorrelation of its "
            "two-state Markov chain, in [0, 1) (0 = independent days).",
        ),
        click.option(
            "--missed-dose-rate",
            default=ANSWER_DEFAULTS["missed_dose_rate"],
            show_default=True,
            type=probability,
            metavar="M",
            help="Daily probability of a missed dose on a treatment day.",
        ),
        click.option(
            "--guess-right",
            default=ANSWER_DEFAULTS["guess_right"],
            show_default=True,
            type=probability,
            metavar="G",
            help="Probability that a guess at the treatment (asked on the last day of "
            "each period) is right, when it is not unsure (0.5 = chance).",
        ),
        click.option(
            "--guess-unsure",
            default=ANSWER_DEFAULTS["guess_unsure"],
            show_default=True,
            type=probability,
            metavar="U",
            help="Probability of answering unsure to the guess.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def answer_settings(p, params) -> dict:
    """The keyword arguments of ``simulate_answers`` from the options of :func:`answer_options`
    (popped from ``params``); a rate for an event ``p`` does not declare is a
    ``click.BadParameter`` naming ``--event-rate``."""
    from nof1.simulate.answers import event_rates

    rates = params.pop("event_rates")
    try:
        event_rates(p, rates)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--event-rate") from None
    return {
        "rates": rates,
        "persistence": params.pop("event_persistence"),
        "missed_dose_rate": params.pop("missed_dose_rate"),
        "guess_right": params.pop("guess_right"),
        "guess_unsure": params.pop("guess_unsure"),
    }


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
@answer_options
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
    values rounded and clipped to each outcome's range. The protocol's answer items
    come from a random stream of their own (they never change an outcome value):
    adverse events as a two-state Markov chain per event (daily rate by condition,
    day-to-day persistence), adherence as a daily chance of a missed dose on treatment
    days, and the guess at the treatment on the last day of each period.

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
    answers = answer_settings(pf.protocol, params)
    if from_key is None and start is None:
        start = dt.datetime(2026, 1, 5)
    drawn, start, seed, keyed = resolve_schedule(
        pf, from_key, patient_id, n_patients, start, seed, "SIMULATION.md"
    )
    warn_visible_differences(pf.protocol)
    out = claim_out(out_dir, force, "simulate")
    ids = [s.patient_id for s in drawn]
    pairs = simulate_diaries(pf, ids, start, seed, drawn[0].secret, answers, **params)
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
    command = _command_line(protocol, key_name, params, answers)
    files["SIMULATION.md"] = _simulation_md(pf, ids, start, seed, command, params, answers)
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


def _command_line(protocol, key_name, params, answers) -> str:
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
    for name, (placebo, active) in answers["rates"].items():
        args += ["--event-rate", f"{name}={_number(placebo)}:{_number(active)}"]
    for option, key in [
        ("--event-persistence", "persistence"),
        ("--missed-dose-rate", "missed_dose_rate"),
        ("--guess-right", "guess_right"),
        ("--guess-unsure", "guess_unsure"),
    ]:
        args += [option, _number(answers[key])]
    return recorded_command([*args, "--out", "NEW_FOLDER"], ".")


def _simulation_md(pf, ids, start, seed, command, params, answers) -> str:
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
        *_answer_lines(p, answers),
        "The schedule files (calendar, blinded allocation, unblinding key, diary template)",
        "are those `nof1 schedule` writes; the seed fixes the A/B pattern and the noise, the",
        "secret in the unblinding key which group is active and the kit codes.",
        "The model is described in the `nof1.simulate` module.",
        "",
    ]
    return "\n".join(lines)


def _answer_lines(p, answers) -> list[str]:
    """SIMULATION.md's table of the answer items, when the protocol has any."""
    from nof1.simulate.answers import event_rates

    if not p.answer_items:
        return []
    lines = ["| answer item | simulated as |", "|---|---|"]
    rho = _number(answers["persistence"])
    for name, (placebo, active) in event_rates(p, answers["rates"]).items():
        lines.append(
            f"| {name} | daily rate {_number(placebo)} on placebo and off treatment, "
            f"{_number(active)} on active; persistence {rho} |"
        )
    if p.adherence is not None:
        lines.append(
            f"| {p.adherence.name} | dose missed with probability "
            f"{_number(answers['missed_dose_rate'])} on a treatment day (empty off treatment) |"
        )
    if p.blinding_check is not None:
        lines.append(
            f"| {p.blinding_check.name} | last day of each period: unsure with probability "
            f"{_number(answers['guess_unsure'])}, else right with probability "
            f"{_number(answers['guess_right'])} |"
        )
    return [
        *lines,
        "",
        "They come from a random stream of their own (`nof1.simulate.answers`).",
        "",
    ]
