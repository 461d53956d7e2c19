"""The pledges page's upload report (issue 12, item 7), below the browser: a missing exchange
rate named once, added by the analyst from the report (validated, audited) so the next check
takes the rows; the rejected rows downloadable as a workbook with a reason column; instalments
of an upload stored with its pledges; FTS and IATI layouts chosen on the page."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from appeal.importer import ImportReport
from appeal.register import Register
from dashboards.logic import pledges as logic
from models.plan import Plan

HEADER = "pledge_id,donor,amount,currency,year,earmarking,earmark_to,status\n"


def _stored(register: Register, plan: Plan) -> Plan:
    register.import_plan(plan, ImportReport())
    return register.load_plan()


def test_a_missing_rate_is_added_from_the_report_and_the_rows_then_pass(
    register: Register, sample_plan: Plan
) -> None:
    plan = _stored(register, sample_plan)
    assert "BRL" not in set(plan.fx["currency"])
    data = (
        HEADER
        + "U-1,Brazil,500000,BRL,2027,unearmarked,,pledged\n"
        + "U-2,Brazil,250000,BRL,2028,unearmarked,,committed\n"
        + "U-3,Norway,100000,USD,2027,unearmarked,,paid\n"
    ).encode()
    check = logic.check_upload(data, "brazil.csv", plan)
    assert check.report.missing_rates() == ["BRL"]
    rate_errors = [e for e in check.report.errors if "exchange rate" in e.message]
    assert len(rate_errors) == 1  # once for the file, not once per row
    assert (check.valid_rows, check.rejected_rows) == (1, 2)

    with pytest.raises(logic.UploadError, match="BRL"):
        logic.add_rate(register, "BRL", "-1")
    with pytest.raises(logic.UploadError, match="must be a number"):
        logic.add_rate(register, "BRL", "lots")
    assert "BRL" not in set(register.fx()["currency"])  # nothing stored by a refused rate

    assert logic.add_rate(register, "brl", "0.9") == "Stored the rate BRL 0.9 per USD."
    audit = register.audit_log()
    added = audit.loc[audit["action"] == "fx.add"]
    assert added["target"].tolist() == ["BRL"]

    again = logic.check_upload(data, "brazil.csv", register.load_plan())
    assert again.report.ok and (again.valid_rows, again.rejected_rows) == (3, 0)
    logic.store_checked(register, again, data)
    stored = register.load_plan()
    new = stored.tranches.loc[stored.tranches["pledge_id"].isin(["U-1", "U-2"])]
    assert new["gross_usd"].sum() == pytest.approx(750_000 / 0.9)


def test_the_rejected_rows_download_has_a_reason_column(sample_plan: Plan) -> None:
    data = (
        HEADER
        + "U-1,Norway,100000,USD,2027,unearmarked,,paid\n"
        + "U-2,Germany; Norway,100000,USD,2027,unearmarked,,paid\n"
        + "U-3,Japan,100000,USD,2027,earmarked,FLAG-99,paid\n"
    ).encode()
    check = logic.check_upload(data, "mixed.csv", sample_plan)
    ws = openpyxl.load_workbook(io.BytesIO(logic.rejected_workbook(check)))["Rejected rows"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][:4] == ["file", "sheet", "row", "reason"]
    assert [(r[0], r[2]) for r in rows[1:]] == [("mixed.csv", 3), ("mixed.csv", 4)]
    assert "several donors" in rows[1][3] and "FLAG-99" in rows[2][3]
    assert rows[2][rows[0].index("earmark_to")] == "FLAG-99"


def test_an_uploads_instalments_are_stored_with_its_pledges(
    register: Register, sample_plan: Plan
) -> None:
    plan = _stored(register, sample_plan)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Pledges"
    ws.append(["pledge_id", "donor", "amount", "currency", "year", "earmarking", "status"])
    ws.append(["I-1", "Norway", 3_000_000, "USD", 2027, "unearmarked", "pledged"])
    sheet = wb.create_sheet("Instalments")
    sheet.append(["pledge_id", "due_date", "amount"])
    sheet.append(["I-1", "2027-01-31", 1_000_000])
    sheet.append(["I-1", "2029-01-31", 2_000_000])
    buffer = io.BytesIO()
    wb.save(buffer)
    check = logic.check_upload(buffer.getvalue(), "sched.xlsx", plan)
    assert check.report.ok
    logic.store_checked(register, check, buffer.getvalue())
    stored = register.instalments()
    assert stored["due_date"].tolist() == ["2027-01-31", "2029-01-31"]
    tranches = register.tranches()
    mine = tranches.loc[tranches["pledge_id"] == "I-1"].sort_values("year")
    assert mine["year"].tolist() == [2027, 2029]
    assert mine["gross_usd"].tolist() == pytest.approx([1_000_000.0, 2_000_000.0])


def test_an_fts_download_is_checked_with_the_layout_chosen_on_the_page(tmp_path: Path) -> None:
    """The upload's layout select: the real HDX FTS file checked as ``fts`` gives its flows
    (figures from the raw file in tests/test_profiles_fts.py's way); as the contract's layout
    it is refused with the hint, nothing to store."""
    import pandas as pd

    from appeal.importer import read_programmes
    from models.plan import PLEDGE_COLUMNS, TRANCHE_COLUMNS
    from tests.test_profiles_fts import FLOWS_JOR, cluster_programmes, expected_flows, raw

    rows = raw(FLOWS_JOR)
    want = expected_flows(rows)
    programmes, requirements, _ = read_programmes(cluster_programmes(tmp_path, rows))
    plan = Plan.build(
        programmes=programmes,
        requirements=requirements,
        pledges=pd.DataFrame(columns=PLEDGE_COLUMNS),
        tranches=pd.DataFrame(columns=TRANCHE_COLUMNS),
        fx=pd.DataFrame({"currency": ["USD"], "units_per_usd": [1.0], "as_of": [""]}),
    )
    data = FLOWS_JOR.read_bytes()
    check = logic.check_upload(data, FLOWS_JOR.name, plan, "fts")
    assert (check.valid_rows, check.rejected_rows) == (len(want["valid"]), len(want["refused"]))
    assert check.tranches["gross_usd"].sum() == pytest.approx(want["usd"], rel=1e-9)
    as_contract = logic.check_upload(data, FLOWS_JOR.name, plan, "contract")
    assert not as_contract.can_store
    assert any("use --format fts" in e.message for e in as_contract.report.errors)
