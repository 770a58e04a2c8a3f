"""The marginal CPU of a patient in `nof1 series` (issue 14: a third of what it was), measured
as the slope between a small and a large series, optionally against another checkout.

Run by hand (not a timed test)::

    .venv/bin/python benchmarks/bench_marginal.py [--protocol ldn-fibromyalgia-2013]
        [--small 100] [--large 400] [--repeats 2] [--against /tmp/before]

``--against DIR`` is another checkout of nof1 (e.g. ``git worktree add /tmp/before
889f835``, the commit before issue 14's work) run on the same series, interleaved with this
one, so that the machine's speed (which drifts by 20% here) cancels out of the ratio.

Each run is the whole command a user types, ``python -m nof1 series TABLE --protocol P
--allocations BLINDED --workers 1 --out DIR``, in a fresh process: reading, every patient's
analyses and files, pooling, series.json and series.html. Its CPU (user + system, from the
child's rusage) at two sizes gives the marginal cost of a patient as the slope, free of the
fixed cost (imports, pooling's set-up). Each run writes a new output folder, all removed at
the end: on this machine's file system (ext4 mounted with ``discard``) creating files right
after removing hundreds of others costs the creating process up to 3 ms of CPU per patient
(the previous run's deletions are paid then), ten times the cost of writing a patient's
files otherwise; removing the last run's output before each run made the ratio mostly noise.
The series are simulated by the older checkout's
``nof1 simulate`` (when given), so that both can read them; the newer one is run with
``--allow-protocol-change`` in case the shipped protocol file changed in between.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--protocol", default="ldn-fibromyalgia-2013")
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--against", type=Path, help="another checkout of nof1, for the ratio")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="nof1-bench-marginal-"))
    maker = args.against or HERE
    series = {
        n: _simulate(maker, args.protocol, n, folder / f"series-{n}")
        for n in (args.small, args.large)
    }
    checkouts = {"this checkout": HERE} | ({"--against": args.against} if args.against else {})
    cpu: dict[str, dict[int, list[float]]] = {name: {n: [] for n in series} for name in checkouts}
    runs = itertools.count()
    for _ in range(args.repeats):
        for n, where in series.items():
            for name, root in checkouts.items():  # interleaved: the machine's drift cancels
                extra = ["--allow-protocol-change"] if root == HERE and args.against else []
                out = folder / f"out-{next(runs)}"  # never a folder just removed: see below
                cpu[name][n].append(_series_cpu(root, args.protocol, where, out, extra))
    print(
        f"{args.protocol}: nof1 series --workers 1 on {args.small} and {args.large} patients, "
        f"{args.repeats} runs each (least CPU kept); {os.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.2f}"
    )
    slopes = {}
    for name, runs in cpu.items():
        small, large = min(runs[args.small]), min(runs[args.large])
        slopes[name] = (large - small) / (args.large - args.small) * 1000
        print(
            f"  {name:<14} {small:6.2f} s and {large:6.2f} s of CPU: "
            f"{slopes[name]:.1f} ms per patient ({root_of(checkouts[name])})"
        )
    if args.against:
        ratio = slopes["this checkout"] / slopes["--against"]
        print(f"  ratio: {ratio:.2f} (issue 14's target: at most 0.33)")
    shutil.rmtree(folder, ignore_errors=True)


def root_of(root: Path) -> str:
    head = subprocess.run(
        ["git", "-C", str(root), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    ).stdout.strip()
    return head[:60] or str(root)


def _simulate(root: Path, protocol: str, n: int, out: Path) -> Path:
    _nof1(root, ["simulate", protocol, "--patients", str(n), "--effect", "-10", "--sd", "12",
                 "--phi", "0.5", "--seed", "7", "--out", str(out)])  # fmt: skip
    return out


def _series_cpu(root: Path, protocol: str, where: Path, out: Path, extra: list) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _nof1(root, ["series", str(where / "series-diary.csv"), "--protocol", protocol,
                 "--allocations", str(where / "series-allocation-blinded.csv"),
                 "--workers", "1", "--out", str(out), *extra])  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _nof1(root: Path, arguments: list) -> None:
    env = os.environ | {"PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-m", "nof1", *arguments],
        cwd=tempfile.gettempdir(),  # not a checkout: PYTHONPATH decides which nof1 runs
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"nof1 {arguments[0]} failed in {root}:\n{done.stderr[-2000:]}")


if __name__ == "__main__":
    main()
