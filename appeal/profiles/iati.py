"""IATI activity files (XML) read as pledges: the reporting organisation's incoming money.

Each ``<transaction>`` of a type :data:`models.contract.IATI` maps to a status — incoming
pledge (13) pledged, incoming commitment (11) committed, incoming funds (1, ``IF`` in 1.0x)
paid — and received by the reporting organisation (no ``receiver-org``, or the reporting
organisation itself) is one pledge row: the provider is the donor (its ``@ref`` the donor's
IATI organisation id, its ``@type`` the donor type), the value its amount and currency
(else the activity's default currency), the value date its year, the transaction date its
pledge or paid date, and the Grand Bargain earmarking category (aid-type vocabulary 2, or the
earmarking modality, 3, on the transaction or the activity) its earmarking. The activity is
the line the money is earmarked to, found by identifier, other identifier or title among the
programmes' line_ids and names.

One donor's money in one activity is counted once: incoming funds are payments of commitments,
and commitments of pledges, so a commitment is kept only for what the funds have not paid yet
(and a pledge only for what neither covers); what they cover is set aside and reported.
Transactions sharing a reference are one flow's stages and are netted among themselves (the
planner's own export writes each pledge-year so); the others per donor and currency.

Parsing is safe: the file is refused if it declares a DTD or entities (checked by defusedxml
before anything else), then parsed by lxml with entity resolution and network access off, so
every pledge can name its XML line. Rows come out as a table of the contract's columns (as
text), for the importer to check like any other file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from lxml import etree

from appeal import limits
from appeal.profiles.engine import SetAside
from appeal.spreadsheet import SpreadsheetError, Table
from models import contract

__all__ = ["EARMARK_NOTE", "EXTENSION_NS", "read_activities"]

#: How the planner's IATI export writes a soft or list earmark in a transaction description.
EARMARK_NOTE = "earmark_to: "
#: The namespace of the planner's own IATI extension attributes (IATI allows attributes of
#: other namespaces): ``appeal:psc-rate`` on a transaction, its pledge's programme support
#: cost rate.
EXTENSION_NS = "urn:appeal-planner:iati"

#: The table's columns (contract columns, then the donors' profile columns).
COLUMNS: tuple[str, ...] = (
    "pledge_id",
    "donor",
    "amount",
    "currency",
    "year",
    "earmarking",
    "earmark_to",
    "status",
    "pledge_date",
    "paid_date",
    "donor_type",
    "iati_org_id",
    "psc_rate",
)
_HEADERS = {
    "pledge_id": "transaction/@ref",
    "donor": "transaction/provider-org",
    "amount": "transaction/value",
    "currency": "transaction/value/@currency",
    "year": "transaction/value/@value-date",
    "earmarking": "transaction/aid-type[@vocabulary=2]",
    "earmark_to": "iati-activity/iati-identifier",
    "status": "transaction/transaction-type",
    "pledge_date": "transaction/transaction-date",
    "paid_date": "transaction/transaction-date",
    "donor_type": "transaction/provider-org/@type",
    "iati_org_id": "transaction/provider-org/@ref",
    "psc_rate": "transaction/@appeal:psc-rate",
}


def read_activities(
    data: bytes, file: str, lines: dict[str, str]
) -> tuple[Table, list[SetAside], list[tuple[int | None, str]]]:
    """The incoming transactions of ``data`` as a pledge table, the transactions set aside
    (covered by others) and notes for the report. ``lines``: casefolded line_id or name ->
    line_id of the programmes. Notes are (XML line or None, text)."""
    root = _parse(data, file)
    profile = contract.IATI
    records: list[dict[str, Any]] = []
    skipped = {"other": 0, "elsewhere": 0}
    for activity in root.iter("iati-activity"):
        reporting = _first(activity, ("reporting-org/@ref",))
        for index, transaction in enumerate(activity.iter("transaction"), start=1):
            value = _values(transaction)
            status = profile.transaction_status.get(value.get("type", ""))
            if status is None:
                skipped["other"] += 1
                continue
            receiver = value.get("receiver", "")
            if receiver and reporting and receiver != reporting:
                skipped["elsewhere"] += 1
                continue
            records.append(_record(value, status, index, transaction.sourceline or 0, lines))
    set_aside = _net_superseded(records)
    for r in records:
        if not r.get("_set_aside") and r["amount"] and _amount(r) == 0.0:
            r["_set_aside"] = True
            set_aside.append(
                SetAside(r["_line"], "a transaction of value 0 (no money)", "transaction/value")
            )
    notes: list[tuple[int | None, str]] = []
    if skipped["other"]:
        notes.append(
            (
                None,
                f"{skipped['other']} transaction(s) of other types (disbursements, expenditure, "
                "outgoing commitments ...) are not pledges and were not read",
            )
        )
    if skipped["elsewhere"]:
        notes.append(
            (
                None,
                f"{skipped['elsewhere']} incoming transaction(s) received by another "
                "organisation than the reporting one were not read",
            )
        )
    kept = [r for r in records if not r.get("_set_aside")]
    notes.extend((r["_line"], r["_note"]) for r in kept if r.get("_note"))
    table = Table(
        file=file,
        sheet="",
        header_row=0,
        columns={c: i for i, c in enumerate(COLUMNS)},
        headers=dict(_HEADERS),
        rows=[(r["_line"], tuple(r.get(c) for c in COLUMNS)) for r in kept],
    )
    return table, set_aside, notes


def _parse(data: bytes, file: str) -> Any:
    try:
        limits.check_file_bytes(len(data))
    except limits.LimitExceeded as exc:
        raise SpreadsheetError(file, "", exc.message) from None
    try:
        # The gate: any DTD, entity declaration or external reference is refused here.
        SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise SpreadsheetError(
            file, "", f"the XML file declares a DTD or entities ({type(exc).__name__}); refused"
        ) from None
    except SafeET.ParseError as exc:
        line = getattr(exc, "position", (None,))[0]
        raise SpreadsheetError(file, "", f"not well-formed XML: {exc}", row=line) from None
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SpreadsheetError(file, "", f"not well-formed XML: {exc}", row=exc.lineno) from None
    if root.tag not in ("iati-activities", "iati-activity"):
        raise SpreadsheetError(
            file, "", f"not an IATI activity file (its root element is <{root.tag}>)"
        )
    return root


def _first(element: Any, paths: Sequence[str]) -> str:
    """The first non-blank value the paths give (element text or attribute), stripped."""
    for path in paths:
        found = element.xpath(path)
        for item in found if isinstance(found, list) else [found]:
            text = item if isinstance(item, str) else (item.text or "")
            text = " ".join(str(text).split())
            if text:
                return text
    return ""


def _values(transaction: Any) -> dict[str, str]:
    return {column: _first(transaction, paths) for column, paths in contract.IATI.xml.items()}


def _record(
    value: dict[str, str], status: str, index: int, line: int, lines: dict[str, str]
) -> dict[str, Any]:
    profile = contract.IATI
    activity = value.get("activity", "")
    reference = value.get("reference", "")
    pledge_id = f"{activity}/{reference or f'T{index}'}/{value.get('type', '')}"
    if len(pledge_id) > contract.CODE_LENGTH:
        pledge_id = "IATI-" + hashlib.sha1(pledge_id.encode("utf-8")).hexdigest()[:16]
    line_id = next(
        (
            lines[key.casefold()]
            for key in (activity, value.get("activity_code", ""), value.get("activity_title", ""))
            if key and key.casefold() in lines
        ),
        "",
    )
    category = profile.earmarking_codes.get(("2", value.get("earmark_category", "")))
    category = category or profile.earmarking_codes.get(("3", value.get("earmark_modality", "")))
    note = value.get("earmark_note", "")
    if category == "unearmarked":
        earmarking, target = "unearmarked", ""
    elif note.startswith(EARMARK_NOTE):
        # The planner's own export: the earmark as it was (soft, or a list of lines).
        earmarking, target = category or "earmarked", note.removeprefix(EARMARK_NOTE).strip()
    else:
        earmarking = category or "earmarked"
        target = line_id or activity
    date = value.get("date", "")[:10]
    return {
        "_line": line,
        "_ref": reference,
        "_group": (
            activity,
            value.get("iati_org_id") or value.get("donor", ""),
            value.get("currency"),
        ),
        "pledge_id": pledge_id,
        "donor": value.get("donor", ""),
        "amount": value.get("amount", ""),
        "currency": value.get("currency", ""),
        "year": value.get("year", "")[:10],
        "earmarking": earmarking,
        "earmark_to": target,
        "status": status,
        "pledge_date": date if status != "paid" else "",
        "paid_date": date if status == "paid" else "",
        "donor_type": profile.organisation_types.get(value.get("donor_type", ""), ""),
        "iati_org_id": value.get("iati_org_id", ""),
        "psc_rate": value.get("psc_rate", ""),
    }


def _amount(record: dict[str, Any]) -> float | None:
    """The transaction's value, None when it is not a number (the importer reports it)."""
    try:
        return float(str(record["amount"]).replace(",", ""))
    except ValueError:
        return None


