"""Every command is documented: docs/cli.md is its current --help, and README mentions it."""

from __future__ import annotations

from pathlib import Path

import pytest

from nof1.cli.reference import command_paths, help_text, reference_markdown

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_cli_reference_is_current():
    assert (ROOT / "docs" / "cli.md").read_text() == reference_markdown(), (
        "regenerate with: python -m nof1.cli.reference > docs/cli.md"
    )


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_command_has_help_and_appears_in_the_readme(path):
    text = help_text(path)
    assert text.startswith("Usage: nof1 ")
    assert len(text.splitlines()) > 4  # a description, not just the usage line
    assert f"nof1 {' '.join(path)}" in README


def test_readme_opens_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block
