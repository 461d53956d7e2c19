"""The plan as an IATI activity file (standard 2.03), reported by the appeal's organisation.

- one activity per budget line (``iati-identifier`` ``ORG-LINE``, its line_id as the
  ``other-identifier``), and one for the appeal as a whole (``ORG-APPEAL``) holding the money
  not earmarked to one line;
- every pledge's money per year is incoming transactions of the activity it is earmarked to,
  one per stage it has reached under one reference: an incoming pledge (13); and an incoming
  commitment (11) once committed; and incoming funds (1) once paid — the codes
  :data:`models.contract.IATI` reads back, netting the stages of one reference — with the donor as
  provider (its IATI organisation id and type where known), the value in the pledge's currency
  (in USD when the pledge has its own exchange rate, which IATI cannot carry), and the Grand
  Bargain earmarking category (aid-type vocabulary 2); a soft or list earmark writes its
  target in the transaction's description (``earmark_to: theme:gender``), which the reader
  takes back; the pledge's programme support cost rate, which IATI has no element for, is the
  planner's extension attribute ``appeal:psc-rate`` (namespace
  :data:`appeal.profiles.iati.EXTENSION_NS`) on each transaction;
- the allocation is the lines' disbursements (3): what each line gets per year, in USD.

Read back with ``--format iati``, the file gives every pledge's money again (one pledge per
transaction). XML is written with lxml, so no text can break out of its element.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
from lxml import etree

from appeal.exports._rows import rows as _rows
from appeal.profiles.iati import EARMARK_NOTE, EXTENSION_NS
from models import contract
from models.analytics import PlanRun
from models.plan import split_list
from models.privacy import donor_aliases

__all__ = ["APPEAL_ACTIVITY", "DEFAULT_REPORTING_ORG", "EARMARK_NOTE", "write"]

#: The reporting organisation's identifier when none is given (set yours: --reporting-org).
DEFAULT_REPORTING_ORG = "XI-APPEAL"
#: The activity holding money not earmarked to one line.
APPEAL_ACTIVITY = "APPEAL"
_DISBURSEMENT = "3"
#: The pledge's programme support cost rate, an extension attribute of its transactions.
_PSC = f"{{{EXTENSION_NS}}}psc-rate"
#: A pledge's stages in order (a paid pledge was pledged and committed first).
_STAGES: tuple[str, ...] = contract.STATUSES

# Inverse maps of the IATI profile: status -> transaction type, earmarking -> category,
# donor type -> organisation type.
_TYPE = {
    s: code
    for code, s in reversed(list(contract.IATI.transaction_status.items()))
    if code.isdigit()
}
_CATEGORY = {e: code for (vocab, code), e in contract.IATI.earmarking_codes.items() if vocab == "2"}
_ORG_TYPE = {t: code for code, t in reversed(list(contract.IATI.organisation_types.items()))}


def _text(parent: Any, tag: str, text: str, **attrs: str) -> Any:
    element = etree.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()})
    etree.SubElement(element, "narrative").text = text
    return element


def write(
    path: Path, run: PlanRun, *, reveal_confidential: bool = False, reporting_org: str
) -> Path:
    """Write the activity file to ``path``."""
    plan = run.plan
    aliases = donor_aliases(plan, reveal=reveal_confidential)
    donors = plan.donor_table().set_index("donor")
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    root = etree.Element(
        "iati-activities",
        {"version": "2.03", "generated-datetime": now},
        nsmap={"appeal": EXTENSION_NS},
    )
    activities: dict[str, Any] = {}

    def activity(key: str, title: str) -> Any:
        if key not in activities:
            element = etree.SubElement(
                root,
                "iati-activity",
                {"default-currency": "USD", "last-updated-datetime": now, "hierarchy": "1"},
            )
            etree.SubElement(element, "iati-identifier").text = f"{reporting_org}-{key}"
            _text(element, "reporting-org", plan.title, ref=reporting_org, type="40")
            _text(element, "title", title)
            etree.SubElement(element, "other-identifier", ref=key, type="A1")
            activities[key] = element
        return activities[key]

    activity(APPEAL_ACTIVITY, plan.title)
    for line in _rows(plan.programmes):
        activity(str(line.line_id), str(line.name))
    tranches = plan.tranches.groupby("pledge_id")
    for pledge in _rows(plan.pledges):
        pid = str(pledge.pledge_id)
        lines = split_list(pledge.earmark_to)
        single = pledge.earmarking in ("earmarked", "tightly_earmarked") and len(lines) == 1
        home = activity(lines[0] if single else APPEAL_ACTIVITY, "")
        donor = str(pledge.donor)
        shown = aliases.get(donor, donor)
        hidden = shown != donor
        own_rate = float(pledge.exchange_rate or 0.0)
        provider = {}
        if not hidden:
            org = _donor_value(donors, donor, "iati_org_id")
            if org:
                provider["ref"] = org
            kind = _ORG_TYPE.get(_donor_value(donors, donor, "donor_type"))
            if kind:
                provider["type"] = kind
        for tranche in _rows(tranches.get_group(pid)):
            year = int(tranche.year)
            currency, value = (
                ("USD", float(tranche.gross_usd))
                if own_rate
                else (str(pledge.currency), float(tranche.amount))
            )
            # Each stage the money has reached, under one reference: pledged; pledged and
            # committed; pledged, committed and paid — as IATI reports a flow's life.
            for status in _STAGES[: _STAGES.index(str(pledge.status)) + 1]:
                t = etree.SubElement(
                    home,
                    "transaction",
                    {"ref": f"{pid}:{year}", _PSC: repr(float(pledge.psc_rate))},
                )
                etree.SubElement(t, "transaction-type", code=_TYPE[status])
                date = str((pledge.paid_date if status == "paid" else pledge.pledge_date) or "")
                etree.SubElement(t, "transaction-date", {"iso-date": date or f"{year}-01-01"})
                etree.SubElement(
                    t, "value", {"currency": currency, "value-date": f"{year}-01-01"}
                ).text = repr(value)
                if not single and pledge.earmarking != "unearmarked":
                    _text(t, "description", EARMARK_NOTE + str(pledge.earmark_to))
                _text(t, "provider-org", shown, **provider)
                etree.SubElement(
                    t, "aid-type", code=_CATEGORY[str(pledge.earmarking)], vocabulary="2"
                )
    _disbursements(run, activities, reporting_org)
    path.write_bytes(
        etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    )
    return path


def _donor_value(donors: pd.DataFrame, donor: str, column: str) -> str:
    if donor not in donors.index:
        return ""
    value = donors.at[donor, column]
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _disbursements(run: PlanRun, activities: dict[str, Any], reporting_org: str) -> None:
    """Each line's allocation per year, as disbursements of its activity (in USD)."""
    allocations = run.result.allocations
    if allocations.empty:
        return
    entity = dict(zip(run.plan.programmes["line_id"], run.plan.programmes["entity"], strict=True))
    sums = allocations.groupby(["line_id", "year"], as_index=False)["amount_usd"].sum()
    for row in _rows(sums):
        line, year, usd = str(row.line_id), int(row.year), float(row.amount_usd)
        t = etree.SubElement(activities[str(line)], "transaction")
        etree.SubElement(t, "transaction-type", code=_DISBURSEMENT)
        etree.SubElement(t, "transaction-date", {"iso-date": f"{int(year)}-01-01"})
        etree.SubElement(
            t, "value", {"currency": "USD", "value-date": f"{int(year)}-01-01"}
        ).text = repr(float(usd))
        _text(t, "provider-org", run.plan.title, ref=reporting_org)
        _text(t, "receiver-org", str(entity.get(line, "")))
