"""Reading xlsx workbooks: fast, and bounded in time and memory whatever the file holds.

An xlsx is a zip of XML parts. :func:`workbook_sheets` opens one only when it is a valid zip
whose central directory is within :mod:`appeal.limits`; then it reads the workbook part, the
shared strings and the styles, and returns each worksheet with a function that streams its
rows. Every part is read through :class:`appeal.limits.BoundedStream` (the bytes really
decompressed are counted: recorded sizes can lie), refused when it declares a DTD (the XML
parser itself reports ``<!DOCTYPE`` before anything is expanded), and parsed with the C
ElementTree — small parts as a whole tree (the fastest way), large ones streamed, each element
dropped once read.

Rows come out as ``(Excel row number, cell values)``, only rows that hold a value, each counted
by the sheet's :class:`appeal.limits.SheetBudget` *before* it is built: a sheet claiming row
1000000000 or column ZZZZZZ is refused without allocating anything. Values are what openpyxl's
read-only, ``data_only=False`` mode gives (formulas as ``"=..."`` text, dates as datetimes via
the cell's number format), except that a cell holding no usable value — an Excel error value
(``t="e"``, ``#N/A``), a number that is not finite, a date serial out of range, text longer
than :data:`appeal.limits.FIELD_CHARS` — is a :class:`BadCell`, which every cell parser refuses
with a message located at its row and column.

Whatever else is wrong with a file is an :class:`XlsxError` naming the part (and row), never a
raw zip or parser exception. Public surface: :func:`workbook_sheets`, :class:`Sheet`,
:class:`BadCell`, :class:`XlsxError`, :data:`ERROR_VALUES`.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import posixpath
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.parsers import expat

from appeal import limits

__all__ = ["ERROR_VALUES", "BadCell", "Sheet", "XlsxError", "workbook_sheets"]

#: Excel's error values, as cells show them (a formula's cached result, or typed/pasted text).
ERROR_VALUES: frozenset[str] = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#PYTHON!",
    }
)

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_STRICT = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_DEFAULT_BOOK = "xl/workbook.xml"
#: Parts up to this size (uncompressed XML) are parsed as a whole tree (the fastest way);
#: larger sheets and shared strings are streamed, larger structural parts refused.
TREE_BYTES = limits.TREE_PART_BYTES
_DIGITS = "0123456789"


class XlsxError(Exception):
    """The workbook cannot be read; ``part`` (and ``row``) say where, the message why."""

    def __init__(self, message: str, *, part: str = "", row: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.part = part
        self.row = row


@dataclass(frozen=True)
class BadCell:
    """A cell that holds no usable value; ``text`` is what it shows, ``reason`` why it is
    refused (the cell parsers raise it as the row's error)."""

    text: str
    reason: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name, whether the workbook hides it, and its rows (a fresh iterator
    of ``(row number, values)`` per call)."""

    title: str
    hidden: bool
    rows: Callable[[], Iterator[tuple[int, tuple[Any, ...]]]]


def workbook_sheets(data: bytes) -> list[Sheet]:
    """The worksheets of an xlsx file's bytes, in workbook order (chart sheets left out).

    Raises :class:`XlsxError` for a file that is not a readable workbook and
    :class:`appeal.limits.LimitExceeded` for one beyond the limits.
    """
    return _Workbook(_open_archive(data)).sheets


# -- the zip --------------------------------------------------------------------------------
def _open_archive(data: bytes) -> zipfile.ZipFile:
    if not data:
        raise XlsxError("the file is empty")
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise XlsxError("this is an old .xls workbook; save it as .xlsx")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise XlsxError(
            f"not an xlsx workbook (the file is not a readable zip archive: {_reason(exc)})"
        ) from None
    limits.check_archive(archive.infolist())
    return archive


def _reason(exc: BaseException) -> str:
    """Why a zip or part could not be read, for people (never the exception's class name)."""
    text = str(exc)
    if isinstance(exc, zipfile.BadZipFile) and "CRC" in text:
        return "its checksum does not match: truncated, or its recorded size is wrong"
    if isinstance(exc, zipfile.BadZipFile) and "not a zip file" in text.casefold():
        return "truncated or damaged"
    if isinstance(exc, zlib.error):
        return "its compressed data is corrupt"
    if isinstance(exc, EOFError):
        return "it ends early: truncated"
    if isinstance(exc, RuntimeError) and "encrypted" in text:
        return "it is encrypted"
    if isinstance(exc, NotImplementedError):
        return "it uses a compression method this tool cannot read"
    return text.rstrip(".") or "damaged"


class _Part:
    """One part read through the limits, with its prolog watched for a DTD: a file-like
    object for :func:`xml.etree.ElementTree.iterparse` and for whole reads."""

    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        try:
            info = archive.getinfo(name)
        except KeyError:
            raise XlsxError(f"part {name} is missing (the file is damaged)", part=name) from None
        self.name = name
        self.size = info.file_size
        self._prolog = _Prolog(name)
        try:
            raw: IO[bytes] = archive.open(info)
        except (limits.LimitExceeded, XlsxError):
            raise
        except Exception as exc:  # any failure to open a part means a damaged file
            raise XlsxError(f"part {name} cannot be unpacked ({_reason(exc)})", part=name) from None
        self._stream = limits.BoundedStream(raw, name, info.compress_size)
        self._raw = raw

    def read(self, n: int = -1) -> bytes:
        try:
            data = self._stream.read(n)
        except (limits.LimitExceeded, XlsxError, MemoryError):
            raise
        except Exception as exc:  # zlib, CRC, truncation, encryption ...: a damaged part
            raise XlsxError(
                f"part {self.name} cannot be unpacked ({_reason(exc)})", part=self.name
            ) from None
        if not self._prolog.done:
            self._prolog.feed(data, final=not data or n is None or n < 0)
        return data

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> _Part:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _RootSeen(Exception):
    pass


class _Prolog:
    """Feeds a part's first bytes to expat until the root element starts, refusing a document
    type declaration on the way (so no entity is ever declared, let alone expanded)."""

    def __init__(self, part: str) -> None:
        self.part = part
        self.done = False
        self._parser: Any = expat.ParserCreate()
        self._parser.StartDoctypeDeclHandler = self._doctype
        self._parser.StartElementHandler = self._root

    def _doctype(self, *_: object) -> None:
        raise XlsxError(
            f"part {self.part} declares a DTD (<!DOCTYPE ...>), which workbooks never do; its "
            "entities could expand without bound or read other files, so it is refused",
            part=self.part,
        )

    def _root(self, *_: object) -> None:
        raise _RootSeen

    def feed(self, data: bytes, *, final: bool) -> None:
        try:
            self._parser.Parse(data, final)
        except _RootSeen:
            self.done = True
            self._parser = None
        except expat.ExpatError as exc:
            raise XlsxError(
                f"part {self.part} is not well-formed XML ({expat.ErrorString(exc.code)}, "
                f"line {exc.lineno}, column {exc.offset})",
                part=self.part,
            ) from None


def _parse_error(part: str, exc: ET.ParseError) -> XlsxError:
    return XlsxError(f"part {part} is not well-formed XML ({exc})", part=part)


# -- the workbook ---------------------------------------------------------------------------
class _Workbook:
    """The workbook part, its relationships, shared strings and date styles, and its sheets."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.names = set(archive.namelist())
        book_path = self._book_path()
        book = self._tree(book_path)
        if book.tag == _STRICT + "workbook":
            raise XlsxError(
                "this is a Strict Open XML workbook, which this tool cannot read; save it as "
                "an ordinary Excel Workbook (.xlsx)",
                part=book_path,
            )
        if book.tag != _MAIN + "workbook":
            raise XlsxError(f"part {book_path} is not a workbook", part=book_path)
        folder = posixpath.dirname(book_path)
        rels_path = posixpath.join(folder, "_rels", posixpath.basename(book_path) + ".rels")
        if rels_path not in self.names:
            raise XlsxError(
                f"part {rels_path} is missing, so the workbook's sheets cannot be found",
                part=rels_path,
            )
        targets = {
            r.get("Id"): (r.get("Type", ""), _resolve(folder, r.get("Target", "")))
            for r in self._tree(rels_path)
        }
        pr = book.find(_MAIN + "workbookPr")
        self.date1904 = pr is not None and pr.get("date1904", "0") in ("1", "true")
        by_type = {kind.rsplit("/", 1)[-1]: path for kind, path in targets.values()}
        self.shared = self._shared_strings(by_type.get("sharedStrings", "xl/sharedStrings.xml"))
        self.date_styles = self._date_styles(by_type.get("styles", "xl/styles.xml"))
        self.sheets: list[Sheet] = []
        for sh in book.iter(_MAIN + "sheet"):
            title = sh.get("name", "")
            kind, path = targets.get(sh.get(_REL_ID), ("", ""))
            if not (kind.endswith("/worksheet") or (not kind and "worksheets/" in path)):
                continue  # chart sheets and the like hold no rows
            if path not in self.names:
                raise XlsxError(
                    f"the workbook lists sheet {title!r} at {path or '(no part)'}, but the file "
                    "has no such part (damaged?)",
                    part=path,
                )
            hidden = sh.get("state", "visible") in ("hidden", "veryHidden")
            self.sheets.append(Sheet(title, hidden, functools.partial(self._rows, path)))

    def _book_path(self) -> str:
        if _DEFAULT_BOOK in self.names:
            return _DEFAULT_BOOK
        if "_rels/.rels" in self.names:
            for rel in self._tree("_rels/.rels"):
                if rel.get("Type", "").endswith("/officeDocument"):
                    path = _resolve("", rel.get("Target", ""))
                    if path in self.names:
                        return path
        raise XlsxError("not an xlsx workbook (it has no workbook part)")

    # -- parsing parts ----------------------------------------------------------------------
    def _tree(self, name: str) -> ET.Element:
        """A small part as a whole tree (parts larger than :data:`TREE_BYTES` that are not
        streamed are refused: a tree takes many times its XML in memory)."""
        with _Part(self.archive, name) as part:
            if part.size > TREE_BYTES:
                raise limits.LimitExceeded(
                    f"part {name} is {limits.size_text(part.size)}; parts of its kind are at "
                    f"most {limits.size_text(TREE_BYTES)} in a workbook",
                    part=name,
                )
            data = part.read()
        try:
            return ET.fromstring(data)
        except ET.ParseError as exc:
            raise _parse_error(name, exc) from None

    def _elements(self, name: str, tag: str) -> Iterator[ET.Element]:
        """The ``tag`` elements of a part, whole, in document order: from a tree for a small
        part, streamed for a large one (each dropped once the caller is done with it, and
        everything else dropped as soon as it ends, so memory stays small)."""
        if self.archive.getinfo(name).file_size <= TREE_BYTES:
            yield from self._tree(name).iter(tag)
            return
        with _Part(self.archive, name) as part:
            stack: list[ET.Element] = []
            inside = 0
            try:
                for event, elem in ET.iterparse(part, events=("start", "end")):
                    if event == "start":
                        stack.append(elem)
                        inside += elem.tag == tag
                        continue
                    stack.pop()
                    if elem.tag == tag:
                        inside -= 1
                        yield elem
                    elif inside:
                        continue  # part of a wanted element: kept until that one ends
                    if stack:
                        stack[-1].remove(elem)  # the only child left: removing is O(1)
            except ET.ParseError as exc:
                raise _parse_error(name, exc) from None

    def _shared_strings(self, name: str) -> list[Any]:
        if name not in self.names:
            return []
        out: list[Any] = []
        for si in self._elements(name, _MAIN + "si"):
            text = _text_of(si)
            out.append(_too_long(text) if len(text) > limits.FIELD_CHARS else text)
        return out

    def _date_styles(self, name: str) -> frozenset[int]:
        """Indices of the cell formats that show numbers as dates."""
        if name not in self.names:
            return frozenset()
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

        styles = self._tree(name)
        try:
            custom = {
                int(f.get("numFmtId", "0")): f.get("formatCode", "")
                for f in styles.iter(_MAIN + "numFmt")
            }
            xfs = styles.find(_MAIN + "cellXfs")
            found = set()
            for i, xf in enumerate(xfs if xfs is not None else []):
                fid = int(xf.get("numFmtId", "0"))
                code = custom.get(fid, BUILTIN_FORMATS.get(fid, ""))
                if code and is_date_format(code):
                    found.add(i)
        except ValueError as exc:
            raise XlsxError(
                f"part {name} has a number format that is not a number ({exc})", part=name
            ) from None
        return frozenset(found)

    # -- rows ------------------------------------------------------------------------------
    def _rows(self, path: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """The rows of one sheet part that hold a value (see the module docstring)."""
        if self.archive.getinfo(path).file_size <= TREE_BYTES:
            root = self._tree(path)
            if not root.tag.startswith(_MAIN):
                raise XlsxError(f"part {path} is not a worksheet", part=path)
            data = root.find(_MAIN + "sheetData")
            elems: Iterable[ET.Element] = data if data is not None else ()
        else:
            elems = self._elements(path, _MAIN + "row")
        yield from _cells(elems, path, self.shared, self.date_styles, self.date1904)


def _resolve(folder: str, target: str) -> str:
    """A relationship target as a part name (absolute targets start at the package root)."""
    path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
    return posixpath.normpath(path) if path else ""


def _text_of(elem: ET.Element) -> str:
    """Concatenated text of the <t> runs of a shared or inline string (phonetic runs skipped)."""
    parts = []
    for child in elem:
        tag = child.tag
        if tag == _MAIN + "t":
            parts.append(child.text or "")
        elif tag == _MAIN + "r":
            for t in child.iter(_MAIN + "t"):
                parts.append(t.text or "")
    return "".join(parts)


def _too_long(text: str) -> BadCell:
    return BadCell(
        text[:20] + "…",
        f"the cell holds {len(text):,} characters; the limit is {limits.FIELD_CHARS:,}",
    )


#: Letters longer than this cannot be a column of any spreadsheet (Excel's last is XFD); the
#: index is only computed to be refused, so it is capped rather than computed digit by digit.
_LONGEST_LETTERS = 7


@functools.lru_cache(maxsize=1024)
def _letters_index(letters: str) -> int:
    """0-based column of the letters of a cell reference ("AB" -> 27)."""
    if not letters or not letters.isascii() or not letters.isalpha():
        raise ValueError(f"{letters!r} is not a column")
    if len(letters) > _LONGEST_LETTERS:
        return 26**_LONGEST_LETTERS
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _cells(
    elems: Iterable[ET.Element],
    path: str,
    shared: list[Any],
    date_styles: frozenset[int],
    date1904: bool,
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, values) of each <row> holding a value. The hot loop of an import: written
    out in one piece, with the limits counted once per row."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel

    base = CALENDAR_MAC_1904 if date1904 else WINDOWS_EPOCH
    budget = limits.SheetBudget()
    row_tag, c_tag = _MAIN + "row", _MAIN + "c"
    v_tag, f_tag, is_tag = _MAIN + "v", _MAIN + "f", _MAIN + "is"
    field_chars = limits.FIELD_CHARS
    last_row = limits.ROW_NUMBER
    isfinite = math.isfinite
    expected = 1
    number = 0
    try:
        for elem in elems:
            if elem.tag != row_tag:
                continue
            r = elem.get("r")
            number = int(r) if r is not None else expected
            if not 0 < number <= last_row:
                raise limits.LimitExceeded(
                    f"part {path} has a row numbered {number}; rows are numbered 1 to {last_row:,}",
                    part=path,
                    row=number if number > 0 else None,
                )
            expected = number + 1
            cells: dict[int, Any] = {}
            position = 0
            for c in elem.iter(c_tag):
                ref = c.get("r")
                # _letters_index is cached: the same few columns repeat on every row.
                col = _letters_index(ref.rstrip(_DIGITS)) if ref else position
                position = col + 1
                f = c.find(f_tag)
                if f is not None:
                    cells[col] = "=" + (f.text or "")
                    continue
                kind = c.get("t", "n")
                if kind == "inlineStr":
                    inline = c.find(is_tag)
                    if inline is not None:
                        inline_text = _text_of(inline)
                        long = len(inline_text) > field_chars
                        cells[col] = _too_long(inline_text) if long else inline_text
                    continue
                v = c.find(v_tag)
                text = v.text if v is not None else None
                if text is None:
                    continue
                if kind == "s":
                    index = int(text)
                    if index < 0:
                        raise IndexError(index)
                    cells[col] = shared[index]
                elif kind == "b":
                    cells[col] = text.strip() in ("1", "true")
                elif kind == "str":
                    cells[col] = _too_long(text) if len(text) > field_chars else text
                elif kind == "e":
                    cells[col] = BadCell(text[:40], f"Excel error value {text[:40]}")
                elif kind == "d":
                    try:
                        cells[col] = dt.datetime.fromisoformat(text)
                    except ValueError:
                        cells[col] = BadCell(text[:40], f"{text[:40]!r} is not a valid date")
                else:
                    try:
                        # Long digit strings are floats: Excel numbers are doubles, and a
                        # huge int would not even convert to one.
                        num: float | int = int(text) if len(text) < 16 else float(text)
                    except ValueError:
                        try:
                            num = float(text)
                        except ValueError:
                            cells[col] = BadCell(text[:40], f"{text[:40]!r} is not a number")
                            continue
                    if type(num) is float and not isfinite(num):
                        cells[col] = BadCell(text[:40], f"{text[:40]} is not a finite number")
                        continue
                    style = c.get("s")
                    if style is not None and int(style) in date_styles:
                        try:
                            cells[col] = from_excel(num, base)
                        except (ValueError, OverflowError):
                            cells[col] = BadCell(
                                text[:40], f"the date serial number {text[:40]} is out of range"
                            )
                    else:
                        cells[col] = num
            if not cells:
                continue
            width = max(cells) + 1
            budget.row(number, width)  # before the row is allocated
            row: list[Any] = [None] * width
            for col, value in cells.items():
                row[col] = value
            yield number, tuple(row)
    except (ValueError, IndexError, TypeError) as exc:
        where = f"row {number}" if number else "a row"
        raise XlsxError(
            f"part {path}: {where} cannot be read ({_cell_reason(exc)})",
            part=path,
            row=number or None,
        ) from None


def _cell_reason(exc: Exception) -> str:
    if isinstance(exc, IndexError):
        return "a cell points at a shared string that does not exist"
    return str(exc) or "damaged"
