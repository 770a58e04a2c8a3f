"""The synthetic-data generator (nof1.simulate) and ``nof1 simulate``."""

from __future__ import annotations

import datetime as dt
import shlex
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from nof1.cli import main
from nof1.design.allocation import sample_allocations
from nof1.errors import Nof1Error
from nof1.outputs import MANIFEST
from nof1.protocol import load_protocol, read_protocol
from nof1.simulate import simulate_diaries, simulate_outcomes, true_effect

MULTI = load_protocol("ldn-nof1-multicycle")  # baseline 14 d, 3 x (28 d + 28 d), 182 d
ACTIVE_FIRST = [True, False] * 3  # active periods on days 15-42, 71-98, 127-154


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="nof1")


PARAMS = ("--effect", -10, "--sd", 12, "--phi", 0.5, "--onset-half-life", 7,
          "--offset-half-life", 3, "--missing", 0.1)  # fmt: skip


def simulate_args(out, *extra, who=("--patient", "P01")):
    return ("simulate", "ldn-nof1-multicycle", *who, *PARAMS, "--seed", 7, "--out", out, *extra)


def lag1(e: np.ndarray) -> float:
    """Pooled lag-1 autocorrelation of zero-mean rows."""
    return float((e[:, 1:] * e[:, :-1]).sum() / (e**2).sum())


# --- the generator ------------------------------------------------------------------


def test_the_same_seed_gives_identical_arrays_and_another_seed_does_not():
    alloc = sample_allocations(MULTI, 50, np.random.default_rng(0))
    kw = dict(effect=-10, sd=12, phi=0.5, onset_half_life=7, missing=0.1)
    a = simulate_outcomes(MULTI, alloc, **kw, rng=3)
    b = simulate_outcomes(MULTI, alloc, **kw, rng=np.random.default_rng(3))
    c = simulate_outcomes(MULTI, alloc, **kw, rng=4)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    assert not np.array_equal(a["pain"], c["pain"], equal_nan=True)


def test_arrays_have_one_row_per_trial_and_one_column_per_day():
    y = simulate_outcomes(MULTI, np.ones((7, 6), bool) & [ACTIVE_FIRST], -10, 12, 0.5, rng=1)
    assert set(y) == {o.name for o in MULTI.outcomes}
    assert all(v.shape == (7, 182) for v in y.values())


def test_with_no_effect_active_and_placebo_days_agree_within_monte_carlo_error():
    m = 4000
    alloc = sample_allocations(MULTI, m, np.random.default_rng(1))
    pain = simulate_outcomes(MULTI, alloc, 0, 12, 0.5, onset_half_life=7, rng=2)["pain"]
    active = true_effect(MULTI, alloc, 1.0, onset_half_life=0) > 0
    treatment = np.zeros(182, bool)
    treatment[14:] = True
    diff = np.array(
        [y[a].mean() - y[~a & treatment].mean() for y, a in zip(pain, active, strict=True)]
    )
    assert abs(diff.mean()) < 4 * diff.std() / np.sqrt(m)
    # ... and the test has power: a one-point effect is seen.
    pain1 = simulate_outcomes(MULTI, alloc, -1, 12, 0.5, rng=2)["pain"]
    diff1 = np.array(
        [y[a].mean() - y[~a & treatment].mean() for y, a in zip(pain1, active, strict=True)]
    )
    assert diff1.mean() < -4 * diff1.std() / np.sqrt(m)


def test_with_instant_effect_and_no_noise_active_days_are_exactly_10_lower():
    y = simulate_outcomes(MULTI, ACTIVE_FIRST, effect=-10, sd=0, phi=0.5, rng=0)
    on = true_effect(MULTI, ACTIVE_FIRST, 1.0)[0] == 1
    pain = y["pain"][0]
    assert on.sum() == 84 and set(pain[on]) == {50.0} and set(pain[~on]) == {60.0}
    # Secondary outcomes get half the benefit, each in its own better direction.
    assert set(y["fatigue"][0][on]) == {55.0} and set(y["fatigue"][0][~on]) == {60.0}
    assert set(y["sleep_quality"][0][on]) == {45.0} and set(y["sleep_quality"][0][~on]) == {40.0}


def test_secondary_fraction_and_baseline_can_be_changed():
    y = simulate_outcomes(
        MULTI, ACTIVE_FIRST, -10, 0, 0, secondary_fraction=1, baseline={"mood": 70}, rng=0
    )
    assert y["mood"][0, 0] == 70 and y["mood"][0, 20] == 80 and y["fatigue"][0, 20] == 50


