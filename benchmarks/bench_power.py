"""Power simulation: 10 000 trials of ldn-nof1-multicycle against DESIGN.md section 10.

Run by hand (not a timed test):  .venv/bin/python benchmarks/bench_power.py [--trials N]

1. 10 000 simulated trials through gls_ar1, paired_periods, randomization and bayes_ar1,
   vectorized (target: under 10 s on 2 cores), stage by stage.
2. The whole engine (all six methods, summaries, recommendation) on the same number.
3. In the same run, the per-trial functions (nof1.analysis.ar1.gls_ar1, bayes.bayes_ar1) on a
   sample of 200 of these trials: time per trial extrapolated to all trials, and the largest
   difference between the batched and the per-trial numbers.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nof1.analysis.ar1 import gls_ar1
from nof1.analysis.ar1_batch import Ar1Batch
from nof1.analysis.bayes import bayes_ar1
from nof1.analysis.bayes_batch import posterior_ar1_batch
from nof1.design.allocation import sample_allocations
from nof1.design.timeline import included_conditions
from nof1.power import Scenario, power_analysis
from nof1.power.methods import paired_periods_batch, period_slots, randomization_batch
from nof1.protocol import read_protocol
from nof1.simulate import simulate_outcomes

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
        return alloc, y, included_conditions(p, alloc)

    alloc, y, conditions = clock("simulate", simulate)
    keep = (conditions >= 0).any(axis=0)  # as the engine: only days some trial compares
    day = np.arange(1, p.total_days + 1)[keep]
    compared = np.where(conditions >= 0, y, np.nan)[:, keep]
    treat = (conditions == 1)[:, keep]
    batch = clock("AR(1) sufficient statistics", Ar1Batch, compared, day, treat)
    fit = clock("gls_ar1 (REML)", batch.fit)
    post = clock("bayes_ar1 posterior (n_grid 80)", posterior_ar1_batch, batch, 80)
    clock("bayes_ar1 P(benefit), coverage", lambda: (post.cdf(0.0), post.cdf(-10.0)))
    slots = clock("paired_periods: period slots", period_slots, p, alloc)
    clock("paired_periods", paired_periods_batch, y, slots, p.schedule.cycles, 0.05)
    clock("randomization (8 allocations)", randomization_batch, p, y, conditions, rng)
    total = time.perf_counter() - start

    print(f"{trials} trials of {p.id} ({p.total_days} days, 2 cores)")
    for name, seconds in clock.times.items():
        print(f"  {name:<36} {seconds:6.2f} s")
    verdict = "OK" if total < 10 else "OVER TARGET"
    print(f"  {'total (target < 10 s)':<36} {total:6.2f} s  {verdict}")

    start = time.perf_counter()
    power_analysis(pf, [-10], Scenario(sd=12, phi=0.5, missing=0.05), sims=trials, seed=1)
    print(f"  {'whole engine, all 6 methods':<36} {time.perf_counter() - start:6.2f} s")

    # Per-trial functions on a sample, against the batched numbers for the same trials.
    sample = np.random.default_rng(0).choice(trials, SAMPLE, replace=False)
    post200 = posterior_ar1_batch(Ar1Batch(compared[sample], day, treat[sample]))
    gls_diff = {"estimate": 0.0, "se": 0.0, "p_value": 0.0, "phi": 0.0}
    bayes_diff = {"mean (n_grid 200)": 0.0, "P(benefit) (n_grid 200)": 0.0, "P(benefit) (80)": 0.0}
    t_gls = t_bayes = 0.0
    for j, i in enumerate(sample):
        use = ~np.isnan(compared[i])
        args = (compared[i, use], day[use], treat[i, use])
        start = time.perf_counter()
        one = gls_ar1(*args)
        t_gls += time.perf_counter() - start
        start = time.perf_counter()
        b = bayes_ar1(*args, better="lower", mcid=10)
        t_bayes += time.perf_counter() - start
        for key in ("estimate", "se", "p_value"):
            gls_diff[key] = max(gls_diff[key], abs(getattr(fit, key)[i] - getattr(one, key)))
        gls_diff["phi"] = max(gls_diff["phi"], abs(fit.phi[i] - one.extra["phi"]))
        diffs = (
            abs(post200.mean[j] - b.estimate),
            abs(post200.cdf(0.0)[j] - b.extra["p_benefit"]),
            abs(post.cdf(0.0)[i] - b.extra["p_benefit"]),
        )
        for key, d in zip(bayes_diff, diffs, strict=True):
            bayes_diff[key] = max(bayes_diff[key], d)
    print(f"\nPer-trial functions on {SAMPLE} of the trials, extrapolated to {trials}:")
    for name, seconds in (("gls_ar1", t_gls), ("bayes_ar1 (n_grid 200)", t_bayes)):
        per = seconds / SAMPLE
        print(f"  {name:<24} {per * 1e3:6.2f} ms/trial -> {per * trials:7.1f} s")
    batched = clock.times["gls_ar1 (REML)"] + clock.times["AR(1) sufficient statistics"]
    print(f"  speed-up of batched gls_ar1: {t_gls / SAMPLE * trials / batched:.0f}x")
    print("Largest absolute difference, batched vs per-trial:")
    for name, d in {**gls_diff, **bayes_diff}.items():
        print(f"  {name:<26} {d:.2e}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    main(parser.parse_args().trials)
