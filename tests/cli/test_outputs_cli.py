"""Every command's outputs as a user meets them: all or nothing, never through a link, never over
an input, one run at a time, a clean exit 1 naming the path on any OS error, --force replacing
the whole previous set, and no path as typed in the shareable files. Inputs are compared by
SHA-256 before and after."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from nof1.cli import main
from nof1.outputs import MANIFEST, _fs

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "ldn-nof1-multicycle"
DIARY = SAMPLE / "P01-diary.csv"
KEY = SAMPLE / "P01-unblinding-key.json"
SERIES = ROOT / "sample_data" / "ldn-fibromyalgia-2013-series"
NOF1 = [sys.executable, "-m", "nof1"]
# nof1 on a slow disk: each write takes 3 s more, so that a second run surely overlaps.
SLOW_NOF1 = [
    sys.executable,
    "-c",
    "import sys, time; from nof1 import outputs; write = outputs.OutputSet.write; "
    "outputs.OutputSet.write = lambda *a, **k: time.sleep(3) or write(*a, **k); "
    "from nof1.cli import main; sys.exit(main())",
]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")


def analyze(diary, out, *extra):
    return run("analyze", diary, "--protocol", "ldn-nof1-multicycle", "--allocation", KEY,
               "--out", out, *extra)  # fmt: skip


def sha(*paths) -> dict:
    return {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}


def tree(folder: Path) -> dict:
    """Every file under ``folder`` (hidden ones too) by SHA-256, links by target."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def assert_clean_error(result, *fragments):
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


@pytest.fixture
def inputs_unchanged():
    """The sample inputs, checked by SHA-256 after the test."""
    before = sha(DIARY, KEY)
    yield
    assert sha(DIARY, KEY) == before


pytestmark = pytest.mark.usefixtures("inputs_unchanged")


# --- links ---------------------------------------------------------------------------------


def test_a_link_planted_at_the_temporary_name_does_not_overwrite_its_target(tmp_path):
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("precious\n")
    for name in ("results.json", "aligned.csv", "report.html"):
        (out / f".{name}.partial").symlink_to(victim)
    result = analyze(DIARY, out)
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious\n"
    for name in ("results.json", "aligned.csv", "report.html"):
        assert (out / name).is_file() and not (out / name).is_symlink()


def test_a_link_planted_where_an_output_goes_is_replaced_never_written_through(tmp_path):
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("precious\n")
    (out / "report.html").symlink_to(victim)
    assert_clean_error(analyze(DIARY, out), "would overwrite 1 existing file(s)", "report.html")
    assert analyze(DIARY, out, "--force").exit_code == 0
    assert victim.read_text() == "precious\n" and not (out / "report.html").is_symlink()


# --- inputs --------------------------------------------------------------------------------


