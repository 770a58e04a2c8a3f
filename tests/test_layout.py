"""The package layout keeps its promises: private names stay private, files stay short.

**Private names.** A name that starts with ``_`` (not a dunder) belongs to its module:

1. no nof1 module imports a ``_name`` (function, class, constant) from another module;
2. a private *module* (``nof1/pkg/_mod.py``) is private to its package: only modules in
   ``nof1/pkg/`` (and its sub-packages) import it. ``nof1/_yaml.py`` is thus private to
   ``nof1`` as a whole, ``nof1/data/_tabular.py`` to ``nof1.data`` (readers elsewhere use
   ``nof1.data.tables``), ``nof1/outputs/_fs.py`` to ``nof1.outputs``.

Imports are read from the source (an AST walk over ``nof1/**.py``), absolute and
relative, ``from x import y`` and ``import x.y``, at any depth (lazy imports count).

**Length.** No module is much over 400 lines (410 allowed): split a longer one by job.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "nof1"


def _private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(root: Path, dotted: str) -> bool:
    base = root.parent.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(root: Path, path: Path):
    """(importing module, imported module, name or None, line) for every nof1 import."""
    module = _module_name(root, path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "nof1":
                    yield module, alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "nof1":
                continue
            for alias in node.names:
                if _is_module(root, f"{source}.{alias.name}"):  # a module, imported by name
                    yield module, f"{source}.{alias.name}", None, node.lineno
                else:
                    yield module, source, alias.name, node.lineno


@functools.cache
def _violations(root: Path = ROOT) -> list[tuple]:
    """(importing module, imported module, name or None, what is wrong)."""
    out = []
    for path in sorted(root.rglob("*.py")):
        for module, source, name, line in _imports(root, path):
            where = f"{path.relative_to(root.parent)}:{line}"
            parts = source.split(".")
            for i, part in enumerate(parts):
                if _private(part):
                    owner = ".".join(parts[:i])  # the package the private module is in
                    if not (module == owner or module.startswith(owner + ".")):
                        what = f"{where}: imports {source}, private to {owner}"
                        out.append((module, source, None, what))
                    break
            if name is not None and _private(name) and source != module:
                out.append((module, source, name, f"{where}: imports {name} from {source}"))
    return out


def test_no_module_imports_a_private_name_of_another():
    found = [what for *_, what in _violations()]
    assert found == []


def test_the_check_sees_each_kind_of_private_import(tmp_path):
    package = tmp_path / "nof1"
    (package / "a").mkdir(parents=True)
    (package / "b").mkdir()
    for init in (package, package / "a", package / "b"):
        (init / "__init__.py").write_text("")
    (package / "a" / "_impl.py").write_text("X = 1\n")
    (package / "a" / "ok.py").write_text("from nof1.a import _impl\nfrom . import _impl as i\n")
    (package / "b" / "bad.py").write_text(
        "from nof1.a._impl import X\n"
        "from nof1.a.ok import _hidden\n"
        "def f():\n    import nof1.a._impl\n"
    )
    found = [what for *_, what in _violations(package)]
    assert found == [
        "nof1/b/bad.py:1: imports nof1.a._impl, private to nof1.a",
        "nof1/b/bad.py:2: imports _hidden from nof1.a.ok",
        "nof1/b/bad.py:4: imports nof1.a._impl, private to nof1.a",
    ]


def test_no_module_is_much_over_400_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in sorted(ROOT.rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 410
    }
    assert long == {}
