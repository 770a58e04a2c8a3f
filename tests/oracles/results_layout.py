"""results.json's series layout, one value at a time (the recursion ``results_text`` had
before it encoded every one-line value in one call): the oracle of its text."""

from __future__ import annotations

import json

__all__ = ["results_text"]

_ONE_LINE = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


def results_text(results, levels: int = 4) -> str:
    parts: list[str] = []
    _indented(results, 0, levels, parts)
    return "".join(parts) + "\n"


def _indented(value, depth: int, levels: int, out: list[str]) -> None:
    flat = isinstance(value, list) and value and not isinstance(value[0], dict | list)
    if depth >= levels or not value or not isinstance(value, dict | list) or flat:
        out.append(_ONE_LINE(value))
        return
    inner, outer = "\n" + "  " * (depth + 1), "\n" + "  " * depth
    items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
    out.append("{" if isinstance(value, dict) else "[")
    for i, (key, item) in enumerate(items):
        out.append(("," if i else "") + inner + ("" if key is None else _ONE_LINE(key) + ": "))
        _indented(item, depth + 1, levels, out)
    out.append(outer + ("}" if isinstance(value, dict) else "]"))
