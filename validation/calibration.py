"""Calibration of the per-patient primary analysis: type I error and 95% coverage by simulation.

Run by hand from the repository root (about 1.5 minutes of CPU with the defaults)::

    .venv/bin/python -m validation.calibration [--sims 8000] [--seeds 2027 2028] [--no-write]

For every cell of phi in {0.3, 0.6, 0.9} x {3, 6} cycles x {0%, 30%} missing days on the
ldn-nof1-multicycle protocol (28-day periods, 7-day analytic washout) with sd 12, it simulates
``sims`` trials with no effect and ``sims`` more with an effect of -10 points (its own random
numbers) with the project's machinery (:func:`nof1.design.allocation.sample_allocations`,
:func:`nof1.simulate.simulate_outcomes`, :func:`nof1.power.trials.simulated_trials`, as
``nof1 power`` does), runs gls_ar1 and gls_ar1_kr on them and reports, per method:

* the type I error: the share of null trials with p <= alpha, and its Monte Carlo SE
  ``sqrt(a (1 - a) / sims)``; the target is within 2 MC SE of alpha;
* the coverage: the share of effect -10 trials whose 95% interval holds -10 (target >= 0.94),
  with its Monte Carlo SE.

Every seed is an independent run of every cell. The table shows gls_ar1_kr's type I error per
seed (each judged against its own band, 2 MC SE of ``sims`` trials), both methods' type I
error and coverage over all the seeds' trials together, and whether gls_ar1_kr is on target
(its type I error over the seeds pooled within 2 MC SE of the pooled trials, coverage >= 0.94
in every seed). It writes the table between the
markers in docs/validation.md (``--no-write``: print only). ``--variants`` instead prints the
type I error of every variant of gls_ar1_kr (:data:`VARIANTS`) on the null trials of the
first seed (the same trials as the main table's) and writes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import numpy as np

from nof1.analysis import registry
from nof1.design.allocation import sample_allocations
from nof1.power.grid import design_grid
from nof1.power.trials import simulated_trials
from nof1.protocol import read_protocol
from nof1.simulate import simulate_outcomes

__all__ = ["CELLS", "METHODS", "simulate_cell", "table"]

PROTOCOL = "ldn-nof1-multicycle"
METHODS = ("gls_ar1", "gls_ar1_kr")
VARIANTS = ("satterthwaite", "first_order", "full_phi", "full_atanh")
SD = 12.0
EFFECT = -10.0
CELLS = [
    (phi, cycles, missing) for cycles in (3, 6) for missing in (0.0, 0.3) for phi in (0.3, 0.6, 0.9)
]
DOC = Path(__file__).resolve().parents[1] / "docs" / "validation.md"
BEGIN, END = "<!-- calibration table: begin -->", "<!-- calibration table: end -->"
_CHUNK = 2000


def simulate_cell(
    phi: float,
    cycles: int,
    missing: float,
    sims: int,
    seed: int,
    effect: float = 0.0,
    methods=METHODS,
) -> dict:
    """Per method: ``{"rate": share rejected, "covered": share of intervals holding the
    effect, "n": trials}`` over ``sims`` trials. A method ``gls_ar1_kr:VARIANT`` runs
    gls_ar1_kr with that variant (:data:`nof1.analysis.ar1_kr.VARIANT`)."""
    protocol = design_grid(read_protocol(PROTOCOL).protocol, cycles=[cycles])[0].protocol
    outcome = protocol.primary_outcome.name
    rng = np.random.default_rng([seed, cycles, round(100 * phi), round(100 * missing), effect != 0])
    reject = {k: [] for k in methods}
    covered = {k: [] for k in methods}
    for start in range(0, sims, _CHUNK):
        m = min(_CHUNK, sims - start)
        allocations = sample_allocations(protocol, m, rng)
        y = simulate_outcomes(
            protocol,
            allocations,
            effect,
            sd=SD,
            phi=phi,
            missing=missing,
            outcomes=[outcome],
            rng=rng,
        )[outcome]
        trials = simulated_trials(protocol, allocations, y, rng, truth=effect)
        for key in methods:
            v = _run(key, trials)
            with np.errstate(invalid="ignore"):
                reject[key].append(v["p_value"] <= protocol.analysis.alpha)
                covered[key].append((v["ci_low"] <= effect) & (effect <= v["ci_high"]))
    out = {}
    for key in methods:
        r, c = np.concatenate(reject[key]), np.concatenate(covered[key])
        out[key] = {"rate": float(r.mean()), "covered": float(c.mean()), "n": int(r.size)}
    return out


def _run(key: str, trials) -> dict:
    name, _, variant = key.partition(":")
    if variant:
        from nof1.analysis.ar1_kr import gls_ar1_kr

        return gls_ar1_kr(trials, variant).values
    return registry.method(name).run(trials).values


def variants_table(sims: int, seed: int, alpha: float = 0.05) -> str:
    """Type I error of every gls_ar1_kr variant on the same null trials of every cell."""
    keys = [f"gls_ar1_kr:{v}" for v in VARIANTS]
    head = ["phi", "cycles", "missing", *VARIANTS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for phi, cycles, missing in CELLS:
        out = simulate_cell(phi, cycles, missing, sims, seed, methods=keys)
        rates = [out[k]["rate"] for k in keys]
        cells = [f"{phi:g}", str(cycles), f"{missing:.0%}", *(f"{a:.4f}" for a in rates)]
        lines.append("| " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    return "\n".join(lines)


def _se(p: float, n: int) -> float:
    return float(np.sqrt(p * (1 - p) / n))


def table(results: list[tuple], sims: int, seeds, alpha: float = 0.05) -> str:
    """The markdown table: one line per cell; ``results`` holds (cell, nulls, alts) with one
    null and one alternative result per seed."""
    head = ["phi", "cycles", "missing"]
    head += [f"gls_ar1_kr type I, seed {seed}" for seed in seeds]
    total = sims * len(seeds)
    for key in METHODS:
        head += [f"{key} type I, all (MC SE)", f"{key} coverage, all (MC SE)"]
    head.append("gls_ar1_kr on target, seeds pooled")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    band, pooled = 2 * _se(alpha, sims), 2 * _se(alpha, total)
    for (phi, cycles, missing), nulls, alts in results:
        row = [f"{phi:g}", str(cycles), f"{missing:.0%}"]
        kr = [null["gls_ar1_kr"]["rate"] for null in nulls]
        row += [f"{a:.4f}" if abs(a - alpha) <= band else f"**{a:.4f}**" for a in kr]
        for key in METHODS:
            a = float(np.mean([null[key]["rate"] for null in nulls]))
            c = float(np.mean([alt[key]["covered"] for alt in alts]))
            row += [f"{a:.4f} ({_se(a, total):.4f})", f"{c:.4f} ({_se(c, total):.4f})"]
        covered = [alt["gls_ar1_kr"]["covered"] for alt in alts]
        ok = abs(np.mean(kr) - alpha) <= pooled and min(covered) >= 0.94
        row.append("yes" if ok else "**no**")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sims", type=int, default=8000, help="trials per cell, effect, seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[2027, 2028])
    parser.add_argument("--no-write", action="store_true", help="print; leave the docs alone")
    parser.add_argument(
        "--variants", action="store_true", help="type I error of every gls_ar1_kr variant"
    )
    args = parser.parse_args(argv)
    start = time.process_time()
    if args.variants:  # the first seed only; prints, writes nothing
        print(variants_table(args.sims, args.seeds[0]))
        print(f"{time.process_time() - start:.0f} s of CPU")
        return
    results = []
    for phi, cycles, missing in CELLS:
        nulls = [simulate_cell(phi, cycles, missing, args.sims, seed) for seed in args.seeds]
        alts = [
            simulate_cell(phi, cycles, missing, args.sims, seed, effect=EFFECT)
            for seed in args.seeds
        ]
        results.append(((phi, cycles, missing), nulls, alts))
        print(
            f"phi {phi} cycles {cycles} missing {missing:.0%}: gls_ar1_kr "
            + ", ".join(
                f"{n['gls_ar1_kr']['rate']:.4f}/{a['gls_ar1_kr']['covered']:.4f}"
                for n, a in zip(nulls, alts, strict=True)
            ),
            flush=True,
        )
    cpu = time.process_time() - start
    text = table(results, args.sims, args.seeds)
    band = 2 * _se(0.05, args.sims)
    total = args.sims * len(args.seeds)
    pooled = 2 * _se(0.05, total)
    command = (
        "python -m validation.calibration"
        + (f" --sims {args.sims}" if args.sims != 8000 else "")
        + (" --seeds " + " ".join(map(str, args.seeds)) if args.seeds != [2027, 2028] else "")
    )
    seeds = ", ".join(map(str, args.seeds))
    block = "\n".join(
        [
            BEGIN,
            f"Run {dt.date.today().isoformat()} with `{command}`: {args.sims} trials per cell, "
            f"effect and seed (seeds {seeds}), {cpu:.0f} s of CPU. Type I error: trials with no "
            f"effect, target within 2 MC SE of 0.05: per seed ({args.sims} trials) "
            f"{0.05 - band:.4f} to {0.05 + band:.4f} (bold: outside), seeds pooled "
            f"({total} trials) {0.05 - pooled:.4f} to {0.05 + pooled:.4f}. Coverage: trials "
            f"with an effect of {EFFECT:g} points whose 95% interval holds it, target at least "
            "0.94 (in every seed). The 'all' columns pool the seeds.",
            "",
            text,
            END,
        ]
    )
    print(block)
    if not args.no_write:
        doc = DOC.read_text(encoding="utf-8")
        before, _, rest = doc.partition(BEGIN)
        _, _, after = rest.partition(END)
        DOC.write_text(before + block + after, encoding="utf-8")
        print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