@pytest.mark.parametrize("phi", [-0.5, 0.0, 0.5, 0.9])
def test_noise_has_lag1_autocorrelation_phi_and_marginal_sd(phi):
    # 200 trials x 182 days = 36 400 days of noise around a known mean of 50.
    alloc = np.tile(ACTIVE_FIRST, (200, 1))
    y = simulate_outcomes(MULTI, alloc, 0, 12, phi, baseline={"pain": 50}, integer=False, rng=5)[
        "pain"
    ]
    e = y - 50
    assert lag1(e) == pytest.approx(phi, abs=0.03)
    assert e.std() == pytest.approx(12, rel=0.05)


@pytest.mark.parametrize("h", [1, 2, 7, 10])
def test_onset_half_life_h_gives_half_the_effect_on_day_h_of_an_active_period(h):
    first_active_day = 15
    effect = true_effect(MULTI, ACTIVE_FIRST, -10, onset_half_life=h)[0]
    assert effect[first_active_day - 1 + h - 1] == pytest.approx(-5)
    assert effect[first_active_day - 1 + h - 2] > -5  # not there a day earlier
    pain = simulate_outcomes(
        MULTI, ACTIVE_FIRST, -10, 0, 0, onset_half_life=h, integer=False, rng=0
    )["pain"][0]
    assert pain[first_active_day - 1 + h - 1] == pytest.approx(55)


def test_carryover_the_first_placebo_days_after_an_active_period_still_show_the_effect():
    first_placebo_day = 43  # after the active period on days 15-42
    with_carryover = true_effect(MULTI, ACTIVE_FIRST, -10, offset_half_life=5)[0]
    after = with_carryover[first_placebo_day - 1 :]
    assert after[0] == pytest.approx(-10 * 2 ** (-1 / 5))
    assert after[4] == pytest.approx(-5)  # five days on: half is left
    assert after[27] == pytest.approx(-10 * 2 ** (-28 / 5))  # -0.2: nearly gone by its end
    instant = true_effect(MULTI, ACTIVE_FIRST, -10, offset_half_life=0)[0]
    assert instant[first_placebo_day - 1] == 0
    pain = simulate_outcomes(MULTI, ACTIVE_FIRST, -10, 0, 0, offset_half_life=5, rng=0)["pain"]
    assert pain[0, first_placebo_day - 1 : first_placebo_day + 2].tolist() == [51, 52, 53]


def test_missing_days_occur_at_the_given_rate_for_every_outcome_at_once():
    alloc = np.tile(ACTIVE_FIRST, (300, 1))
    y = simulate_outcomes(MULTI, alloc, -10, 12, 0.5, missing=0.2, rng=8)
    gone = np.isnan(y["pain"])
    assert gone.mean() == pytest.approx(0.2, abs=0.01)
    assert all(np.array_equal(np.isnan(v), gone) for v in y.values())
    # Missingness is drawn last: the days still observed are unchanged.
    full = simulate_outcomes(MULTI, alloc, -10, 12, 0.5, missing=0, rng=8)
    np.testing.assert_array_equal(y["pain"][~gone], full["pain"][~gone])


def test_values_are_whole_numbers_within_the_outcome_range():
    alloc = np.tile(ACTIVE_FIRST, (100, 1))
    y = simulate_outcomes(MULTI, alloc, -40, 40, 0.7, trend=0.1, rng=9)
    for name, v in y.items():
        o = MULTI.outcome(name)
        assert v.min() == o.min and v.max() == o.max  # clipping happened, at both ends
        np.testing.assert_array_equal(v, np.round(v))


def test_each_trial_draws_its_own_effect_when_effect_sd_is_given():
    alloc = np.tile(ACTIVE_FIRST, (2000, 1))
    pain = simulate_outcomes(MULTI, alloc, -10, 0, 0, effect_sd=3, integer=False, rng=1)["pain"]
    effects = pain[:, 20] - 60  # an active day, instant onset
    assert effects.mean() == pytest.approx(-10, abs=0.2)
    assert effects.std() == pytest.approx(3, rel=0.05)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sd": -1}, "sd must be a finite number >= 0, got -1"),
        ({"phi": 1}, "phi must be a finite number > -1 and < 1, got 1"),
        ({"missing": 1}, "missing must be a finite number >= 0 and < 1, got 1"),
        ({"onset_half_life": -3}, "onset_half_life must be a finite number >= 0"),
        ({"effect": float("nan")}, "effect must be a finite number, got nan"),
        ({"baseline": {"pian": 50}}, "baseline: unknown outcome pian"),
        ({"outcomes": ["pian"]}, "outcomes: unknown pian"),
    ],
)
def test_bad_parameters_raise_a_clear_error(kwargs, message):
    params = {"effect": -10, "sd": 12, "phi": 0.5} | kwargs
    with pytest.raises(Nof1Error, match=message.replace("(", r"\(")):
        simulate_outcomes(MULTI, ACTIVE_FIRST, **params, rng=0)


