"""Typed JSON records: frozen dataclasses whose fields are the keys of a nof1 output file.

A result that is written to JSON is a frozen dataclass deriving from :class:`Record`. Its
fields, in order, are its JSON keys; their annotations are its JSON Schema. The same
declaration gives :meth:`Record.to_dict` (the JSON) and :func:`json_schema` (the schema in
``nof1/schemas/``), so the two cannot drift.

What an annotation becomes:

========================================  ================================================
``float``, ``int``, ``bool``, ``str``     ``number``, ``integer``, ``boolean``, ``string``
``X | None``                              the same, nullable (``"type": [..., "null"]``)
``Literal["a", "b"]``                     ``enum`` (``const`` with one value)
``tuple[X, ...]``, ``list[X]``            ``array`` of X
``dict[K, V]``                            ``object`` of V; with a ``Literal`` K, only K's keys
a :class:`Record`                         ``$ref`` to its entry in ``$defs``
``Annotated[X, Json(...)]``               X's schema plus the keywords (``minimum``, ...)
========================================  ================================================

Field options (:func:`entry`): ``omit`` (an attribute, not a JSON key), ``key`` (another
JSON name), ``flatten`` (a record's keys, or a dict's keys plus ``suffix``, merged into the
parent), ``required=False`` (a key that may be absent: schema only), ``since`` and
``until`` (a key of those contract versions only: schema only, for the file documents)
and ``description``.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Rate(Record):
...     n: int
...     rate: float | None = entry(None, description="responders / n")
>>> Rate(4, float("nan")).to_dict()
{'n': 4, 'rate': None}
>>> json_schema(Rate)["properties"]["rate"]
{'type': ['number', 'null'], 'description': 'responders / n'}
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Union

__all__ = ["Json", "PValue", "Record", "entry", "json_schema", "plain", "version_of"]


class Json(dict):
    """JSON Schema keywords for an ``Annotated`` type: ``Annotated[int, Json(minimum=0)]``."""

    def __init__(self, **keywords):
        super().__init__(keywords)

    def __hash__(self):  # Annotated metadata must be hashable
        return id(self)


#: A p-value or a probability, or None.
PValue = Annotated[float | None, Json(minimum=0, maximum=1)]


def entry(default=dataclasses.MISSING, *, description=None, omit=False, key=None,
          flatten=False, suffix="", required=True, since=1, until=None,
          **options):  # fmt: skip
    """A dataclass field with its JSON options (see the module docstring)."""
    meta = {"description": description, "omit": omit, "key": key, "flatten": flatten}
    meta |= {"suffix": suffix, "required": required, "since": since, "until": until}
    return dataclasses.field(default=default, metadata={"json": meta}, **options)


def _options(f: dataclasses.Field) -> dict:
    return f.metadata.get("json", {})


class Record:
    """Base of the typed results: ``to_dict()`` is the object's JSON, key by key."""

    __slots__ = ()

    def to_dict(self) -> dict:
        """Plain Python values (str, int, float, bool, None, list, dict), NaN as None."""
        out: dict = {}
        for name, key, flatten, suffix in _plan(type(self)):
            value = getattr(self, name)
            kind = type(value)
            if kind is float:  # most fields: no call of plain (one dict per patient's effect)
                value = value if math.isfinite(value) else None
            elif not (value is None or kind is str or kind is int or kind is bool):
                value = plain(value)
            if flatten:
                out.update({f"{k}{suffix}": v for k, v in (value or {}).items()})
            else:
                out[key] = value
        return out


_PLANS: dict[type, tuple] = {}


def _plan(cls) -> tuple:
    """(attribute, JSON key, flatten, suffix) of every JSON field of ``cls``, once per class."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = tuple(
            (f.name, o.get("key") or f.name, o.get("flatten", False), o.get("suffix", ""))
            for f in dataclasses.fields(cls)
            if not (o := _options(f)).get("omit")
        )
        _PLANS[cls] = plan
    return plan


def plain(value: Any) -> Any:
    """``value`` as JSON-ready Python: records and dataclasses as dicts, tuples as lists,
    numpy scalars as Python numbers, NaN and infinity as None."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if kind.__module__ == "numpy" and hasattr(value, "item"):  # numpy scalars
        return plain(value.item())
    if dataclasses.is_dataclass(value) and hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, Sequence):  # e.g. records kept as columns
        return [plain(v) for v in value]
    return value


def version_of(schema: str) -> int:
    """The contract version of a schema string: ``version_of("nof1.results/2") == 2``."""
    return int(re.fullmatch(r"[\w.]+/(\d+)", schema).group(1))


# --- the schema ---------------------------------------------------------------------------

_SIMPLE = {float: "number", int: "integer", bool: "boolean", str: "string", type(None): "null"}


