"""NAP's interval under AR(1) errors: coverage of the null value 0.5, by simulation.

Run by hand (not a test; a few minutes on one core):

    .venv/bin/python validation/nap_coverage.py [--sims 2000] [--out docs/validation-nap.md]

Trials of ldn-nof1-multicycle (pairwise randomization, 28-day periods, analytic washout 7
days) with 2, 3 and 6 cycles, no effect, day-to-day sd 12 and AR(1) autocorrelation phi 0.3,
0.6 and 0.9 (and 0 as a check), with no missing days and with 30% of days missing at random.
With no effect the true NAP is 0.5, so coverage = share of intervals holding 0.5 and the type
I error is 1 - coverage. For each cell: the coverage of nof1's interval (``nap``) and of
Newcombe's independent-days interval (what nof1 reported before), each with its Monte Carlo
SE sqrt(c (1 - c) / sims), and the share of trials with no interval.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml

from nof1.analysis.nonoverlap import nap, newcombe_interval
from nof1.analysis.registry import Trials
from nof1.design.allocation import sample_allocations
from nof1.design.timeline import included_conditions
from nof1.power.trials import periods
from nof1.protocol import read_protocol
from nof1.protocol.model import Protocol
from nof1.simulate import simulate_outcomes

PHIS = (0.0, 0.3, 0.6, 0.9)
CYCLES = (2, 3, 6)
MISSING = (0.0, 0.3)


def protocol_with(cycles: int) -> Protocol:
    data = yaml.safe_load(read_protocol("ldn-nof1-multicycle").text)
    data["schedule"]["cycles"] = cycles
    return Protocol.model_validate(data)


def cell(p: Protocol, phi: float, missing: float, sims: int, rng) -> dict:
    allocations = sample_allocations(p, sims, rng)
    y = simulate_outcomes(
        p, allocations, 0.0, sd=12.0, phi=phi, missing=missing, outcomes=["pain"], rng=rng
    )["pain"]
    trials = Trials(
        y=y,
        day=np.arange(1, p.total_days + 1),
        arm=included_conditions(p, allocations),
        period=periods(p, allocations),
        better=np.full(sims, -1.0),
        mcid=np.full(sims, 10.0),
        alpha=0.05,
    )
    v = nap(trials).values
    has = np.isfinite(v["ci_low"])
    covered = (v["ci_low"] <= 0.5) & (0.5 <= v["ci_high"])
    use = (trials.arm >= 0) & np.isfinite(y)
    n_a, n_p = (use & (trials.arm == 1)).sum(1), (use & (trials.arm == 0)).sum(1)
    low, high = newcombe_interval(np.nan_to_num(v["estimate"], nan=0.5), n_p, n_a, 0.05)
    naive = (low <= 0.5) & (0.5 <= high)
    out = {"no_interval": 1 - has.mean()}
    for name, hit in (("nap", covered[has]), ("independent", naive)):
        c = float(hit.mean()) if hit.size else float("nan")
        out[name] = (c, float(np.sqrt(c * (1 - c) / max(hit.size, 1))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    lines = [
        f"| cycles | phi | missing | nap coverage (MC SE) | independent-days coverage "
        f"(MC SE) | no interval |",
        "|---|---|---|---|---|---|",
    ]
    start = time.perf_counter()
    for cycles in CYCLES:
        p = protocol_with(cycles)
        for missing in MISSING:
            for phi in PHIS:
                r = cell(p, phi, missing, args.sims, rng)
                (c, se), (ci, sei) = r["nap"], r["independent"]
                row = (
                    f"| {cycles} | {phi:g} | {missing:.0%} | {c:.3f} ({se:.3f}) | "
                    f"{ci:.3f} ({sei:.3f}) | {r['no_interval']:.1%} |"
                )
                lines.append(row)
                print(row, flush=True)
    table = "\n".join(lines)
    print(f"\n{args.sims} trials per cell, seed {args.seed}, {time.perf_counter() - start:.0f} s")
    if args.out:
        text = args.out.read_text() if args.out.exists() else ""
        begin, end = "<!-- nap-table -->", "<!-- /nap-table -->"
        block = f"{begin}\n{table}\n\n{args.sims} trials per cell, seed {args.seed}.\n{end}"
        if begin in text:
            text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
        else:
            text += "\n" + block + "\n"
        args.out.write_text(text)


if __name__ == "__main__":
    main()
