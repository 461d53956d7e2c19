"""Writers of hostile files: xlsx built part by part, zips patched after writing, csv files.

Nothing here is committed as a binary: every file of the corpus is made by these functions in
the test's temporary folder (the large ones streamed to disk, never held in memory whole).
"""

from __future__ import annotations

import csv
import struct
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"

PLEDGE_HEADER = ["donor", "amount", "currency", "year", "earmarking", "status"]
GOOD_ROW: list[Any] = ["Norway", 1000, "USD", 2027, "unearmarked", "paid"]

#: Writes a part in chunks, given the function that writes one chunk.
Streamer = Callable[[Callable[[bytes], Any]], None]
#: A part's content: bytes, or a function writing it in chunks (for parts too big to build).
Content = bytes | str | Streamer


def letters(index: int) -> str:
    out = ""
    n = index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def cell(ref: str, value: Any, *, kind: str | None = None, style: int | None = None) -> str:
    """One <c>: text as an inline string, numbers as numbers; ``kind`` forces the t= type with
    the value in <v> (``"e"`` for an error value, ``"s"`` for a shared-string index ...)."""
    s = f' s="{style}"' if style is not None else ""
    if kind is not None:
        return f'<c r="{ref}"{s} t="{kind}"><v>{escape(str(value))}</v></c>'
    if value is None:
        return ""
    if isinstance(value, str):
        return f'<c r="{ref}"{s} t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    return f'<c r="{ref}"{s}><v>{value}</v></c>'


def row(number: int, values: Sequence[Any], *, cells: Sequence[str] = ()) -> str:
    """A <row> of ``values`` from column A, plus any ready-made ``cells``."""
    body = "".join(cell(f"{letters(i)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{body}{"".join(cells)}</row>'


def sheet(rows: Iterable[str], *, ns: str = NS, prolog: str = "") -> str:
    return f'{prolog}<worksheet xmlns="{ns}"><sheetData>{"".join(rows)}</sheetData></worksheet>'


def pledge_sheet(*bad_rows: Sequence[Any], extra: Sequence[str] = ()) -> str:
    """Header, one good row, then ``bad_rows`` (row 3 on) and ready-made ``extra`` rows."""
    rows = [row(1, PLEDGE_HEADER), row(2, GOOD_ROW)]
    rows += [row(3 + i, r) for i, r in enumerate(bad_rows)]
    return sheet([*rows, *extra])


def workbook_parts(
    sheets: Sequence[tuple[str, Content, str | None]],
    *,
    shared: Content | None = None,
    styles: Content | None = None,
    book_prolog: str = "",
    book_ns: str = NS,
) -> dict[str, Content]:
    """The parts of a workbook: ``sheets`` are (name, sheet XML, state or None)."""
    entries = "".join(
        f'<sheet name="{escape(name)}" sheetId="{i + 1}" r:id="rId{i + 1}"'
        + (f' state="{state}"' if state else "")
        + "/>"
        for i, (name, _, state) in enumerate(sheets)
    )
    rels = "".join(
        f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" '
        f'Target="worksheets/sheet{i + 1}.xml"/>'
        for i in range(len(sheets))
    )
    if shared is not None:
        rels += f'<Relationship Id="rIdS" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    if styles is not None:
        rels += f'<Relationship Id="rIdT" Type="{_REL}/styles" Target="styles.xml"/>'
    parts: dict[str, Content] = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'{book_prolog}<workbook xmlns="{book_ns}" xmlns:r="{_REL}">'
        f"<sheets>{entries}</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PKG}">{rels}</Relationships>',
    }
    for i, (_, xml, _) in enumerate(sheets):
        parts[f"xl/worksheets/sheet{i + 1}.xml"] = xml
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    if styles is not None:
        parts["xl/styles.xml"] = styles
    return parts


def write_zip(path: Path, parts: dict[str, Content], *, level: int = 6) -> Path:
    """Write ``parts`` as a deflated zip (content functions stream their part)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, content in parts.items():
            if callable(content):
                with z.open(name, "w", force_zip64=True) as f:
                    content(f.write)
            else:
                z.writestr(name, content.encode() if isinstance(content, str) else content)
    return path


def xlsx(path: Path, sheet_xml: Content, **kw: Any) -> Path:
    """A one-sheet ("Pledges") workbook."""
    return write_zip(path, workbook_parts([("Pledges", sheet_xml, None)], **kw))


def repeated(head: str, body: str, times: int, tail: str) -> Streamer:
    """Content ``head + body * times + tail``, written in chunks (a bomb, without the memory)."""

    def write(put: Callable[[bytes], Any]) -> None:
        put(head.encode())
        chunk = (body * max(1, 65536 // max(1, len(body)))).encode()
        per_chunk = max(1, 65536 // max(1, len(body)))
        left = times
        while left >= per_chunk:
            put(chunk)
            left -= per_chunk
        put((body * left).encode())
        put(tail.encode())

    return write


def numbered_rows(head: str, times: int, tail: str) -> Streamer:
    """A sheet of ``times`` small numbered rows (row 2 on) between ``head`` and ``tail``."""

    def write(put: Callable[[bytes], Any]) -> None:
        put(head.encode())
        batch: list[str] = []
        for n in range(2, times + 2):
            batch.append(
                f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>N</t></is></c>'
                f'<c r="B{n}"><v>1</v></c></row>'
            )
            if len(batch) == 2000:
                put("".join(batch).encode())
                batch.clear()
        put("".join(batch).encode())
        put(tail.encode())

    return write


# -- patching a written zip -----------------------------------------------------------------
_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"


def patch_entry(
    data: bytes,
    name: str,
    *,
    file_size: int | None = None,
    compress_size: int | None = None,
    method: int | None = None,
    flags: int | None = None,
) -> bytes:
    """``data`` (a zip without zip64 extras for ``name``) with ``name``'s recorded sizes,
    compression method or flags changed in both its local header and the central directory:
    a zip that lies."""
    out = bytearray(data)
    encoded = name.encode()
    found = 0
    # (signature, offset of the name length, of the name, of size, compressed size, method,
    # flags) in a local file header and in a central directory header.
    layouts = ((_LOCAL, 26, 30, 22, 18, 8, 6), (_CENTRAL, 28, 46, 24, 20, 10, 8))
    for sig, length_at, name_at, size_at, csize_at, method_at, flags_at in layouts:
        start = 0
        while (at := out.find(sig, start)) >= 0:
            start = at + 4
            length = struct.unpack_from("<H", out, at + length_at)[0]
            if bytes(out[at + name_at : at + name_at + length]) != encoded:
                continue
            found += 1
            for value, offset, fmt in (
                (file_size, size_at, "<I"),
                (compress_size, csize_at, "<I"),
                (method, method_at, "<H"),
                (flags, flags_at, "<H"),
            ):
                if value is not None:
                    struct.pack_into(fmt, out, at + offset, value)
    assert found == 2, f"{name}: {found} headers patched"
    return bytes(out)


def write_csv(path: Path, rows: Iterable[Sequence[Any]], *, encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        csv.writer(f).writerows(rows)
    return path


def write_lines(path: Path, head: str, line: str, times: int) -> Path:
    """A text file: ``head`` then ``line`` ``times`` times, written in chunks."""
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(head)
        chunk = line * 10_000
        for _ in range(times // 10_000):
            f.write(chunk)
        f.write(line * (times % 10_000))
    return path