def json_schema(cls, *, version: int = 1) -> dict:
    """The schema of record class ``cls``: its own object schema, with every record it
    uses in ``$defs`` (sorted by name). Keys ``since`` a later ``version`` are left out."""
    builder = _Builder(version)
    root = builder.body(cls)
    return {**root, "$defs": dict(sorted(builder.defs.items()))}


class _Builder:
    def __init__(self, version: int):
        self.version = version
        self.defs: dict[str, dict] = {}

    def record(self, cls) -> dict:
        """``$ref`` to the entry of ``cls`` in ``$defs`` (made on first use)."""
        name = cls.__name__
        if name not in self.defs:
            self.defs[name] = {}  # a placeholder against recursion
            self.defs[name] = self.body(cls)
        return {"$ref": f"#/$defs/{name}"}

    def body(self, cls) -> dict:
        """The object schema of a record: properties, required, patternProperties."""
        hints = typing.get_type_hints(cls, include_extras=True)
        doc = (cls.__doc__ or "").strip().split("\n\n")[0]
        out: dict = {"type": "object"}
        if doc and not doc.startswith(cls.__name__ + "("):
            out["description"] = " ".join(doc.split()).replace("``", "")
        props, required, patterns = {}, [], {}
        for f in dataclasses.fields(cls):
            opts = _options(f)
            until = opts.get("until") or self.version
            if opts.get("omit") or not opts.get("since", 1) <= self.version <= until:
                continue
            if opts.get("flatten"):
                self._flatten(hints[f.name], opts.get("suffix", ""), props, required, patterns)
                continue
            name = opts.get("key") or f.name
            props[name] = self.of(hints[f.name])
            if opts.get("description"):
                props[name]["description"] = opts["description"]
            if opts.get("required", True):
                required.append(name)
        out |= {"required": required, "additionalProperties": False, "properties": props}
        if patterns:
            out["patternProperties"] = patterns
        return out

    def _flatten(self, hint, suffix, props, required, patterns) -> None:
        base, _ = _strip(hint)
        if dataclasses.is_dataclass(base):
            inner = self.body(base)
            props |= inner["properties"]
            required += inner["required"]
            patterns |= inner.get("patternProperties", {})
            return
        key, value = typing.get_args(base)
        names = "|".join(re.escape(k) for k in typing.get_args(key))
        patterns[f"^({names}){re.escape(suffix)}$"] = self.of(value)

    def of(self, hint) -> dict:
        """The schema of one annotation."""
        hint, keywords = _strip(hint)
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (Union, types.UnionType):
            out = self._union(args)
        elif hint in _SIMPLE:
            out = {"type": _SIMPLE[hint]}
        elif hint is Any:
            out = {}
        elif origin is Literal:
            out = {"const": args[0]} if len(args) == 1 else {"enum": list(args)}
        elif origin in (list, tuple):
            out = {"type": "array", "items": self.of(args[0])}
        elif origin is dict:
            out = {"type": "object"}
            key, _ = _strip(args[0])
            if typing.get_origin(key) is Literal:
                out["propertyNames"] = {"enum": list(typing.get_args(key))}
            out["additionalProperties"] = self.of(args[1])
        elif dataclasses.is_dataclass(hint):
            out = self.record(hint)
        else:
            raise TypeError(f"no JSON Schema for {hint!r}")
        return out | keywords

    def _union(self, args) -> dict:
        nullable = type(None) in args
        rest = [a for a in args if a is not type(None)]
        parts = [self.of(a) for a in rest]
        if len(parts) > 1 and all(set(p) == {"type"} for p in parts):  # string | integer
            kinds = [t for p in parts for t in _listed(p["type"])]
            return {"type": [*kinds, "null"] if nullable else kinds}
        if len(parts) > 1:  # records: exactly one of them (each is closed)
            one = {"oneOf": parts}
            return {"anyOf": [one, {"type": "null"}]} if nullable else one
        part = parts[0]
        if not nullable:
            return part
        if "type" in part:  # keywords such as minimum or pattern do not apply to null
            return part | {"type": [*_listed(part["type"]), "null"]}
        if "enum" in part or "const" in part:
            return {k: v for k, v in part.items() if k != "const"} | {
                "enum": [*part.get("enum", [part.get("const")]), None]
            }
        return {"anyOf": [part, {"type": "null"}]}


def _strip(hint) -> tuple[Any, dict]:
    """``Annotated[X, Json(...)]`` to (X, keywords)."""
    keywords: dict = {}
    while typing.get_origin(hint) is Annotated:
        for extra in hint.__metadata__:
            if isinstance(extra, Json):
                keywords |= extra
        hint = hint.__origin__
    return hint, keywords


def _listed(kind) -> list:
    return kind if isinstance(kind, list) else [kind]
