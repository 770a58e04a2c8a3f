"""Shared fixtures: every shipped protocol id; every results.json checked against its schema."""

from __future__ import annotations

import pytest

from nof1.protocol import shipped_ids

SHIPPED = shipped_ids()


@pytest.fixture(params=SHIPPED)
def shipped_id(request) -> str:
    return request.param


@pytest.fixture(autouse=True)
def _every_results_json_follows_its_schema(request):
    """After each test that used tmp_path, validate every results.json it wrote."""
    if "tmp_path" not in request.fixturenames:
        yield
        return
    tmp_path = request.getfixturevalue("tmp_path")
    yield
    import json
    from pathlib import Path

    import jsonschema

    schema_dir = Path(__file__).resolve().parents[1] / "nof1" / "schemas"
    schema = json.loads((schema_dir / "results.schema.json").read_text())
    for path in (p for p in tmp_path.rglob("results.json") if p.is_file()):  # not a FIFO
        jsonschema.validate(json.loads(path.read_text()), schema)


def pytest_terminal_summary(terminalreporter):
    """Say it loudly when the browser tests did not run (they skip without Chromium)."""
    skipped = terminalreporter.stats.get("skipped", [])
    browser = [r for r in skipped if "chromium" in str(getattr(r, "longrepr", "")).lower()]
    if browser:
        terminalreporter.write_line(
            f"NOTE: {len(browser)} browser test(s) did not run: Chromium is not installed. "
            "Install it (Debian/Ubuntu: apt-get install chromium) and run make test again; "
            ".ci/run installs it itself.",
            yellow=True,
            bold=True,
        )