def test_diaries_follow_the_schedule_drawn_for_the_same_seed():
    pf = read_protocol("ldn-fibromyalgia-2013")
    pairs = simulate_diaries(pf, ["P01", "P02"], dt.date(2026, 1, 5), 3, effect=-10, sd=0, phi=0)
    for schedule, diary in pairs:
        active = (schedule.timeline["condition"] == "active").to_numpy()
        assert set(diary["pain"][active]) == {50} and set(diary["pain"][~active]) == {60}
        assert diary["patient_id"].eq(schedule.patient_id).all()


# --- the command --------------------------------------------------------------------


@pytest.mark.parametrize("who", [("--patient", "P01"), ("--patients", "3")])
def test_the_unblinding_key_re_creates_every_file_byte_for_byte(tmp_path, who):
    first, second = tmp_path / "a", tmp_path / "b"
    assert run(*simulate_args(first, who=who)).exit_code == 0
    key = first / (
        "P01-unblinding-key.json" if who[0] == "--patient" else "series-unblinding-key.json"
    )
    result = run("simulate", "ldn-nof1-multicycle", "--from-key", key, *PARAMS, "--out", second)
    assert result.exit_code == 0, result.output
    names = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(names) == (7 if who[0] == "--patient" else 3 * 6 + 4) + 1  # + the manifest
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_the_same_seed_alone_keeps_the_noise_but_not_the_kit_codes(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    # No effect and the same event rates on both: nothing depends on which group is active.
    same = ("--event-rate", "vivid_dreams=0.1:0.1", "--event-rate", "insomnia=0.1:0.1")
    for out in (first, second):
        assert run(*simulate_args(out, "--effect", 0, *same)).exit_code == 0
    assert (first / "P01-diary.csv").read_bytes() == (second / "P01-diary.csv").read_bytes()
    calendar = "P01-calendar.csv"
    assert (first / calendar).read_bytes() != (second / calendar).read_bytes()


def test_the_command_in_simulation_md_reproduces_every_file(tmp_path, monkeypatch):
    assert run(*simulate_args(tmp_path / "out", "--baseline", "mood=55")).exit_code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    text = (tmp_path / "out" / "SIMULATION.md").read_text()
    assert (
        "synthetic" in text and "| seed | 7 |" in text and "| onset half-life (days) | 7 |" in text
    )
    command = next(line.strip() for line in text.splitlines() if line.startswith("    nof1"))
    assert "--baseline mood=55" in command and "--missing 0.1" in command
    monkeypatch.chdir(tmp_path / "out")
    result = run(*shlex.split(command.replace("NEW_FOLDER", "../again"))[1:])
    assert result.exit_code == 0, result.output
    assert {p.name: p.read_bytes() for p in (tmp_path / "again").iterdir()} == before


def test_schedule_files_are_exactly_those_nof1_schedule_writes_from_the_key(tmp_path):
    sim, sched = tmp_path / "sim", tmp_path / "sched"
    assert run(*simulate_args(sim)).exit_code == 0
    key = sim / "P01-unblinding-key.json"
    result = run("schedule", "ldn-nof1-multicycle", "--from-key", key, "--out", sched)
    assert result.exit_code == 0
    for path in sched.iterdir():
        if path.name != MANIFEST:  # each folder's manifest lists its own files
            assert (sim / path.name).read_bytes() == path.read_bytes(), path.name


def test_the_diary_has_the_diary_template_columns_and_days(tmp_path):
    assert run(*simulate_args(tmp_path)).exit_code == 0
    diary = (tmp_path / "P01-diary.csv").read_text().splitlines()
    template = (tmp_path / "P01-diary-template.csv").read_text().splitlines()
    assert (
        diary[0]
        == template[0]
        == (
            "patient_id,date,day,pain,fatigue,sleep_quality,mood,life_satisfaction,"
            "vivid_dreams,insomnia,headache,nausea,dose_taken,guess,note"
        )
    )
    assert [r.split(",")[:3] for r in diary] == [r.split(",")[:3] for r in template]
    missing = [r for r in diary[1:] if r.endswith(",,,,,,,,,,,,")]  # the answers too
    assert 5 < len(missing) < 35  # about 10% of 182 days, as empty cells


def test_a_series_writes_a_folder_per_patient_and_a_combined_diary(tmp_path):
    result = run(*simulate_args(tmp_path, who=("--patients", 3)))
    assert result.exit_code == 0, result.output
    for pid in ("P01", "P02", "P03"):
        assert (tmp_path / pid / f"{pid}-diary.csv").is_file()
        assert (tmp_path / pid / f"{pid}-unblinding-key.json").is_file()
    combined = (tmp_path / "series-diary.csv").read_text().splitlines()
    assert combined[0].startswith("patient_id,date,day,pain")
    assert len(combined) == 1 + 3 * 182
    assert {row.split(",")[0] for row in combined[1:]} == {"P01", "P02", "P03"}
    for name in ("series-allocation-blinded.csv", "series-unblinding-key.json", "SIMULATION.md"):
        assert (tmp_path / name).is_file()


@pytest.mark.parametrize(
    "change, code, message",
    [
        (("--sd", -1), 2, "Invalid value for '--sd': -1.0 is not in the range x>0"),
        (("--phi", 1), 2, "Invalid value for '--phi': 1.0 is not in the range -1<x<1"),
        (("--phi", -1.5), 2, "Invalid value for '--phi'"),
        (("--missing", 1), 2, "Invalid value for '--missing': 1.0 is not in the range 0<=x<1"),
        (("--onset-half-life", -1), 2, "Invalid value for '--onset-half-life'"),
        (("--offset-half-life", -1), 2, "Invalid value for '--offset-half-life'"),
        (("--effect", "nan"), 1, "Error: effect must be a finite number, got nan"),
        (("--baseline", "pain=150"), 1, "baseline for pain: 150 is outside its range 0 to 100"),
        (("--baseline", "pain"), 2, "expected NAME=VALUE"),
        (("--patient", "P 1"), 2, "patient id 'P 1' has the character(s) ' '"),
    ],
)
def test_bad_options_exit_with_a_clear_message_and_write_nothing(tmp_path, change, code, message):
    args = list(simulate_args(tmp_path / "out"))
    option, value = change
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    result = run(*args)
    assert result.exit_code == code
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_too_few_patients_or_both_patient_options_are_usage_errors(tmp_path):
    result = run(*simulate_args(tmp_path / "out", who=("--patients", 0)))
    assert result.exit_code == 2 and "0 is not in the range 1<=x<=9999" in result.output
    result = run(*simulate_args(tmp_path / "out", who=("--patients", 2, "--patient", "X")))
    assert result.exit_code == 2 and "either --patient ID or --patients N" in result.output
    assert not (tmp_path / "out").exists()


def test_existing_files_are_not_overwritten_without_force(tmp_path):
    assert run(*simulate_args(tmp_path)).exit_code == 0
    result = run(*simulate_args(tmp_path))
    assert result.exit_code == 1 and "use --force to replace" in result.output


def test_loading_the_command_does_not_import_numpy_or_pandas():
    code = "import sys, nof1.cli.simulate; print('numpy' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


@pytest.mark.parametrize("missing", ["--sd", "--phi"])
def test_simulate_without_sd_or_phi_is_a_usage_error_not_a_traceback(tmp_path, missing):
    args = ["simulate", "ldn-nof1-multicycle", "--patient", "P01", "--effect", "-10"]
    given = {"--sd": "12", "--phi": "0.5"}
    args += [part for name, value in given.items() if name != missing for part in (name, value)]
    result = run(*args, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert f"Missing option '{missing}'" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["schedule", "simulate"])
def test_a_series_folder_given_with_a_trailing_slash_is_named_without_a_double_slash(
    tmp_path, command
):
    args = [command, "ldn-nof1-multicycle", "--patients", "2", "--seed", "1"]
    args += ["--start", "2026-01-05"] if command == "schedule" else PARAMS[:6]
    result = run(*args, "--out", f"{tmp_path / 'trial'}/")
    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'trial'}/ID/" in result.output and "//" not in result.output
