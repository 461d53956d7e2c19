"""`appeal export --to hxl|iati|fts` (issue 12, item 8): the files import again with the same
money — per donor, status, year and set of lines the money may go to — and the same
allocation; confidential donors never named unless revealed; the codes written are the
standards' (IATI transaction types and earmarking categories, FTS status words, HXL tags).

The plan is the sample data (250 pledges in EUR, USD and others, every earmarking category,
multi-year and per-year tranches). Exports are written with the real command and read back
with the importer's profiles; the "before" figures come from the plan the sample files give.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from appeal.cli import main
from appeal.formats import ReadOptions
from appeal.importer import load_plan
from models.eligibility import EligibilityIndex

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
FILES = {
    "programmes": SAMPLE / "programmes.xlsx",
    "fx": SAMPLE / "fx_rates.csv",
    "donors": SAMPLE / "donors.csv",
}
PLEDGES = [SAMPLE / "pledges.xlsx", SAMPLE / "pledges_entities.csv"]
SUFFIX = {"hxl": "csv", "iati": "xml", "fts": "xlsx"}
READ_AS = {"hxl": "contract", "iati": "iati", "fts": "fts"}


def _export(folder: Path, to: str, *extra: str) -> Path:
    out = folder / f"out_{to}.{SUFFIX[to]}"
    args = ["export", "--programmes", str(FILES["programmes"]), "--pledges"]
    args += [*map(str, PLEDGES), "--fx", str(FILES["fx"]), "--donors", str(FILES["donors"])]
    assert main([*args, "--to", to, "--out", str(out), *extra]) == 0
    return out


@pytest.fixture(scope="module")
def original() -> Any:
    plan, _ = load_plan(FILES["programmes"], PLEDGES, fx=FILES["fx"], donors=FILES["donors"])
    return plan


@pytest.fixture(scope="module")
def revealed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("exports")
    return {to: _export(folder, to, "--reveal-confidential") for to in SUFFIX}


def _money(plan: Any) -> pd.Series:
    """USD per (donor, status, year, the lines the money may go to)."""
    index = EligibilityIndex(plan.programmes)
    pledges = plan.pledges.assign(
        lines=[
            ";".join(sorted(index.lines_for(str(e), str(t))))
            for e, t in zip(plan.pledges["earmarking"], plan.pledges["earmark_to"], strict=True)
        ]
    )
    tranches = plan.tranches.merge(pledges[["pledge_id", "donor", "status", "lines"]])
    return tranches.groupby(["donor", "status", "year", "lines"])["gross_usd"].sum().round(2)


@pytest.mark.parametrize("to", list(SUFFIX))
def test_the_export_imports_again_with_the_same_money(
    to: str, original: Any, revealed: dict[str, Path]
) -> None:
    plan, report = load_plan(
        FILES["programmes"],
        [revealed[to]],
        fx=FILES["fx"],
        donors=FILES["donors"],
        options=ReadOptions.of(READ_AS[to]),
    )
    assert report.ok and not report.errors
    before, after = _money(original), _money(plan)
    assert after.index.equals(before.index) or set(after.index) == set(before.index)
    assert after.reindex(before.index).tolist() == pytest.approx(before.tolist(), abs=0.01)
    assert after.sum() == pytest.approx(before.sum(), abs=0.05)


@pytest.mark.parametrize("to", list(SUFFIX))
def test_the_reimported_plan_is_allocated_the_same(
    to: str, original: Any, revealed: dict[str, Path]
) -> None:
    from appeal import service
    from models.scenario import Scenario

    plan, _ = load_plan(
        FILES["programmes"],
        [revealed[to]],
        fx=FILES["fx"],
        donors=FILES["donors"],
        options=ReadOptions.of(READ_AS[to]),
    )
    before = service.solve(original, Scenario(), {}).result.totals()
    after = service.solve(plan, Scenario(), {}).result.totals()
    for key in ("requirement_usd", "funded_usd", "gap_usd"):
        assert after[key] == pytest.approx(before[key], abs=1.0), key


def _text_of(path: Path) -> str:
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path)
        return "\n".join(
            str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
        )
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("to", list(SUFFIX))
def test_confidential_donors_are_never_named_unless_revealed(
    to: str, original: Any, revealed: dict[str, Path], tmp_path: Path
) -> None:
    names = set(original.pledges.loc[original.pledges["confidential"], "donor"])
    assert names
    written = [_export(tmp_path, to)]
    if to == "hxl":
        written.append(written[0].with_name(written[0].stem + "_allocation.csv"))
    for path in written:
        text = _text_of(path)
        assert not [n for n in names if n in text], path.name
        assert "Anonymous donor" in text
    assert any(n in _text_of(revealed[to]) for n in names)


def test_the_hxl_files_carry_the_contracts_hashtags(revealed: dict[str, Path]) -> None:
    with revealed["hxl"].open(newline="", encoding="utf-8") as f:
        header, tags, *rows = list(csv.reader(f))
    tag_of = dict(zip(header, tags, strict=True))
    assert tag_of["Donor"] == "#org+funder" and tag_of["Currency"] == "#currency"
    assert all(t.startswith("#") for t in tags) and len(rows) == 250
    allocation = revealed["hxl"].with_name("out_hxl_allocation.csv")
    with allocation.open(newline="", encoding="utf-8") as f:
        header, tags, *rows = list(csv.reader(f))
    assert dict(zip(header, tags, strict=True))["Amount USD"] == "#value+usd"
    assert rows


def test_the_iati_file_uses_the_codelists(original: Any, revealed: dict[str, Path]) -> None:
    """Incoming pledge (13), incoming commitment (11) and incoming funds (1) by the pledges'
    statuses; earmarking categories 1-4; every activity has the reporting organisation."""
    root = ET.parse(revealed["iati"]).getroot()
    assert root.tag == "iati-activities" and root.get("version") == "2.03"
    wanted = {"pledged": "13", "committed": "11", "paid": "1"}
    counts: dict[str, int] = {}
    for activity in root.iter("iati-activity"):
        assert activity.find("reporting-org") is not None
        for t in activity.iter("transaction"):
            kind = t.find("transaction-type")
            assert kind is not None
            counts[kind.get("code", "")] = counts.get(kind.get("code", ""), 0) + 1
    assert set(wanted.values()) <= set(counts)
    codes = {a.get("code") for a in root.iter("default-aid-type") if a.get("vocabulary") == "2"} | {
        a.get("code") for a in root.iter("aid-type") if a.get("vocabulary") == "2"
    }
    assert codes and codes <= {"1", "2", "3", "4"}


def test_the_fts_sheet_has_the_fields_fts_asks_for(revealed: dict[str, Path]) -> None:
    ws = openpyxl.load_workbook(revealed["fts"]).worksheets[0]
    header, *rows = list(ws.iter_rows(values_only=True))
    for field in (
        "srcOrganization",
        "destOrganization",
        "amountUSD",
        "originalAmount",
        "originalCurrency",
        "exchangeRate",
        "status",
        "contributionType",
        "destUsageYearStart",
        "destUsageYearEnd",
    ):
        assert field in header, field
    status = header.index("status")
    assert {r[status] for r in rows} <= {"pledge", "commitment", "paid"}


def test_iati_organisation_ids_where_known_go_out_and_come_back(tmp_path: Path) -> None:
    """A donor's IATI organisation id (the donors table) is the provider's @ref, its type the
    IATI organisation type; read back, the donor has them again."""
    programmes = tmp_path / "programmes.csv"
    programmes.write_text(
        "line_id,name,category,entity,pillar,req_2027\nFLAG-01,Border security,flagship,"
        "UNOCT,I,5000000\n",
        encoding="utf-8",
    )
    pledges = tmp_path / "pledges.csv"
    pledges.write_text(
        "pledge_id,donor,amount,currency,year,earmarking,earmark_to,status\n"
        "N-1,Norway,1000000,NOK,2027,earmarked,FLAG-01,paid\n"
        "M-1,Meridian Foundation,50000,USD,2027,unearmarked,,pledged\n",
        encoding="utf-8",
    )
    donors = tmp_path / "donors.csv"
    donors.write_text(
        "donor,donor_type,region,iati_org_id\nNorway,member_state,Europe,XM-DAC-8\n"
        "Meridian Foundation,private,n/a,\n",
        encoding="utf-8",
    )
    fx = tmp_path / "fx.csv"
    fx.write_text("currency,units_per_usd\nUSD,1\nNOK,10\n", encoding="utf-8")
    out = tmp_path / "activities.xml"
    files = ["--programmes", str(programmes), "--pledges", str(pledges), "--fx", str(fx)]
    files += ["--donors", str(donors), "--reporting-org", "XI-TEST"]
    assert main(["export", *files, "--to", "iati", "--out", str(out)]) == 0
    root = ET.parse(out).getroot()
    incoming = [
        t
        for t in root.iter("transaction")
        if t.findall("transaction-type")[0].get("code", "") in ("1", "11", "13")
    ]
    providers = {
        (p.findtext("narrative"), p.get("ref"), p.get("type"))
        for t in incoming
        for p in t.iter("provider-org")
    }
    assert providers == {("Norway", "XM-DAC-8", "10"), ("Meridian Foundation", None, "60")}
    assert {a.findtext("iati-identifier") for a in root.iter("iati-activity")} >= {
        "XI-TEST-FLAG-01"
    }
    plan, _ = load_plan(programmes, [out], fx=fx, options=ReadOptions.of("iati"))
    got = plan.donors.set_index("donor")
    assert got.at["Norway", "iati_org_id"] == "XM-DAC-8"
    assert got.at["Norway", "donor_type"] == "member_state"
    assert plan.pledges.set_index("pledge_id").shape[0] >= 2
    by_donor = plan.tranches.merge(plan.pledges[["pledge_id", "donor"]])
    assert by_donor.groupby("donor")["gross_usd"].sum().to_dict() == pytest.approx(
        {"Norway": 100_000.0, "Meridian Foundation": 50_000.0}
    )
