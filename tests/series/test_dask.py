"""The same files wherever the work runs: `--workers 1`, `--workers 2` and a Dask
LocalCluster (`--dask local:2`, and a client passed to the Python API), for a small series
and a small power grid; and the Dask options' bad input."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from click.testing import CliRunner

from nof1.cli import main

ROOT = Path(__file__).resolve().parents[2]
SERIES = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series"

distributed = pytest.importorskip(
    "distributed", reason="the Dask extra is not installed (pip install 'nof1[dask]')"
)


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of two worker processes (a few seconds to start), shared here."""
    from nof1.parallel import dask_client

    with dask_client("local:2") as c:
        yield c


def run(*args) -> object:
    return CliRunner().invoke(main, [*map(str, args)])


def same_tree(a: Path, b: Path) -> None:
    """Every file byte-identical (the staging folder and lock aside)."""
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(a, b, [str(f) for f in files], shallow=False)
    assert not mismatch and not errors


def test_a_series_gives_the_same_files_on_workers_and_on_dask(tmp_path):
    args = [SERIES / "series-diary.csv", "--protocol", "ldn-fibromyalgia-2013"]
    args += ["--allocations", SERIES / "series-unblinding-key.json"]
    outs = {}
    for name, where in {"one": ["--workers", "1"], "two": ["--workers", "2"],
                        "dask": ["--dask", "local:2"]}.items():  # fmt: skip
        (tmp_path / name).mkdir()
        result = run("series", *args, *where, "--out", tmp_path / name / "out")
        assert result.exit_code == 0, result.output
        outs[name] = tmp_path / name / "out"  # the same --out name: the same command line
    same_tree(outs["one"], outs["two"])
    same_tree(outs["one"], outs["dask"])
    # --resume on Dask: the workers check their chunks; a truncated file's chunk is redone.
    p07 = outs["dask"] / "patients" / "P07" / "results.json"
    p07.write_bytes(p07.read_bytes()[:-100])
    result = run("series", *args, "--dask", "local:2", "--resume", "--out", outs["dask"])
    assert result.exit_code == 0, result.output
    same_tree(outs["one"], outs["dask"])


def test_a_power_grid_gives_the_same_json_here_on_workers_and_on_a_client(client):
    import nof1

    kw = dict(effect=[0, -10], cycles=[2, 3], sims=40, seed=3)
    here = nof1.power("ldn-nof1-multicycle", **kw).to_dict()
    assert nof1.power("ldn-nof1-multicycle", **kw, workers=2).to_dict() == here
    assert nof1.power("ldn-nof1-multicycle", **kw, client=client).to_dict() == here


def test_a_series_from_python_on_a_client_is_the_same(client):
    import nof1

    args = (SERIES / "series-diary.csv", "ldn-fibromyalgia-2013")
    key = SERIES / "series-unblinding-key.json"
    here = nof1.series(*args, allocations=key)
    there = nof1.series(*args, allocations=key, client=client)
    assert there.to_dict() == here.to_dict()
    assert there.patients["P01"].to_dict() == here.patients["P01"].to_dict()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--dask", "nowhere"], "expected a scheduler address (tcp://host:8786) or local[:N]"),
        (["--dask", "local:0"], "expected local:N with N a whole number >= 1"),
        (["--dask-scheduler-file", "missing.json"], "no such scheduler file"),
        (["--dask", "local:2", "--workers", "2"], "give --workers or --dask, not both"),
        (["--dask", "tcp://127.0.0.1:1"], "cannot reach the Dask scheduler"),
    ],
)
def test_bad_dask_options_are_one_clear_message(tmp_path, extra, message):
    result = run("power", "ldn-nof1-multicycle", "--effect", "-10", "--sims", "10",
                 "--seed", "1", *extra, "--out", tmp_path / "out")  # fmt: skip
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out" / "power.json").exists()


def test_without_dask_the_option_says_how_to_install_it(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "distributed" else real(name, *a),
    )
    result = run("power", "ldn-nof1-multicycle", "--effect", "-10", "--sims", "10",
                 "--dask", "local:2", "--out", tmp_path / "out")  # fmt: skip
    assert result.exit_code == 1 and "pip install 'nof1[dask]'" in result.output