def test_force_never_replaces_the_diary_when_it_is_named_like_an_output(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    diary = out / "aligned.csv"
    shutil.copy(DIARY, diary)
    before = tree(out)
    result = analyze(diary, out, "--force")
    assert_clean_error(
        result, f"{diary}: is the diary of this run, where it would write its output aligned.csv"
    )
    assert tree(out) == before


def test_report_never_replaces_the_results_it_renders(tmp_path):
    out = tmp_path / "out"
    assert analyze(DIARY, out).exit_code == 0
    before = tree(out)
    result = run("report", out, "--out", out / "results.json", "--force")
    assert_clean_error(result, "is the results file of this run")
    assert tree(out) == before
    assert run("report", out, "--out", out / "report.html", "--force").exit_code == 0


def test_protocols_new_never_replaces_the_protocol_it_copies(tmp_path):
    mine = tmp_path / "mine.yaml"
    assert run("protocols", "new", mine, "--from", "ldn-nof1-multicycle").exit_code == 0
    before = sha(mine)
    result = run("protocols", "new", mine, "--from", mine, "--force")
    assert_clean_error(result, "is the --from protocol of this run")
    assert sha(mine) == before


# --- failures mid-write --------------------------------------------------------------------


def test_a_folder_where_the_report_goes_is_a_clean_error_and_nothing_is_written(tmp_path):
    out = tmp_path / "out"
    (out / "report.html").mkdir(parents=True)
    result = analyze(DIARY, out, "--force")
    assert_clean_error(result, f"{out / 'report.html'}: is a folder where nof1 writes a file")
    assert sorted(p.name for p in out.iterdir()) == ["report.html"]


def test_disk_full_keeps_the_previous_results_whole(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert analyze(DIARY, out).exit_code == 0
    before = tree(out)
    real = _fs.write_all

    def full(fd, data):
        if len(data) > 1_000_000:  # report.html: the disk fills up
            raise OSError(28, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(_fs, "write_all", full)
    result = analyze(DIARY, out, "--force", "--seed", "1")
    assert_clean_error(result, f"cannot write {out / 'report.html'}: No space left on device")
    assert tree(out) == before  # no new results.json beside the old report, no leftovers


def _limited(max_bytes: int):
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return limit


def test_a_file_size_limit_mid_write_leaves_nothing_half_written(tmp_path):
    """A real OS failure (RLIMIT_FSIZE: report.html is about 5 MB), in a real process."""
    out = tmp_path / "out"
    args = ["analyze", DIARY, "--protocol", "ldn-nof1-multicycle", "--allocation", KEY, "--out"]
    proc = subprocess.run(
        [*NOF1, *map(str, args), str(out)],
        capture_output=True,
        text=True,
        preexec_fn=_limited(1_000_000),
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("Error: cannot write") and "report.html" in proc.stderr
    assert "File too large" in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []  # not even the --out folder it created


@pytest.mark.parametrize(
    "where, message",
    [
        ("/proc", "cannot write to /proc"),
        ("/proc/nof1-test/out", "cannot create /proc/nof1-test"),
        ("FILE/out", "FILE/out: Not a directory"),
    ],
)
def test_an_unwritable_out_is_a_clean_error_naming_it(tmp_path, where, message):
    (tmp_path / "FILE").write_text("a file\n")
    out = where.replace("FILE", str(tmp_path / "FILE"))
    assert_clean_error(analyze(DIARY, out), message.replace("FILE", str(tmp_path / "FILE")))
    assert sorted(os.listdir(tmp_path)) == ["FILE"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_out_is_a_clean_error_naming_it(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o500)
    try:
        assert_clean_error(analyze(DIARY, out), f"cannot write to {out}: Permission denied")
    finally:
        out.chmod(0o700)


# --- one run at a time ---------------------------------------------------------------------


def test_a_run_into_a_folder_another_run_holds_fails_at_once(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running nof1 holds it
        started = time.monotonic()
        result = analyze(DIARY, out, "--force")
        assert time.monotonic() - started < 2  # before reading or analysing anything
    finally:
        os.close(fd)
    assert_clean_error(result, f"{out}: another nof1 run is writing there now")
    assert list(out.iterdir()) == []


def test_two_concurrent_forced_runs_end_in_one_success_and_one_clean_error(tmp_path):
    out, other = tmp_path / "out", tmp_path / "other-diary.csv"
    text = DIARY.read_text().splitlines(keepends=True)
    other.write_text("".join(text[:-30]))  # another diary: a month shorter
    common = ["--protocol", "ldn-nof1-multicycle", "--allocation", str(KEY), "--force"]

    def start(diary, nof1=NOF1):
        cmd = [*nof1, "analyze", str(diary), *common, "--out", str(out)]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    first = start(DIARY, SLOW_NOF1)
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".nof1-staging-") for p in out.glob(".*")):
        assert first.poll() is None and time.monotonic() < deadline  # wait for its claim
        time.sleep(0.01)
    second = start(other)
    (_, err_two), (_, err_one) = second.communicate(timeout=120), first.communicate(timeout=120)
    assert first.returncode == 0, err_one
    assert second.returncode == 1 and err_two.startswith("Error: ") and "Traceback" not in err_two
    assert "another nof1 run is writing there now" in err_two
    results = json.loads((out / "results.json").read_text())
    assert results["data"]["sha256"] == sha(DIARY)[DIARY]  # the whole set is the first run's
    assert (out / "aligned.csv").read_text().count("\n") == 1 + 182
    assert sorted(p.name for p in out.iterdir()) == [
        MANIFEST,
        "aligned.csv",
        "report.html",
        "results.json",
    ]


# --- --force replaces the whole previous set -----------------------------------------------


def _series_folder(tmp_path: Path, ids: list[str]) -> Path:
    folder = tmp_path / f"diaries-{len(ids)}"
    for pid in ids:
        shutil.copytree(SERIES / pid, folder / pid)
    return folder


def series(source, out, *extra):
    return run("series", source, "--protocol", "ldn-fibromyalgia-2013", "--allocations",
               SERIES / "series-allocation-blinded.csv", "--out", out, *extra)  # fmt: skip


def test_series_force_with_fewer_patients_leaves_no_stale_patient_folders(tmp_path):
    out = tmp_path / "out"
    assert series(_series_folder(tmp_path, ["P01", "P02", "P03", "P04"]), out).exit_code == 0
    (out / "notes.txt").write_text("mine\n")
    fewer = _series_folder(tmp_path, ["P01", "P02"])
    before = tree(fewer)
    result = series(fewer, out, "--force")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "patients").iterdir()) == ["P01", "P02"]
    patients = json.loads((out / "series.json").read_text())["patients"]
    assert [p["patient_id"] for p in patients if p["results"]] == ["P01", "P02"]
    assert all((out / p["results"]).is_file() for p in patients if p["results"])
    assert (out / "notes.txt").read_text() == "mine\n"  # not nof1's: kept
    assert tree(fewer) == before


def test_schedule_force_with_fewer_patients_leaves_no_stale_folders(tmp_path):
    base = ["schedule", "ldn-nof1-multicycle", "--start", "2026-01-05", "--seed", 7, "--out"]
    assert run(*base, tmp_path, "--patients", 3).exit_code == 0
    assert run(*base, tmp_path, "--patients", 2, "--force").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["P01", "P02"]


# --- the recorded command line -------------------------------------------------------------


def test_shareable_outputs_record_file_names_not_the_paths_typed(tmp_path):
    where = tmp_path / "home" / "dr-jones" / "patients" / "ann-smith"
    where.mkdir(parents=True)
    diary, key = where / "diary.csv", where / "key.json"
    shutil.copy(DIARY, diary)
    shutil.copy(KEY, key)
    out = where / "results"
    run("analyze", diary, "--protocol", "ldn-nof1-multicycle", "--allocation", key, "--out", out)
    command = json.loads((out / "results.json").read_text())["software"]["command"]
    assert command == (
        "nof1 analyze diary.csv --protocol ldn-nof1-multicycle --allocation key.json "
        "--seed 0 --out results"
    )
    for name in ("results.json", "report.html"):
        text = (out / name).read_text()
        assert str(tmp_path) not in text and "dr-jones" not in text and "ann-smith" not in text


def test_series_and_power_record_no_paths_as_typed(tmp_path):
    out = tmp_path / "secret-clinic" / "out"
    assert series(_series_folder(tmp_path, ["P01", "P02"]), out).exit_code == 0
    plan = tmp_path / "secret-clinic" / "plan"
    power = run("power", "ldn-nof1-multicycle", "--effect", "-10", "--sd", 12, "--phi", 0.5,
                "--sims", 20, "--seed", 1, "--out", plan)  # fmt: skip
    assert power.exit_code == 0, power.output
    for path in [
        out / "series.json",
        out / "series.html",
        out / "patients" / "P01" / "results.json",
        plan / "power.json",
        plan / "power.html",
    ]:
        text = path.read_text()
        assert "secret-clinic" not in text and str(tmp_path) not in text, path
    command = json.loads((out / "series.json").read_text())["software"]["command"]
    assert command.startswith("nof1 series diaries-2 --protocol ldn-fibromyalgia-2013 ")
    assert "--allocations series-allocation-blinded.csv" in command and "--out out" in command


def test_series_json_names_a_skipped_diary_by_its_file_name(tmp_path):
    folder = _series_folder(tmp_path / "secret-clinic", ["P01", "P02", "P03"])
    diary = folder / "P03" / "P03-diary.csv"
    diary.write_text(diary.read_text().replace(",61,", ",610,", 1))  # out of range
    out = tmp_path / "out"
    result = series(folder, out, "--skip-bad")
    assert result.exit_code == 0, result.output
    text = (out / "series.json").read_text()
    assert "P03-diary.csv" in text and "secret-clinic" not in text
