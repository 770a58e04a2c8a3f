"""`nof1 series` on a Dask LocalCluster at 10 000 patients (issue 14): wall time, the
parent's peak memory, and the files.

Run by hand (not a timed test; about 10 000 x 6 ms of CPU plus the simulation)::

    .venv/bin/python benchmarks/bench_dask_series.py [--patients 10000] [--dask local:2]

Simulates the patients (ldn-nof1-multicycle, 182 days, 5 outcomes) into a folder of
per-patient diaries, as `nof1 simulate --patients N` writes, then runs the command line
`nof1 series FOLDER --allocations FOLDER --dask ADDRESS --out OUT` in this process and
reports the parent's peak RSS (ru_maxrss; the workers are the cluster's processes). With
fewer patients it prints the per-patient growth, to extrapolate to 10 000.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

from nof1.cli import main
from nof1.design.blinding import patient_ids, schedule_files
from nof1.protocol import read_protocol
from nof1.simulate import simulate_diaries


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--dask", default="local:2")
    args = parser.parse_args()

    pf = read_protocol("ldn-nof1-multicycle")
    folder = Path(tempfile.mkdtemp(prefix="nof1-bench-dask-"))
    start = dt.date(2026, 1, 5)
    t = time.perf_counter()
    for first in range(0, args.patients, 500):  # in blocks: bounded memory here
        ids = patient_ids(args.patients)[first : first + 500]
        pairs = simulate_diaries(pf, ids, start, 2026 + first, effect=-10, effect_sd=6,
                                 sd=12, phi=0.5, missing=0.05)  # fmt: skip
        files = schedule_files(pf, [s for s, _ in pairs], start, 2026 + first)
        for s, diary in pairs:
            (folder / f"{s.patient_id}-diary.csv").write_text(diary.to_csv(index=False))
            name = f"{s.patient_id}-allocation-blinded.csv"
            (folder / name).write_text(files[name])
    print(f"simulated {args.patients} patients in {time.perf_counter() - t:.0f} s")
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    result = CliRunner().invoke(
        main,
        ["series", str(folder), "--protocol", "ldn-nof1-multicycle", "--allocations",
         str(folder), "--dask", args.dask, "--out", str(folder / "out")],
    )  # fmt: skip
    wall = time.perf_counter() - t
    assert result.exit_code == 0, result.output
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"nof1 series --dask {args.dask}: {wall:.0f} s wall for {args.patients} patients")
    print(f"parent peak RSS {rss:.0f} MB (before the run {rss0:.0f} MB): "
          f"{(rss - rss0) * 1024 / args.patients:.1f} kB per patient above the start")  # fmt: skip
    print(f"files in {folder / 'out'}")


if __name__ == "__main__":
    main_()
