"""Power with nearly every diary day missing: a clean result that says so, no numpy warnings.

`power --missing 0.99` once printed a numpy RuntimeWarning (welch_t on trials with fewer
than 2 days in an arm), and 0.999 ended in a TypeError traceback (no trial left to fit
gls_ar1 on). pytest turns RuntimeWarning into errors (pyproject.toml), so a warning fails.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from nof1.cli import main


@pytest.mark.parametrize("patients", ["1", "3"])
@pytest.mark.parametrize("missing", ["0.99", "0.999"])
def test_power_with_almost_no_observed_days_says_how_many_trials_failed(
    tmp_path, missing, patients
):
    args = ["power", "ldn-nof1-multicycle", "--effect", "0,-10", "--sims", "40", "--seed", "1"]
    args += ["--missing", missing, "--patients", patients, "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "RuntimeWarning" not in result.output
    assert f"{float(missing):.1%}".replace(".0%", "%") in result.stderr
    assert "AR(1) regression could not analyse" in result.stderr
    data = json.loads((tmp_path / "out" / "power.json").read_text())
    gls = [r for r in data["results"] if r["method"] == "gls_ar1"]
    assert all(r["failed"] > 0.5 * r["sims"] for r in gls)
