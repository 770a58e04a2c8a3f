"""Per-patient methods: times against DESIGN.md section 10, and against the straightforward way.

Run by hand (not a timed test):  .venv/bin/python benchmarks/bench_methods.py

1. One patient, a year of daily data (365 days), 5 outcomes: `nof1 analyze` with every
   method and the report, wall clock (target: under 2 s).
2. 1 000 simulated multicycle patients through every method's kernel: one patient (row) at a
   time, and all 1 000 rows at once (as ``nof1 series`` and ``nof1 power`` run them).
3. In the same run, the same gls_ar1 fits by a dense n x n GLS loop (benchmarks/dense_gls.py),
   on a sample of trials, with the largest difference in the estimates.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dense_gls import fit_dense  # noqa: E402

from nof1.analysis.randomization import Reference  # noqa: E402
from nof1.analysis.registry import METHODS  # noqa: E402
from nof1.design.allocation import sample_allocations  # noqa: E402
from nof1.power.trials import simulated_trials  # noqa: E402
from nof1.protocol import read_protocol  # noqa: E402
from nof1.protocol.model import Protocol  # noqa: E402
from nof1.simulate import simulate_outcomes  # noqa: E402


def one_patient_year():
    """`nof1 analyze` on 365 days x 5 outcomes, as a user runs it: wall clock, report included."""
    pf = read_protocol("ldn-nof1-multicycle")
    data = yaml.safe_load(pf.text)
    data["id"] = "ldn-nof1-year"
    data["schedule"].update(cycles=6, follow_up_days=15)  # 14 + 6 x 56 + 15 = 365 days
    assert Protocol.model_validate(data).total_days == 365
    with tempfile.TemporaryDirectory() as tmp:
        protocol = Path(tmp) / "year.yaml"
        protocol.write_text(yaml.safe_dump(data, sort_keys=False))
        nof1 = [sys.executable, "-m", "nof1"]
        subprocess.run(
            [
                *nof1,
                "simulate",
                str(protocol),
                "--patient",
                "Y1",
                "--effect",
                "-10",
                "--sd",
                "12",
                "--phi",
                "0.5",
                "--missing",
                "0.05",
                "--seed",
                "1",
                "--out",
                f"{tmp}/sim",
            ],
            check=True,
            capture_output=True,
        )
        start = time.perf_counter()
        subprocess.run(
            [
                *nof1,
                "analyze",
                f"{tmp}/sim/Y1-diary.csv",
                "--protocol",
                str(protocol),
                "--allocation",
                f"{tmp}/sim/Y1-unblinding-key.json",
                "--out",
                f"{tmp}/out",
            ],
            check=True,
            capture_output=True,
        )
        elapsed = time.perf_counter() - start
        size = (Path(tmp) / "out" / "report.html").stat().st_size / 1e6
    print(
        f"nof1 analyze, 1 patient x 365 days x 5 outcomes, every method + report "
        f"({size:.1f} MB): {elapsed:.2f} s wall (target < 2 s)"
    )


def many_patients(m=1000, dense_sample=50):
    pf = read_protocol("ldn-nof1-multicycle")
    p = pf.protocol
    rng = np.random.default_rng(2)
    allocations = sample_allocations(p, m, rng)
    pain = simulate_outcomes(
        p, allocations, effect=-10, sd=12, phi=0.5, missing=0.05, outcomes=["pain"], rng=rng
    )["pain"]
    # As a patient's analysis: the full reference set, the fine grid and density curves.
    trials = replace(
        simulated_trials(p, allocations, pain, rng),
        reference=Reference.build(p, allocations),
        n_grid=200,
        density=True,
    )
    conditions, day = trials.arm, trials.day

    def row(i):
        picked = {k: getattr(trials, k)[i : i + 1] for k in ("y", "arm", "period", "better")}
        ref = trials.reference
        reference = replace(
            ref,
            allocation=ref.allocation[i : i + 1],
            sign=ref.sign[i : i + 1],
            reason=ref.reason[i : i + 1],
        )
        return replace(trials, **picked, mcid=trials.mcid[i : i + 1], reference=reference)

    one_at_a_time = dict.fromkeys(METHODS, 0.0)
    estimates = np.empty(m)
    for i in range(m):
        single = row(i)
        for key, method in METHODS.items():
            t0 = time.perf_counter()
            est = method.run(single)
            one_at_a_time[key] += time.perf_counter() - t0
            if key == "gls_ar1":
                estimates[i] = est.values["estimate"][0]
    together = {}
    for key, method in METHODS.items():
        fresh = replace(trials)  # no shared AR(1) statistics: each kernel pays for its own
        t0 = time.perf_counter()
        method.run(fresh)
        together[key] = time.perf_counter() - t0
    print(
        f"\n{m} multicycle patients (182 days, pain), every kernel: "
        f"{sum(one_at_a_time.values()):.1f} s one patient at a time, "
        f"{sum(together.values()):.1f} s with all {m} rows at once"
    )
    for key in METHODS:
        per = one_at_a_time[key] / m * 1e3
        print(f"  {key:<15} {per:6.2f} ms per patient alone   {together[key]:6.2f} s for {m} rows")

    # The straightforward way: dense n x n GLS, on a sample of the same trials.
    t0 = time.perf_counter()
    worst = 0.0
    for i in range(dense_sample):
        keep = (conditions[i] >= 0) & np.isfinite(pain[i])
        est, _, _ = fit_dense(pain[i, keep], day[keep], conditions[i, keep] == 1)
        worst = max(worst, abs(est - estimates[i]))
    dense = (time.perf_counter() - t0) / dense_sample
    ours = one_at_a_time["gls_ar1"] / m
    print(
        f"\ngls_ar1: {ours * 1e3:.2f} ms per fit (O(n) whitening) vs {dense * 1e3:.1f} ms per "
        f"fit with a dense n x n matrix ({dense / ours:.0f}x); largest difference in the "
        f"estimate over {dense_sample} trials: {worst:.2e}"
    )


if __name__ == "__main__":
    one_patient_year()
    many_patients()
