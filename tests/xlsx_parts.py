"""Workbook surgery for tests: read a workbook's parts, change them, zip them again."""

from __future__ import annotations

import io
import re
import zipfile

__all__ = ["parts_of", "share_strings", "zip_parts"]

_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def parts_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        return {i.filename: src.read(i.filename) for i in src.infolist()}


def zip_parts(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buffer.getvalue()


def share_strings(data: bytes) -> bytes:
    """openpyxl writes inline strings; Excel shares them in xl/sharedStrings.xml: do so."""
    parts = parts_of(data)
    strings: list[bytes] = []

    def share(match):
        strings.append(match.group(2))
        return match.group(1) + b' t="s"><v>%d</v></c>' % (len(strings) - 1)

    cell = rb'(<c r="[A-Z]+[0-9]+"(?: s="[0-9]+")?) t="inlineStr"><is><t>(.*?)</t></is></c>'
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(cell, share, parts[sheet])
    items = b"".join(b"<si><t>%s</t></si>" % s for s in strings)
    parts["xl/sharedStrings.xml"] = b'<sst xmlns="' + _MAIN + b'">' + items + b"</sst>"
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="' + _REL + b'" Target="sharedStrings.xml"/>'
        b"</Relationships>",
    )
    types = "[Content_Types].xml"
    parts[types] = parts[types].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="' + _TYPE + b'"/></Types>',
    )
    return zip_parts(parts)
