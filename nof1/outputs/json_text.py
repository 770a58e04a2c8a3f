"""Indented JSON text at the C encoder's speed: results.json and series.json.

``json.dumps(value, indent=2)`` runs json's pure-Python encoder (the C one does no
indentation), a tenth of the C encoder's speed, which matters at a file and a series.json
entry per patient. Here the layout (brackets, keys, line ends and indentation) is made in
Python and every value that goes on one line is encoded by a single call of the C encoder
(a list of them, split at separators). :func:`json_text` with ``levels=None`` gives
``json.dumps(value, indent=2, allow_nan=False, ensure_ascii=...)``'s text byte for byte.
"""

from __future__ import annotations

import itertools
import json

__all__ = ["json_text"]

#: Stands between two one-line values in the single C-encoder call; encoded as
#: ``"\\u0000nof1\\u0000"``, which no encoded string can hold unescaped.
_SEP = "\x00nof1\x00"
#: Where a one-line value goes in the layout (a raw NUL: encoded keys never hold one).
_SLOT = "\x00"
_SCALARS = frozenset({str, float, int, bool, type(None)})


def json_text(value, levels: int | None = None, ensure_ascii: bool = False) -> str:
    """``value`` as JSON text indented by two spaces, without a final line end.

    Parameters
    ----------
    value : dict, list or scalar
        Plain JSON values (dicts, lists or tuples, strings, numbers, booleans, None).
    levels : int or None
        None: every non-empty dict and list indented, as ``json.dumps(indent=2)``. A
        number: indented down to that many levels of nesting, each value below them on one
        line, and every list of numbers or strings on one line (results.json's layout).
    ensure_ascii : bool
        Escape non-ASCII characters, as ``json.dumps`` does by default.

    Raises
    ------
    ValueError
        A NaN or infinite number (not valid JSON).

    Examples
    --------
    >>> value = {"a": [{"b": {"c": 1}}], "f": [3, 4], "e": {}}
    >>> json_text(value) == json.dumps(value, indent=2)
    True
    >>> print(json_text(value, levels=2))
    {
      "a": [
        {"b": {"c": 1}}
      ],
      "f": [3, 4],
      "e": {}
    }
    """
    style = _ASCII if ensure_ascii else _UNICODE
    if _one_line(value, 0, levels):
        return style.one(value)
    layout: list[str] = []
    values: list = []
    _lay_out(value, 0, levels, layout, values, style.keys)
    texts = style.texts(values)
    segments = "".join(layout).split(_SLOT)
    pairs = zip(segments, texts, strict=False)  # one segment more than texts: the last
    return "".join(itertools.chain.from_iterable(pairs)) + segments[-1]


def _one_line(value, depth: int, levels: int | None) -> bool:
    """Written on one line: below ``levels``, empty, a scalar, or (with levels) a flat list."""
    return (levels is not None and depth >= levels) or not _expanded(value, levels)


def _expanded(value, levels: int | None) -> bool:
    """A non-empty dict or list; with ``levels``, a list only if of dicts or lists (a
    tuple is one line then)."""
    kind = type(value)
    if kind is dict or (kind is not list and isinstance(value, dict)):
        return bool(value)
    if levels is None:  # json.dumps's layout: tuples are lists
        return (kind is list or isinstance(value, list | tuple)) and bool(value)
    return (
        (kind is list or isinstance(value, list))
        and bool(value)
        and (isinstance(value[0], dict | list))
    )


def _lay_out(value, depth: int, levels, layout: list, values: list, keys) -> None:
    """Append the layout of container ``value`` to ``layout``, a slot for each one-line
    value in it, and those values to ``values``."""
    inner = "\n" + "  " * (depth + 1)
    depth += 1
    is_dict = isinstance(value, dict)
    items = value.values() if is_dict else value
    if levels is not None and depth >= levels:  # every item on one line (the effects...)
        slots = _SLOT + "," + inner
        if is_dict:
            body = slots.join(map(keys.__getitem__, value)) + _SLOT
        else:
            body = ("," + inner).join(itertools.repeat(_SLOT, len(value)))
        layout.append(("{" if is_dict else "[") + inner + body)
        values.extend(items)
    else:
        layout.append("{" if is_dict else "[")
        names = map(keys.__getitem__, value) if is_dict else itertools.repeat("")
        sep, comma = inner, "," + inner
        for name, item in zip(names, items, strict=False):
            if type(item) in _SCALARS or not _expanded(item, levels):
                layout.append(sep + name + _SLOT)
                values.append(item)
            else:
                layout.append(sep + name)
                _lay_out(item, depth, levels, layout, values, keys)
            sep = comma
    layout.append(inner[:-2] + ("}" if is_dict else "]"))


def _no_default(value):
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class _Keys(dict):
    """key -> ``"key": `` (encoded, with its separator); a file repeats the same few
    hundred keys, so the strings are kept (up to 10 000)."""

    def __init__(self, ensure_ascii: bool):
        super().__init__()
        self.ensure_ascii = ensure_ascii

    def __missing__(self, key) -> str:
        # As json.dumps writes a key (a number or None too: "1", "null", in quotes).
        name = json.dumps({key: 0}, ensure_ascii=self.ensure_ascii, allow_nan=False)[1:-4]
        if type(key) is str and len(self) < 10_000:
            self[key] = name + ": "
        return name + ": "


class _Style:
    """The encoders of one ``ensure_ascii`` choice."""

    def __init__(self, ensure_ascii: bool):
        from json import encoder

        self.one = json.JSONEncoder(ensure_ascii=ensure_ascii, allow_nan=False).encode
        self.keys = _Keys(ensure_ascii)
        self.sep_text = ", " + self.one(_SEP) + ", "
        strings = encoder.c_encode_basestring_ascii if ensure_ascii else encoder.c_encode_basestring
        self.many = self.one  # json's encode makes an encoder per call: the C one, directly
        if encoder.c_make_encoder is not None and strings is not None:
            make = encoder.c_make_encoder(None, _no_default, strings, None,
                                          ": ", ", ", False, False, False)  # fmt: skip
            self.many = lambda v: "".join(make(v, 0))

    def texts(self, values: list) -> list[str]:
        """Each value encoded on one line: one C-encoder call for all."""
        spaced = [_SEP] * (2 * len(values) - 1)
        spaced[::2] = values
        texts = self.many(spaced)[1:-1].split(self.sep_text)
        if len(texts) != len(values):  # a string held the separator's text: one by one
            texts = [self.one(v) for v in values]
        return texts


_UNICODE, _ASCII = _Style(False), _Style(True)
