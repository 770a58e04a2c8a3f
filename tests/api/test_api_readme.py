"""README's "From Python" runs as written and shows what it prints."""

from __future__ import annotations

import ast
import importlib
import os
import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTION = (ROOT / "README.md").read_text().split("## From Python\n")[1].split("\n## ")[0]
BLOCKS = re.findall(r"```(python|text)\n(.*?)```", SECTION, re.DOTALL)


def test_the_section_has_the_three_entry_points():
    code = "".join(text for kind, text in BLOCKS if kind == "python")
    for call in ("nof1.analyze(diary", "nof1.series(", "nof1.power(", ".report("):
        assert call in code


def test_from_python_runs_as_written_and_prints_what_it_shows(tmp_path, monkeypatch):
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data")
    monkeypatch.chdir(tmp_path)  # reports land here, not in the repository
    namespace: dict = {}
    shown = 0
    with pd.option_context("display.width", 80):  # a terminal's; Jupyter shows HTML tables
        for i, (kind, text) in enumerate(BLOCKS):
            if kind != "python":
                continue
            tree = ast.parse(text)
            last = tree.body.pop() if isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, "README.md", "exec"), namespace)
            if last is None:
                continue
            value = eval(compile(ast.Expression(last.value), "README.md", "eval"), namespace)
            if i + 1 < len(BLOCKS) and BLOCKS[i + 1][0] == "text":
                assert str(value).split() == BLOCKS[i + 1][1].split()
                shown += 1
    assert shown == 3
    assert sorted(os.listdir(tmp_path)) == ["P01-report.html", "sample_data"]


@pytest.mark.parametrize("name", ["analyze", "series", "power", "read_protocol"])
def test_every_api_function_has_a_numpydoc_docstring_with_an_example(name):
    import nof1

    if name in ("series", "power"):  # nof1.series is also the package; calling it runs this
        function = getattr(importlib.import_module(f"nof1.api.{name}"), name)
    else:
        function = getattr(nof1, name)
    doc = function.__doc__
    assert "Parameters\n    ----------" in doc and "Returns\n    -------" in doc
    assert "Examples\n    --------\n    >>> " in doc
