"""``nof1 power``: how many cycles of how many weeks a design needs, by simulation."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nof1.cli._common import (
    BadValueExitsOne,
    claim_out,
    force_option,
    out_option,
    protocol_word,
    recorded_command,
    scenario_options,
)
from nof1.cli.simulate import answer_options

__all__ = ["power"]


def _number_list(kind, low: float | None = None, low_open: bool = False):
    """A click callback parsing ``X[,Y...]`` into a list, each value checked against ``low``."""

    def parse(ctx, param, text):
        if text is None:
            return None
        values = []
        for part in text.split(","):
            try:
                value = kind(part.strip())
            except ValueError:
                raise click.BadParameter(
                    f"expected comma-separated {'whole ' if kind is int else ''}numbers "
                    f"(e.g. {'2,3,4' if kind is int else '0,-5,-10'}), got {part.strip()!r}",
                    ctx,
                    param,
                ) from None
            if value != value or value in (float("inf"), float("-inf")):
                raise click.BadParameter(f"{part.strip()!r} is not a finite number", ctx, param)
            if low is not None and (value <= low if low_open else value < low):
                bound = f"{'above' if low_open else 'at least'} {low:g}"
                raise click.BadParameter(f"each value must be {bound}, got {value:g}", ctx, param)
            if value not in values:
                values.append(value)
        return values

    return parse


@click.command(cls=BadValueExitsOne)
@click.argument("protocol", metavar="PROTOCOL")
@click.option(
    "--effect",
    "effects",
    required=True,
    callback=_number_list(float),
    metavar="X[,Y...]",
    help="True effects to simulate: active minus placebo on the primary outcome, in its "
    "units (-10: pain 10 points lower). Include 0 to see the type I error.",
)
@scenario_options(sd=12.0, phi=0.5)
@click.option(
    "--patients",
    default=1,
    show_default=True,
    type=click.IntRange(1, 1000),
    metavar="N",
    help="Patients per series; with N > 1 also the power of a random-effects "
    "meta-analysis (REML, Knapp-Hartung) of their effects by the primary method.",
)
@click.option(
    "--effect-sd",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    metavar="S",
    help="With --patients N: between-patient sd of the true effect (each simulated patient "
    "draws their own, as nof1 simulate does). 0 gives every patient the same effect, which "
    "overstates the pooled power.",
)
@click.option(
    "--sims",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 1_000_000),
    metavar="M",
    help="Simulated trials (series) per design and effect.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    metavar="K",
    help="Random seed; the same inputs give the same numbers. Without it one is drawn "
    "and recorded in power.json.",
)
@click.option(
    "--cycles",
    callback=_number_list(int, low=1),
    metavar="C[,C...]",
    help="Numbers of cycles to compare (default: the protocol's).",
)
@click.option(
    "--period-days",
    callback=_number_list(int, low=1),
    metavar="D[,D...]",
    help="Lengths of the treatment periods to compare (active = placebo days).",
)
@click.option(
    "--analytic-washout-days",
    callback=_number_list(int, low=0),
    metavar="W[,W...]",
    help="Days left out at the start of each period, to compare.",
)
@answer_options
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    metavar="N",
    help="Worker processes for the simulations (default 1; the results are the same whatever N).",
)
@click.option(
    "--dask",
    "dask",
    metavar="ADDRESS",
    help="Run the simulations on a Dask cluster: a scheduler's address (tcp://host:8786) or "
    "local[:N] for N worker processes here. Needs pip install 'nof1[dask]'. Same results.",
)
@click.option(
    "--dask-scheduler-file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Connect to the Dask scheduler described in FILE (dask-jobqueue, HPC setups).",
)
@out_option("power.json and power.html")
@force_option
def power(
    protocol,
    effects,
    patients,
    effect_sd,
    sims,
    seed,
    cycles,
    period_days,
    analytic_washout_days,
    out_dir,
    force,
    workers,
    dask,
    dask_scheduler_file,
    **assumptions,
):
    """Power of a design by simulation: can it show the effect you hope for?

    Simulates SIMS trials of PROTOCOL (and of each design in the grid given by --cycles,
    --period-days and --analytic-washout-days) for each --effect, on the protocol's own
    timeline, and runs the pre-specified methods on every one: gls_ar1, paired_periods,
    randomization, bayes_ar1 (benefit when P(benefit) > 0.975), nap, and welch_t for
    contrast. Reports each method's rejection rate (power; type I error when the effect is
    0) with its Monte Carlo error, bias and interval coverage, and recommends the shortest
    design with 80% power for the primary method.

    The protocol's answer items are simulated as by `nof1 simulate` (the same options and
    defaults, from random streams of their own, so the outcome results do not depend on
    them) and analysed as a patient's report analyses them: per adverse event the power of
    the harms test (its type I error when the rates are equal), per design; the periods
    the per-protocol analysis leaves out and its power; and how often the blinding check
    would call the guesses better than chance.

    \b
    Writes:
      DIR/power.json   inputs, designs, one result per design, effect and method,
                       harms, adherence, blinding, the recommendation
                       (contract nof1.power/2)
      DIR/power.html   power curves, the table and the recommendation (offline)

    \b
    Example:
      nof1 power ldn-nof1-multicycle --effect 0,-5,-10 --cycles 2,3,4 \\
          --sd 12 --phi 0.5 --sims 2000 --seed 1 --out plan/
    """
    import json
    import secrets

    from nof1.parallel import cluster_for
    from nof1.power import Scenario, chunks_per_point, design_grid, power_analysis
    from nof1.protocol import read_protocol
    from nof1.report.power import power_html

    if effect_sd > 0 and patients < 2:  # before anything is claimed or written
        raise click.ClickException(
            f"--effect-sd {effect_sd:g}: the between-patient sd of the true effect needs "
            f"--patients 2 or more (got --patients {patients})"
        )
    from nof1.cli.simulate import answer_settings

    pf = read_protocol(protocol)
    try:
        answers = answer_settings(pf.protocol, assumptions)
    except click.BadParameter as exc:  # the user's values: exit 1 (BadValueExitsOne)
        raise click.ClickException(exc.format_message()) from None
    cluster = cluster_for(workers, dask, dask_scheduler_file)
    out = claim_out(out_dir, force, "power")
    points = design_grid(pf.protocol, cycles, period_days, analytic_washout_days)
    scenario = Scenario(**assumptions)
    if seed is None:
        seed = secrets.randbelow(2**31)
        click.echo(f"No --seed given: drew seed {seed} (recorded in power.json).", err=True)
    run = dict(
        designs=points,
        patients=patients,
        sims=sims,
        seed=seed,
        workers=workers,
        effect_sd=effect_sd,
        answers=answers,
    )
    with cluster as client:
        if sys.stderr.isatty():
            total = len(points) * len(effects) * chunks_per_point(sims, patients)
            with click.progressbar(length=total, label="Simulating", file=sys.stderr) as bar:
                data = power_analysis(
                    pf, effects, scenario, **run, client=client, progress=bar.update
                )
        else:
            data = power_analysis(pf, effects, scenario, **run, client=client)
    grid = {
        "cycles": cycles,
        "period_days": period_days,
        "analytic_washout_days": analytic_washout_days,
    }
    data["software"]["command"] = _command(
        protocol,
        effects,
        assumptions,
        patients,
        sims,
        grid,
        seed,
        out_dir,
        effect_sd,
        _answer_words(data["inputs"]),
    )
    files = {
        "power.json": json.dumps(data, indent=2, ensure_ascii=False) + "\n",
        "power.html": power_html(data, pf.protocol),
    }
    written = out.write(files, {"--protocol": pf.path})
    click.echo(data["recommendation"], err=True)
    for path in written:
        click.echo(str(path))


def _command(
    protocol, effects, assumptions, patients, sims, grid, seed, out_dir, effect_sd=0.0, more=()
) -> str:
    """The command line that reproduces the run, every option spelled out."""
    args = [
        "nof1",
        "power",
        protocol_word(protocol),
        "--effect",
        ",".join(f"{e:g}" for e in effects),
    ]
    for name, value in assumptions.items():
        args += [f"--{name.replace('_', '-')}", f"{value:g}"]
    args += ["--patients", str(patients)]
    if effect_sd:
        args += ["--effect-sd", f"{effect_sd:g}"]
    args += ["--sims", str(sims)]
    for name, values in grid.items():
        if values:
            args += [f"--{name.replace('_', '-')}", ",".join(str(v) for v in values)]
    args += more
    return recorded_command([*args, "--seed", str(seed), "--out", Path(out_dir)], out_dir)


def _answer_words(inputs: dict) -> list[str]:
    """The answer-item options of the run (those of the protocol's items), spelled out."""
    args = []
    for name, (placebo, active) in (inputs.get("event_rates") or {}).items():
        args += ["--event-rate", f"{name}={placebo:g}:{active:g}"]
    for key in ("event_persistence", "missed_dose_rate", "guess_right", "guess_unsure"):
        if key in inputs:
            args += [f"--{key.replace('_', '-')}", f"{inputs[key]:g}"]
    return args
