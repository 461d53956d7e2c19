"""Reading csv files into rows of text cells (moved out of :mod:`appeal.spreadsheet`).

The spreadsheet reader (:func:`appeal.spreadsheet.read_table`) finds the header and maps the
columns; this module only turns a csv file's bytes into rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from appeal.spreadsheet import SpreadsheetError

__all__ = ["iter_csv_rows"]


def _decode_csv(data: bytes, file: str) -> str:
    if not data.strip():
        raise SpreadsheetError(file, "", "the file is empty")
    if b"\x00" in data[:4096]:
        raise SpreadsheetError(file, "", "not a text csv file (binary content)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(file, "", "cannot decode the csv file (save it as UTF-8)")


def iter_csv_rows(data: bytes, file: str) -> Iterator[tuple[Any, ...]]:
    text = _decode_csv(data, file)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            yield tuple(row)
    except csv.Error as exc:
        raise SpreadsheetError(file, "", f"malformed csv: {exc}") from None