def _net_superseded(records: list[dict[str, Any]]) -> list[SetAside]:
    """Keep each donor's commitments (and pledges) in an activity only for what its later
    stage does not already count; the covered rows are set aside (marked ``_set_aside``)."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    # A reference several transactions share names one flow through its stages (pledge,
    # commitment, funds): those are netted among themselves; the others per donor.
    refs: dict[tuple[Any, str], int] = {}
    for record in records:
        if record["_ref"]:
            key = (record["_group"][0], record["_ref"])
            refs[key] = refs.get(key, 0) + 1
    for record in records:
        if (_amount(record) or 0.0) > 0:  # reversals (negative) are adjustments, handled later
            shared = refs.get((record["_group"][0], record["_ref"]), 0) > 1
            key = (*record["_group"], record["_ref"] if shared else None)
            groups.setdefault(key, []).append(record)
    out: list[SetAside] = []
    for members in groups.values():
        total = {
            s: sum(_amount(r) or 0.0 for r in members if r["status"] == s)
            for s in contract.STATUSES
        }
        covered = {"committed": total["paid"], "pledged": max(total["paid"], total["committed"])}
        for stage, later in covered.items():
            rows = [r for r in members if r["status"] == stage]
            if not rows or later <= 0:
                continue
            rest = total[stage] - later
            keep = max(rows, key=lambda r: (r["year"], r["_line"])) if rest > 0 else None
            for r in rows:
                if r is keep:
                    r["amount"] = repr(rest)
                    continue
                r["_set_aside"] = True
                out.append(
                    SetAside(
                        r["_line"],
                        f"{stage} money of {r['donor'] or 'this provider'} already counted as "
                        f"its {'incoming funds' if stage == 'committed' else 'later stages'} "
                        "in the same activity",
                        "transaction/transaction-type",
                    )
                )
            if keep is not None:
                keep["_note"] = (
                    f"{stage} {rest:,.2f} kept of {total[stage]:,.2f}: its later stages in the "
                    f"same activity already count {later:,.2f}"
                )
    return out
