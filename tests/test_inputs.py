"""Every file nof1 reads is refused, not blocked on, when it is a FIFO or a device."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from nof1.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "ldn-nof1-multicycle"


def _fifo_fed_with(path: Path, content: bytes) -> threading.Thread:
    """A FIFO at ``path``; a reader that opens it gets ``content`` (so old code ends too)."""
    os.mkfifo(path)

    def feed():
        try:
            with open(path, "wb") as f:
                f.write(content)
        except OSError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    return writer


def _unblock(path: Path, writer: threading.Thread) -> None:
    if writer.is_alive():  # nobody opened it: let the writer go
        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
    writer.join(5)


def _key(tmp_path):
    result = CliRunner().invoke(
        main,
        ["schedule", "ldn-nof1-multicycle", "--patient", "P01", "--start", "2026-01-05"]
        + ["--seed", "1", "--out", str(tmp_path / "schedule")],
    )
    assert result.exit_code == 0, result.output
    return tmp_path / "schedule" / "P01-unblinding-key.json"


@pytest.mark.parametrize("what", ["allocation", "key", "from-key", "protocol", "results"])
def test_a_named_pipe_in_place_of_an_input_file_is_refused(tmp_path, what):
    fifo = tmp_path / "input"
    out = tmp_path / "out"
    diary = str(SAMPLE / "P01-diary.csv")
    if what == "allocation":
        content = (SAMPLE / "P01-allocation-blinded.csv").read_bytes()
        args = ["analyze", diary, "--protocol", "ldn-nof1-multicycle", "--allocation", fifo]
    elif what == "key":
        content = (SAMPLE / "P01-unblinding-key.json").read_bytes()
        fifo = fifo.with_suffix(".json")
        args = ["analyze", diary, "--protocol", "ldn-nof1-multicycle", "--allocation", fifo]
    elif what == "from-key":
        content = _key(tmp_path).read_bytes()
        args = ["schedule", "ldn-nof1-multicycle", "--from-key", fifo]
    elif what == "protocol":
        content = (ROOT / "protocols" / "ldn-nof1-multicycle.yaml").read_bytes()
        fifo = fifo.with_suffix(".yaml")
        args = ["protocols", "validate", fifo]
    else:
        folder = tmp_path / "results"
        folder.mkdir()
        fifo = folder / "results.json"
        content = b"{}"
        args = ["report", folder]
    writer = _fifo_fed_with(fifo, content)
    if what != "protocol":
        args += ["--out", out / "report.html" if what == "results" else out]
    result = CliRunner().invoke(main, [str(a) for a in args])
    _unblock(fifo, writer)
    assert result.exit_code == 1, result.output
    refused = (
        "is not a file" if what == "protocol" else "is not a regular file (it is a named pipe)"
    )
    assert refused in result.output
    assert "Traceback" not in result.output
    assert not out.exists() or not any(p for p in out.iterdir() if not p.name.startswith("."))
