"""Power simulation: 10 000 trials of ldn-nof1-multicycle against DESIGN.md section 10.

Run by hand (not a timed test):  .venv/bin/python benchmarks/bench_power.py [--trials N]

1. 10 000 simulated trials through the kernels of gls_ar1, paired_periods, randomization and
   bayes_ar1, a row per trial (target: under 10 s on 2 cores), stage by stage.
2. The whole engine (every method in power, summaries, recommendation) on the same number.
3. In the same run, the straightforward single-series functions (tests/oracles: gls_ar1,
   bayes_ar1) on a sample of 200 of these trials: time per trial extrapolated to all trials,
   and the largest difference between the kernels' and the per-trial numbers.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from oracles.ar1 import gls_ar1  # noqa: E402
from oracles.bayes import bayes_ar1  # noqa: E402

from nof1.analysis.registry import method  # noqa: E402
from nof1.design.allocation import sample_allocations  # noqa: E402
from nof1.power import Scenario, power_analysis  # noqa: E402
from nof1.power.trials import simulated_trials  # noqa: E402
from nof1.protocol import read_protocol  # noqa: E402
from nof1.simulate import simulate_outcomes  # noqa: E402

SAMPLE = 200


class Clock:
    def __init__(self):
        self.times: dict[str, float] = {}

    def __call__(self, name, fn, *args, **kwargs):
        start = time.perf_counter()
        value = fn(*args, **kwargs)
        self.times[name] = time.perf_counter() - start
        return value


def main(trials: int) -> None:
    pf = read_protocol("ldn-nof1-multicycle")
    p = pf.protocol
    rng = np.random.default_rng(2026)
    clock = Clock()
    start = time.perf_counter()

    def simulate():
        alloc = sample_allocations(p, trials, rng)
        y = simulate_outcomes(p, alloc, -10, 12, 0.5, missing=0.05, outcomes=["pain"], rng=rng)[
            "pain"
        ]
        return alloc, y

    alloc, y = clock("simulate", simulate)
    rows = clock("Trials (a row per trial)", simulated_trials, p, alloc, y, rng, truth=-10.0)
    fit = clock("gls_ar1 (sufficient statistics, REML)", method("gls_ar1").run, rows)
    post = clock("bayes_ar1 (n_grid 80)", method("bayes_ar1").run, rows)
    clock("paired_periods", method("paired_periods").run, rows)
    clock("randomization (8 allocations)", method("randomization").run, rows)
    total = time.perf_counter() - start

    print(f"{trials} trials of {p.id} ({p.total_days} days, 2 cores)")
    for name, seconds in clock.times.items():
        print(f"  {name:<36} {seconds:6.2f} s")
    verdict = "OK" if total < 10 else "OVER TARGET"
    print(f"  {'total (target < 10 s)':<36} {total:6.2f} s  {verdict}")

    start = time.perf_counter()
    power_analysis(pf, [-10], Scenario(sd=12, phi=0.5, missing=0.05), sims=trials, seed=1)
    print(f"  {'whole engine, all 6 methods':<36} {time.perf_counter() - start:6.2f} s")

    # Per-trial functions on a sample, against the kernels' numbers for the same trials.
    sample = np.random.default_rng(0).choice(trials, SAMPLE, replace=False)
    part = replace(rows, **{k: getattr(rows, k)[sample] for k in ("y", "arm", "period")})
    part = replace(part, better=rows.better[sample], mcid=rows.mcid[sample], n_grid=200)
    post200 = method("bayes_ar1").run(part).values
    gls_diff = {"estimate": 0.0, "se": 0.0, "p_value": 0.0, "phi": 0.0}
    bayes_diff = {"mean (n_grid 200)": 0.0, "P(benefit) (n_grid 200)": 0.0, "P(benefit) (80)": 0.0}
    t_gls = t_bayes = 0.0
    for j, i in enumerate(sample):
        use = (rows.arm[i] >= 0) & ~np.isnan(y[i])
        args = (y[i, use], rows.day[use], rows.arm[i, use] == 1)
        start = time.perf_counter()
        one = gls_ar1(*args)
        t_gls += time.perf_counter() - start
        start = time.perf_counter()
        b = bayes_ar1(*args, better="lower", mcid=10)
        t_bayes += time.perf_counter() - start
        for key in ("estimate", "se", "p_value"):
            gls_diff[key] = max(gls_diff[key], abs(fit.values[key][i] - getattr(one, key)))
        gls_diff["phi"] = max(gls_diff["phi"], abs(fit.values["phi"][i] - one.extra["phi"]))
        diffs = (
            abs(post200["estimate"][j] - b.estimate),
            abs(post200["p_benefit"][j] - b.extra["p_benefit"]),
            abs(post.values["p_benefit"][i] - b.extra["p_benefit"]),
        )
        for key, d in zip(bayes_diff, diffs, strict=True):
            bayes_diff[key] = max(bayes_diff[key], d)
    print(f"\nSingle-series functions on {SAMPLE} of the trials, extrapolated to {trials}:")
    for name, seconds in (("gls_ar1", t_gls), ("bayes_ar1 (n_grid 200)", t_bayes)):
        per = seconds / SAMPLE
        print(f"  {name:<24} {per * 1e3:6.2f} ms/trial -> {per * trials:7.1f} s")
    batched = clock.times["gls_ar1 (sufficient statistics, REML)"]
    print(f"  speed-up of the gls_ar1 kernel: {t_gls / SAMPLE * trials / batched:.0f}x")
    print("Largest absolute difference, kernel vs single-series:")
    for name, d in {**gls_diff, **bayes_diff}.items():
        print(f"  {name:<26} {d:.2e}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    main(parser.parse_args().trials)
