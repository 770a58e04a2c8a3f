"""The one way nof1 reads YAML (protocol files, StudyU mapping files): bounded and strict.

PyYAML's ``safe_load`` builds no objects, but it still accepts three things a hand-written
protocol never needs and a hostile one can abuse:

- **aliases** (``&a`` / ``*a``): a 1 KB "billion laughs" file expands into gigabytes once
  pydantic walks it. We refuse anchors and aliases outright rather than count expansion:
  a protocol is a short file typed by a person, where an alias saves nothing, and a
  refusal is a clear message that bounds the work at the size of the file itself;
- **duplicate keys**, which silently keep the last value (``cycles: 3`` then
  ``cycles: 1``): a named problem with the key path and both lines;
- **unbounded size and nesting**: files over :data:`MAX_BYTES` and nesting deeper than
  :data:`MAX_DEPTH` are refused before they cost memory or the stack.

Values PyYAML cannot build (``2026-13-45`` as a date, a 5000-digit integer) become a
problem naming their line instead of a ``ValueError`` traceback.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from nof1.inputs import read_input

__all__ = ["MAX_BYTES", "MAX_DEPTH", "parse_yaml", "read_text", "read_yaml_file"]

#: Largest YAML file read (the shipped protocols are under 2 KB).
MAX_BYTES = 1_000_000
#: Deepest nesting of mappings and lists (a protocol needs 4).
MAX_DEPTH = 32
_TOO_LARGE = f"is larger than {MAX_BYTES // 1000} KB (the limit for protocol and mapping files)"


class _Refused(Exception):
    """A problem found while parsing, with its position (a PyYAML mark) when known."""

    def __init__(self, mark, problem: str):
        super().__init__(problem)
        self.mark, self.problem = mark, problem


class _StrictLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses anchors, aliases, merge keys and deep nesting."""

    _depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(
                event.start_mark,
                "YAML anchors and aliases (&name, *name) are not allowed; write the value out",
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(event.start_mark, f"nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def flatten_mapping(self, node):
        for key, _ in node.value:
            if key.tag == "tag:yaml.org,2002:merge":
                raise _Refused(key.start_mark, "YAML merge keys (<<) are not allowed")
        super().flatten_mapping(node)

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError):
            shown = node.value if isinstance(node, ScalarNode) else node.tag
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise _Refused(node.start_mark, f"cannot read the value '{shown}'") from None


def read_yaml_file(path: str | Path, error) -> object:
    """Read a YAML file of at most :data:`MAX_BYTES` into plain data.

    Parameters
    ----------
    path : str or Path
    error : type
        The project exception to raise, called as ``error(source, problems)``
        (:class:`~nof1.errors.ProtocolError`, :class:`~nof1.errors.DiaryError`).

    Returns
    -------
    object
        What the document holds (dict, list, str, ...).

    Raises
    ------
    error
        Unreadable, too large, not UTF-8, or any problem of :func:`parse_yaml`.
    """
    return parse_yaml(read_text(path, error), str(path), error)


def read_text(path: str | Path, error) -> str:
    """The text of a regular file of at most :data:`MAX_BYTES`, as UTF-8."""
    source = str(path)
    raw = read_input(path, error, limit=MAX_BYTES)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(source, ["is not a UTF-8 text file"]) from None


def parse_yaml(text: str, source: str, error) -> object:
    """Parse YAML text strictly (see the module notes); problems raise ``error``.

    Examples
    --------
    >>> from nof1.errors import ProtocolError
    >>> parse_yaml("a: 1\\nb: [x, y]\\n", "p.yaml", ProtocolError)
    {'a': 1, 'b': ['x', 'y']}
    >>> parse_yaml("schedule:\\n  cycles: 3\\n  cycles: 1\\n", "p.yaml", ProtocolError)
    Traceback (most recent call last):
    ...
    nof1.errors.ProtocolError: p.yaml: schedule.cycles: duplicate key on line 3 (first on line 2)
    """
    if len(text) > MAX_BYTES:
        raise error(source, [_TOO_LARGE])
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        duplicates = list(_duplicate_keys(node, ()))
        if duplicates:
            raise error(source, duplicates)
        return loader.construct_document(node)
    except _Refused as exc:
        raise error(source, [f"{_where(exc.mark)}{exc.problem}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(source, [f"{_where(mark)}invalid YAML ({problem})"]) from None
    finally:
        loader.dispose()


def _where(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""


def _duplicate_keys(node, path: tuple):
    """Yield 'key.path: duplicate key on line N (first on line M)' for every repeat."""
    if isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*path, str(i)))
    elif isinstance(node, MappingNode):
        first: dict = {}
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else "?"
            here = (*path, str(name))
            line = key.start_mark.line + 1
            seen = first.get((key.tag, name))
            if seen is None:
                first[(key.tag, name)] = line
            else:
                yield f"{'.'.join(here)}: duplicate key on line {line} (first on line {seen})"
            yield from _duplicate_keys(value, here)
