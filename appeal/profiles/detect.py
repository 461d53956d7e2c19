"""Telling a foreign layout when the user did not say ``--format``.

A real FTS download read as the contract's layout maps its HXL row's ``#org+name+funder`` onto
the donor and drops the rest — the import would "work" and be wrong. So before any header is
matched, the first rows are compared with every import profile's signature headers
(:attr:`models.contract.ProfileTable.signature`): a file showing enough of them is refused with
"this looks like an FTS export: use --format fts". XML files are told apart by their root
element (:func:`check_xml`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from appeal.spreadsheet import SpreadsheetError, clean_text, header_key
from models import contract

__all__ = ["check_layout", "check_xml", "looks_like"]


def looks_like(rows: Sequence[Sequence[Any]]) -> contract.ImportProfile | None:
    """The import profile whose signature headers one of ``rows`` shows, if any."""
    for profile in contract.PROFILES.values():
        for layout in profile.tables.values():
            if not layout.signature:
                continue
            wanted = {_key(s) for s in layout.signature}
            for row in rows:
                present = {_key(cell) for cell in row if isinstance(cell, str)}
                if len(wanted & present) >= layout.signature_min:
                    return profile
    return None


def _key(text: str) -> str:
    cleaned = clean_text(text)
    if cleaned.startswith("#"):
        return cleaned.casefold().replace(" ", "")
    return header_key(cleaned)


def check_layout(
    kind: str, head: Sequence[Sequence[Any]], file: str, sheet: str, profile: str | None
) -> None:
    """Refuse a foreign layout read without its profile (``profile`` None: the contract's)."""
    if profile is not None:
        return
    found = looks_like(head)
    if found is not None:
        raise SpreadsheetError(
            file, sheet, f"this looks like {found.looks_like}: use --format {found.name}"
        )


def check_xml(data: bytes, file: str, profile: str | None) -> None:
    """Refuse an XML file unless it is read with an XML profile (IATI)."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<"):
        return
    if profile == contract.IATI.name:
        return
    if b"iati-activities" in data[:65536] or b"iati-activity" in data[:65536]:
        raise SpreadsheetError(
            file, "", f"this looks like {contract.IATI.looks_like}: use --format iati"
        )
    raise SpreadsheetError(
        file, "", "an XML file that is not an IATI activity file; use .xlsx or .csv"
    )
