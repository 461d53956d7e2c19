"""The multiyear appeal workbook (appeal.workbook): sheets, formulas, values, safety, re-import.

Workbooks are written for real and read back with openpyxl (and, for the Pledges sheet, with
the importer). The runs are built by hand (a small greedy allocation with every feature the
workbook shows) so the tests do not depend on the allocation engine; one test uses the
bundled sample data through the real pipeline.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from appeal import cli, pipeline
from appeal.importer import load_sample_plan, read_pledges, sample_paths
from appeal.pipeline import PlanRun
from appeal.register import Register
from appeal.report import result_json
from appeal.workbook import (
    DEFINED_NAMES,
    SHEETS,
    WorkbookError,
    engine,
    sheets,
    write_appeal_workbook,
)
from models.eligibility import EligibilityIndex
from models.plan import FIRM_STATUSES, Plan, make_plan
from models.result import AllocationResult, SolverInfo
from models.scenario import Scenario

EVIL_DONOR = '=HYPERLINK("http://x","y")'
SECRET = "Secretland"
CENT = 0.005


# ---------------------------------------------------------------------------------------------
# A hand-built run
# ---------------------------------------------------------------------------------------------
def greedy_result(
    plan: Plan, next_million: list[tuple[str, int, float]] | None = None
) -> AllocationResult:
    """A simple but valid allocation: each tranche funds eligible line-years (same year or
    later) in priority order, capped at the remaining need; the rest is unallocated. Lines
    with a minimum viable share below it are reported "cut"."""
    index = EligibilityIndex(plan.programmes)
    priority = dict(zip(plan.programmes["line_id"], plan.programmes["priority"], strict=True))
    need: dict[tuple[str, int], float] = {
        (str(r["line_id"]), int(r["year"])): float(r["requirement_usd"])
        for r in plan.requirements.to_dict("records")
    }
    pledges: dict[str, dict[Any, Any]] = {
        str(p["pledge_id"]): p for p in plan.pledges.to_dict("records")
    }
    allocations: list[tuple[Any, ...]] = []
    unallocated: list[tuple[Any, ...]] = []
    for t in plan.tranches.to_dict("records"):
        p = pledges[str(t["pledge_id"])]
        money = float(t["programmable_usd"])
        year = int(t["year"])
        eligible = index.lines_for(str(p["earmarking"]), str(p["earmark_to"] or ""))
        targets = sorted(
            (k for k in need if k[0] in eligible and k[1] >= year),
            key=lambda k: (priority[k[0]], k[1], k[0]),
        )
        for key in targets:
            give = min(money, need[key])
            if give <= 0:
                continue
            need[key] -= give
            money -= give
            allocations.append(
                (t["pledge_id"], p["donor"], key[0], key[1], give, year, str(p["status"]))
            )
        if money > 1e-9:
            unallocated.append((t["pledge_id"], p["donor"], money, "eligible_lines_fully_funded"))
    alloc = pd.DataFrame(
        allocations,
        columns=["pledge_id", "donor", "line_id", "year", "amount_usd", "source_year", "status"],
    )
    lines = plan.requirements.copy()
    funded = alloc.groupby(["line_id", "year"])["amount_usd"].sum()
    firm = alloc[alloc["status"].isin(FIRM_STATUSES)].groupby(["line_id", "year"])["amount_usd"]
    firm_sum = firm.sum()
    keys = list(zip(lines["line_id"], lines["year"], strict=True))
    lines["funded_usd"] = [float(funded.get(k, 0.0)) for k in keys]
    lines["firm_usd"] = [float(firm_sum.get(k, 0.0)) for k in keys]
    lines["gap_usd"] = lines["requirement_usd"] - lines["funded_usd"]
    unalloc = pd.DataFrame(unallocated, columns=["pledge_id", "donor", "amount_usd", "reason"])
    unalloc = unalloc.groupby(["pledge_id", "donor", "reason"], as_index=False).agg(
        amount_usd=("amount_usd", "sum")
    )
    per_line = lines.groupby("line_id")[["requirement_usd", "funded_usd"]].sum()
    explanations = pd.DataFrame(
        [
            (
                line_id,
                int(priority[line_id]),
                8.0,
                float(row.requirement_usd),
                float(row.funded_usd),
                float(row.funded_usd / row.requirement_usd) if row.requirement_usd else 0.0,
                "eligible_money_exhausted",
                # Engines may name donors in explanations: the workbook must scrub them.
                f"{line_id}: funded by {SECRET} and others until the money ran out",
            )
            for line_id, row in per_line.iterrows()
        ],
        columns=[
            "line_id",
            "tier",
            "weight",
            "requirement_usd",
            "funded_usd",
            "coverage",
            "reason",
            "text",
        ],
    )
    return AllocationResult(
        allocations=alloc[
            ["pledge_id", "donor", "line_id", "year", "amount_usd", "source_year", "status"]
        ],
        unallocated=unalloc[["pledge_id", "donor", "amount_usd", "reason"]],
        lines=lines[["line_id", "year", "requirement_usd", "funded_usd", "firm_usd", "gap_usd"]],
        targets=pd.DataFrame(
            [("gender_share", 0.15, 0.05, 1234.5)],
            columns=["name", "target", "achieved", "shortfall_usd"],
        ),
        solver=SolverInfo(name="greedy-test", status="optimal", seconds=0.01),
        explanations=explanations,
        next_million=pd.DataFrame(next_million or [], columns=["line_id", "year", "amount_usd"]),
        min_viable=pd.DataFrame(
            [
                (
                    line_id,
                    share,
                    float(per_line.loc[line_id, "requirement_usd"]),
                    float(per_line.loc[line_id, "funded_usd"]),
                    "cut"
                    if per_line.loc[line_id, "funded_usd"]
                    < share * per_line.loc[line_id, "requirement_usd"]
                    else "funded",
                )
                for line_id, share in zip(
                    plan.programmes["line_id"], plan.programmes["min_viable_share"], strict=True
                )
                if share > 0
            ],
            columns=["line_id", "min_viable_share", "requirement_usd", "funded_usd", "status"],
        ),
        flexible_marginal_value=2.0,
    )


def example_plan() -> Plan:
    years = {2027: 1.0, 2028: 1.0, 2029: 1.0}
    lines = [
        {
            "line_id": "L1",
            "name": "UNOCT leadership",
            "category": "leadership",
            "pillars": "I;III",
            "themes": "human_rights;gender",
            "priority": 1,
            "requirements": {y: 400_000.0 * f for y, f in years.items()},
        },
        {
            "line_id": "L2",
            "name": "=cmd|' /C calc'!A0",  # a programme name that looks like a formula
            "category": "coordination",
            "entity": "CTED",
            "pillars": "II",
            "priority": 2,
            "requirements": {2027: 250_000.0, 2028: 300_000.0},
        },
        {
            "line_id": "L3",
            "name": "+Countering terrorist travel",
            "category": "flagship",
            "entity": "UNOCT",
            "pillars": "IV",
            "themes": "border",
            "priority": 2,
            "requirements": {y: 900_000.0 for y in years},
        },
        {
            "line_id": "L4",
            "name": "@Victims support",
            "category": "entity",
            "entity": "UN Women",
            "pillars": "I;II;IV",
            "themes": "victims;gender",
            "priority": 3,
            "min_viable_share": 0.5,
            "requirements": {2028: 500_000.0, 2029: 700_000.0},
        },
    ]
    pledges = [
        {"donor": "Norway", "amount": 1_500_000.0, "currency": "NOK", "years": 3},
        {
            "donor": EVIL_DONOR,
            "amount": 420_000.0,
            "earmarking": "earmarked",
            "earmark_to": "L2",
            "status": "pledged",
        },
        {
            "donor": SECRET,
            "amount": 700_000.0,
            "currency": "EUR",
            "tranches": {2027: 100_000.0, 2029: 600_000.0},
            "confidential": True,
            "status": "committed",
            "earmarking": "softly_earmarked",
            "earmark_to": "pillar:IV",
            "psc_rate": 0.13,
        },
        {"donor": "-Minus Foundation", "amount": 90_000.0, "first_year": 2028, "status": "pledged"},
        {"donor": "Qatar", "amount": 450_000.0, "first_year": 2027, "years": 3, "psc_rate": 0.07},
    ]
    donors = [
        {"donor": "Norway", "donor_type": "member_state", "region": "WEOG", "iati_org_id": ""},
        {"donor": SECRET, "donor_type": "member_state", "region": "WEOG", "iati_org_id": ""},
        {
            "donor": "Qatar",
            "donor_type": "member_state",
            "region": "Asia-Pacific",
            "iati_org_id": "",
        },
    ]
    return make_plan(
        lines, pledges, donors=donors, fx={"NOK": 10.6, "EUR": 0.92}, title="Test appeal 2027-2029"
    )


def example_run() -> PlanRun:
    plan = example_plan()
    report = {
        "rows_read": 5,
        "rows_imported": 5,
        "rows_rejected": 0,
        "errors": [],
        "warnings": [
            {
                "file": "pledges.xlsx",
                "sheet": "Pledges",
                "row": 4,
                "column": None,
                "message": f"possible duplicate of a {SECRET} pledge",
            }
        ],
        "files": [{"file": "pledges.xlsx", "rows_read": 5}],
    }
    scenario = Scenario(name="test", excluded_donors=[SECRET])
    result = greedy_result(plan, [("L3", 2028, 600_000.0), ("L4", 2029, 400_000.0)])
    return PlanRun(plan=plan, scenario=scenario, result=result, import_report=report)


# ---------------------------------------------------------------------------------------------
# Reading helpers
# ---------------------------------------------------------------------------------------------
def table(ws: Any, first_label: str) -> tuple[int, list[str]]:
    """(row, labels) of the header row whose first cell is ``first_label``."""
    for row in ws.iter_rows():
        if row[0].value == first_label:
            return row[0].row, [c.value for c in row]
    raise AssertionError(f"no header {first_label!r} on {ws.title}")


def column(labels: list[str], label: str) -> int:
    return labels.index(label) + 1


def data_rows(ws: Any, header_row: int, stop: str = "Total") -> list[int]:
    rows = []
    r = header_row + 1
    while ws.cell(r, 1).value not in (None, stop):
        if not str(ws.cell(r, 1).value).startswith("#"):
            rows.append(r)
        r += 1
    return rows


def checks(wb: Any) -> dict[tuple[str, str, str], tuple[Any, Any, Any]]:
    """The Checks sheet: (table, key, figure) -> (cell ref, live formula/value, at export)."""
    ws = wb["Checks"]
    header, labels = table(ws, "Table")
    out = {}
    for r in data_rows(ws, header, stop=""):
        get = {name: ws.cell(r, i + 1).value for i, name in enumerate(labels)}
        out[(str(get["Table"]), str(get["Key"]), str(get["Figure"]))] = (
            get["Cell"],
            get["Live"],
            get["At export"],
        )
    return out


def at_export(wb: Any, table_name: str, key: object, figure: str) -> Any:
    """The planner's figure at export for one live cell (from the Checks sheet)."""
    return checks(wb)[(table_name, str(key), figure)][2]


def all_text(path: Path) -> str:
    """Every XML part of the workbook as one string (cells, charts, names, properties)."""
    with zipfile.ZipFile(path) as zf:
        return "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())


@pytest.fixture(scope="module")
def run() -> PlanRun:
    return example_run()


@pytest.fixture(scope="module")
def book_path(run: PlanRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_appeal_workbook(tmp_path_factory.mktemp("wb") / "appeal.xlsx", run)


@pytest.fixture(scope="module")
def wb(book_path: Path) -> Any:
    return openpyxl.load_workbook(book_path)


# ---------------------------------------------------------------------------------------------
# Structure and presentation
# ---------------------------------------------------------------------------------------------
# The sheets the appeal workbook's issue lists, in order (the product's list, not the code's).
EXPECTED_SHEETS = [
    "Summary",
    "Requirements",
    "Funding status",
    "Allocation plan",
    "Explanations",
    "Programmes",
    "Priorities and asks",
    "Donor base",
    "Pledges",
    "Notes",
    "Scenario and assumptions",
    "Technical",
    "Checks",
]
# Sheets for the working group (solver details; live figures against the planner's).
HIDDEN_SHEETS = ["Technical", "Checks"]


def test_every_sheet_is_there_in_order(wb: Any) -> None:
    assert list(SHEETS) == EXPECTED_SHEETS
    assert wb.sheetnames == EXPECTED_SHEETS
    for ws in wb.worksheets:
        assert ws.max_row > 3, ws.title
        assert ws.cell(1, 1).value, f"{ws.title} has no title"
    hidden = [ws.title for ws in wb.worksheets if ws.sheet_state != "visible"]
    assert hidden == HIDDEN_SHEETS


def test_presentation_frozen_headers_page_setup_and_formats(wb: Any) -> None:
    for ws in wb.worksheets:
        assert ws.freeze_panes is not None, ws.title
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows, ws.title
    fs = wb["Funding status"]
    assert fs.freeze_panes == "C4"
    header, labels = table(fs, "Line ID")
    first = data_rows(fs, header)[0]
    assert "USD" in fs.cell(first, column(labels, "Requirement (USD)")).number_format
    assert "%" in fs.cell(first, column(labels, "Coverage")).number_format
    assert fs.column_dimensions["B"].width > 20
    assert "Appeal USD" in wb.named_styles


def test_defined_names_point_at_the_summary_totals(wb: Any) -> None:
    summary = wb["Summary"]
    row, _labels = table(summary, "Year")
    total_row = next(r for r in range(row, row + 20) if summary.cell(r, 1).value == "Total")
    expected = {
        "TotalRequirement": "B",
        "TotalFunded": "C",
        "TotalFirm": "D",
        "TotalGap": "E",
        "Coverage": "F",
    }
    assert set(DEFINED_NAMES) == set(expected)
    for name, col in expected.items():
        dn = wb.defined_names[name]
        assert dn.attr_text == f"'Summary'!${col}${total_row}"
        assert str(summary[f"{col}{total_row}"].value).startswith("=")


def test_summary_has_two_native_charts(book_path: Path) -> None:
    with zipfile.ZipFile(book_path) as zf:
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
        text = "".join(zf.read(n).decode() for n in charts)
    assert len(charts) == 2
    assert "Requirements vs funding by year" in text and "Gap by category" in text
    assert "'Summary'!$B$" in text  # series refer to the live formula cells
    # Both value axes in USD million: the format divides by a million and says so.
    assert text.count('formatCode="#,##0,,&quot;m&quot;"') == 2
    assert text.count("USD million") >= 4  # two chart titles, two axis titles


def test_one_hhi_convention_with_its_source(wb: Any) -> None:
    from models.concentration import HHI_NOTE, HHI_SOURCE

    assert "1,500" in HHI_NOTE and "2,500" in HHI_NOTE and HHI_SOURCE in HHI_NOTE
    for name in ("Summary", "Donor base"):
        notes = [str(c.value) for row in wb[name].iter_rows() for c in row if c.value]
        assert any(HHI_NOTE in n for n in notes), name
        assert not any("above 2,500: highly" in n for n in notes)  # the old, lone note


def test_hxl_rows_sit_under_every_table_header(run: PlanRun, tmp_path: Path) -> None:
    path = write_appeal_workbook(tmp_path / "hxl.xlsx", run, hxl=True)
    wb = openpyxl.load_workbook(path)
    for name in ("Requirements", "Funding status", "Allocation plan", "Pledges"):
        ws = wb[name]
        tags = [c.value for c in ws[4] if c.value]
        assert tags and all(str(t).startswith("#") for t in tags), name
        assert ws.freeze_panes.endswith("5"), name
    assert wb["Pledges"]["B4"].value == "#org+funder"
    plain = openpyxl.load_workbook(write_appeal_workbook(tmp_path / "plain.xlsx", run))
    assert not any(str(c.value).startswith("#") for c in plain["Pledges"][4] if c.value)


# ---------------------------------------------------------------------------------------------
# Formulas and values
# ---------------------------------------------------------------------------------------------
def test_funding_status_cells_are_formulas_over_requirements_and_allocation(
    run: PlanRun, wb: Any
) -> None:
    fs = wb["Funding status"]
    header, labels = table(fs, "Line ID")
    rows = data_rows(fs, header)
    year_col = column(labels, "Year")
    shown = [(fs.cell(r, 1).value, fs.cell(r, year_col).value) for r in rows]
    want = zip(run.plan.requirements["line_id"], run.plan.requirements["year"], strict=True)
    assert sorted(shown) == sorted((str(line), int(year)) for line, year in want)
    for r in rows:
        req = fs.cell(r, column(labels, "Requirement (USD)")).value
        funded = fs.cell(r, column(labels, "Funded (USD)")).value
        firm = fs.cell(r, column(labels, "Firm: committed + paid (USD)")).value
        gap = fs.cell(r, column(labels, "Gap (USD)")).value
        cov = fs.cell(r, column(labels, "Coverage")).value
        assert re.fullmatch(r"='Requirements'!\$[A-Z]+\$\d+", req)
        assert funded.startswith("=SUMIFS('Allocation plan'!$H:$H,'Allocation plan'!$C:$C,")
        assert '"committed"' in firm.lower() and '"paid"' in firm.lower()
        assert gap == f"=F{r}-G{r}"
        assert cov == f"=IF(F{r}>0,G{r}/F{r},0)"


def test_requirements_subtotals_are_live_formulas(wb: Any) -> None:
    ws = wb["Requirements"]
    cat_row, cat_labels = table(ws, "Category")
    rows = data_rows(ws, cat_row, stop="")
    assert [ws.cell(r, 1).value for r in rows[:4]] == [
        "UNOCT leadership",
        "Compact coordination",
        "Flagship programme",
        "Compact entity programme",
    ]
    year_col = column(cat_labels, "2027 (USD)")
    assert ws.cell(rows[0], year_col).value.startswith("=SUMIFS(")
    pil_row, _ = table(ws, "Pillar")
    assert ws.cell(pil_row + 1, year_col).value.startswith("=SUMPRODUCT(")
    header, labels = table(ws, "Line ID")
    share = ws.cell(header + 1, column(labels, "Share in pillar I")).value
    assert share.startswith("=IF(ISNUMBER(SEARCH(")


def test_values_at_export_match_the_json_result_to_the_cent(run: PlanRun, wb: Any) -> None:
    data = result_json(run)
    found = checks(wb)
    fs = wb["Funding status"]
    header, labels = table(fs, "Line ID")
    by_key = {(d["line_id"], d["year"]): d for d in data["lines"]}
    seen = set()
    for r in data_rows(fs, header):
        key = (fs.cell(r, 1).value, fs.cell(r, column(labels, "Year")).value)
        line = by_key[key]
        seen.add(key)
        for label, col_label, field in (
            ("Requirement (USD)", "Requirement (USD)", "requirement_usd"),
            ("Funded (USD)", "Funded (USD)", "funded_usd"),
            ("Firm (USD)", "Firm: committed + paid (USD)", "firm_usd"),
            ("Gap (USD)", "Gap (USD)", "gap_usd"),
        ):
            cell, live, value = found[("Funding status", f"{key[0]} {key[1]}", label)]
            # The check points at the live formula cell of this row and column ...
            letter = openpyxl.utils.get_column_letter(column(labels, col_label))
            assert cell == f"'Funding status'!${letter}${r}" and live == f"={cell}"
            # ... and holds the JSON's figure, unrounded.
            assert value == pytest.approx(line[field], abs=CENT)
    assert seen == set(by_key)

    totals = data["totals"]
    for figure, field in (
        ("Requirement (USD)", "requirement_usd"),
        ("Funded (USD)", "funded_usd"),
        ("Firm (USD)", "firm_usd"),
        ("Gap (USD)", "gap_usd"),
        ("Coverage", "coverage"),
    ):
        got = found[("Summary by year", "Total", figure)][2]
        assert got == pytest.approx(totals[field], abs=CENT if "usd" in field else 1e-9)
    assert totals["funded_usd"] > 0  # the example really allocates money

    donors = wb["Donor base"]
    figures = {
        donors.cell(r, 1).value: donors.cell(r, 2).value for r in range(1, donors.max_row + 1)
    }
    base = data["donor_base"]
    assert figures["Donors"] == base["donor_count"]
    assert figures["Flexible share"] == pytest.approx(base["flexible_share"])
    assert figures["Concentration (HHI, 0-10,000)"] == pytest.approx(base["hhi"])
    assert figures["Multi-year share"] == pytest.approx(base["multiyear_share"])
    assert figures["Programmable total (USD)"] == pytest.approx(base["total_usd"], abs=CENT)
    header, labels = table(donors, "Donor")
    listed = {donors.cell(r, 1).value: donors.cell(r, 4).value for r in data_rows(donors, header)}
    assert listed == pytest.approx({d["donor"]: d["programmable_usd"] for d in base["donors"]})

    # The allocation sheet holds every allocation of the JSON, to the cent.
    alloc = wb["Allocation plan"]
    header, labels = table(alloc, "Pledge ID")
    amounts = [
        alloc.cell(r, column(labels, "Amount (USD)")).value for r in data_rows(alloc, header)
    ]
    assert sum(amounts) == pytest.approx(
        sum(a["amount_usd"] for a in data["allocations"]), abs=CENT
    )
    assert len(amounts) == len(data["allocations"])


def test_priorities_and_asks(run: PlanRun, wb: Any) -> None:
    ws = wb["Priorities and asks"]
    tier_row, _labels = table(ws, "Tier")
    assert [ws.cell(tier_row + i, 1).value for i in range(1, 5)] == [1, 2, 3, 4]
    assert ws.cell(tier_row + 1, 2).value.startswith("=SUMIFS('Funding status'!")
    rank_row, rank_labels = table(ws, "Rank")
    ranked = data_rows(ws, rank_row)
    tiers = [ws.cell(r, column(rank_labels, "Priority")).value for r in ranked]
    assert tiers == sorted(tiers) and len(set(tiers)) > 1  # ranked by tier
    gaps = run.result.lines.groupby("line_id")["gap_usd"].sum()
    listed = {
        ws.cell(r, 2).value: ws.cell(r, column(rank_labels, "Gap (USD)")).value for r in ranked
    }
    assert listed == pytest.approx(gaps[gaps > CENT].to_dict())  # every unmet line, its gap

    # The next USD 1 million: the run's own rows, in its order, and their total.
    nm_row, nm_labels = table(ws, "Line ID")  # the first "Line ID" header
    nm_rows = data_rows(ws, nm_row)
    want = list(run.result.next_million.itertuples(index=False))
    assert [ws.cell(r, 1).value for r in nm_rows] == [n.line_id for n in want]
    amounts = [ws.cell(r, column(nm_labels, "Amount (USD)")).value for r in nm_rows]
    assert amounts == [n.amount_usd for n in want]
    total = ws.cell(nm_rows[-1] + 1, column(nm_labels, "Amount (USD)")).value
    assert total == f"=SUM(E{nm_rows[0]}:E{nm_rows[-1]})"

    # Below minimum viable: exactly the lines the run reports cut, with what they still need.
    below = next(
        r
        for r in range(1, ws.max_row + 1)
        if ws.cell(r, 1).value == "Programmes below minimum viable funding"
    )
    mv_labels = [c.value for c in ws[below + 1]]
    mv_rows = data_rows(ws, below + 1, stop="")
    shown = {
        ws.cell(r, 1).value: (
            ws.cell(r, column(mv_labels, "Status")).value,
            ws.cell(r, column(mv_labels, "Needed to reach minimum (USD)")).value,
        )
        for r in mv_rows
    }
    mv = run.result.min_viable
    cut = mv.loc[mv["status"] == "cut"]
    assert len(cut)  # the example has a line cut below its minimum
    assert shown == {
        m.line_id: (
            "Cut: below its minimum",
            pytest.approx(m.min_viable_share * m.requirement_usd - m.funded_usd),
        )
        for m in cut.itertuples(index=False)
    }


def test_scenario_and_assumptions(run: PlanRun, wb: Any) -> None:
    tech = wb["Technical"]
    raw = {tech.cell(r, 1).value: tech.cell(r, 2).value for r in range(1, tech.max_row + 1)}
    assert raw["name"] == "test"
    assert raw["weights.tier.1"] == 8
    assert raw["targets.gender_share"] == 0.15
    assert raw["excluded_donors"] == "Anonymous donor 1"
    assert raw["solver.status"] == "optimal" and raw["solver.name"] == "greedy-test"
    assert raw["flexible_marginal_value"] == 2
    ws = wb["Scenario and assumptions"]
    pairs = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    # The same parameters in words, for readers.
    assert pairs["Scenario"] == "test"
    assert pairs["Weight of priority tier 1 (critical)"] == 8
    assert pairs["Target: gender-tagged share of all money"] == 0.15
    assert pairs["Donors left out"] == "Anonymous donor 1"
    assert pairs["Minimum viable funding rule"] == "on"
    assert pairs["Rows read"] == 5
    assert not any(str(k).startswith("solver") for k in pairs)
    assert re.match(r"appeal-planner \S+", pairs["Software"])
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", pairs["Generated"])
    assert pairs["Illustrative figures"] == "no"
    text = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "NOK" in text and "EUR" in text  # exchange rates
    assert any("possible duplicate" in t for t in text)  # import warnings


# ---------------------------------------------------------------------------------------------
# Safety
# ---------------------------------------------------------------------------------------------
def test_formula_like_user_text_stays_text(book_path: Path, wb: Any) -> None:
    found: dict[str, list[str]] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value in (
                    EVIL_DONOR,
                    "=cmd|' /C calc'!A0",
                    "+Countering terrorist travel",
                    "@Victims support",
                    "-Minus Foundation",
                ):
                    assert c.data_type == "s", (ws.title, c.coordinate)
                    assert c.quotePrefix, (ws.title, c.coordinate)
                    assert c.hyperlink is None
                    found.setdefault(c.value, []).append(ws.title)
    assert "Allocation plan" in found[EVIL_DONOR] and "Pledges" in found[EVIL_DONOR]
    assert "Donor base" in found[EVIL_DONOR]
    assert "Requirements" in found["=cmd|' /C calc'!A0"]
    # The saved XML: no formula element holds user text, and there are no hyperlinks at all.
    xml = all_text(book_path)
    formulas = re.findall(r"<f>(.*?)</f>", xml)
    assert formulas and not any("HYPERLINK" in f or "cmd|" in f for f in formulas)
    assert "<hyperlink" not in xml and "relationships/hyperlink" not in xml


def test_confidential_donor_appears_nowhere(book_path: Path, run: PlanRun, tmp_path: Path) -> None:
    assert SECRET.casefold() not in all_text(book_path).casefold()
    wb = openpyxl.load_workbook(book_path)
    cells = [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value]
    assert not any(SECRET.casefold() in v.casefold() for v in cells)
    assert "Anonymous donor 1" in cells
    # ... and the same workbook with names revealed does show it (the check can fail).
    revealed = write_appeal_workbook(tmp_path / "internal.xlsx", run, reveal_confidential=True)
    assert SECRET in all_text(revealed)


# ---------------------------------------------------------------------------------------------
# Pledges sheet round trip
# ---------------------------------------------------------------------------------------------
PLEDGE_FIELDS = [
    "pledge_id",
    "amount",
    "currency",
    "first_year",
    "last_year",
    "earmarking",
    "earmark_to",
    "status",
    "psc_rate",
    "confidential",
]


def assert_same_pledges(plan: Plan, pledges: pd.DataFrame, tranches: pd.DataFrame) -> None:
    want = plan.pledges.sort_values("pledge_id").reset_index(drop=True)
    got = pledges.sort_values("pledge_id").reset_index(drop=True)
    assert list(got["pledge_id"]) == list(want["pledge_id"])
    for field in PLEDGE_FIELDS:
        if field in ("amount", "psc_rate"):
            assert list(got[field]) == pytest.approx(list(want[field]), rel=1e-12), field
        else:
            assert [str(v) for v in got[field]] == [str(v) for v in want[field]], field
    t_want = plan.tranches.sort_values(["pledge_id", "year"]).reset_index(drop=True)
    t_got = tranches.sort_values(["pledge_id", "year"]).reset_index(drop=True)
    assert list(zip(t_got["pledge_id"], t_got["year"], strict=True)) == list(
        zip(t_want["pledge_id"], t_want["year"], strict=True)
    )
    for col in ("amount", "gross_usd", "programmable_usd"):
        assert list(t_got[col]) == pytest.approx(list(t_want[col]), rel=1e-12), col


@pytest.mark.parametrize("hxl", [False, True])
def test_pledges_sheet_imports_again(tmp_path: Path, hxl: bool) -> None:
    # The importer refuses formula-like text, so the round trip uses ordinary names.
    plan = example_plan()
    plan = plan.replace(
        pledges=plan.pledges.assign(donor=plan.pledges["donor"].replace({EVIL_DONOR: "Japan"}))
    )
    run = PlanRun(plan, Scenario(), greedy_result(plan), {})
    path = write_appeal_workbook(tmp_path / "p.xlsx", run, hxl=hxl, reveal_confidential=True)
    pledges, tranches, report = read_pledges(path, programmes=plan.programmes, fx=plan.fx)
    assert report.ok and report.rows_imported == len(plan.pledges)
    assert_same_pledges(plan, pledges, tranches)
    assert list(pledges.sort_values("pledge_id")["donor"]) == list(
        plan.pledges.sort_values("pledge_id")["donor"]
    )
    # Anonymised: the same pledges under the alias, still confidential.
    anon = write_appeal_workbook(tmp_path / "anon.xlsx", run, hxl=hxl)
    pledges, tranches, _ = read_pledges(anon, programmes=plan.programmes, fx=plan.fx)
    assert_same_pledges(plan, pledges, tranches)
    secret = pledges.loc[pledges["confidential"]]
    assert list(secret["donor"]) == ["Anonymous donor 1"]


# ---------------------------------------------------------------------------------------------
# Writing safely
# ---------------------------------------------------------------------------------------------
def test_a_failed_write_leaves_the_old_file_and_no_debris(run: PlanRun, tmp_path: Path) -> None:
    target = tmp_path / "appeal.xlsx"
    target.write_bytes(b"previous version")
    broken = PlanRun(
        run.plan,
        run.scenario,
        AllocationResult(
            allocations=run.result.allocations.drop(columns=["amount_usd"]),  # corrupt
            unallocated=run.result.unallocated,
            lines=run.result.lines,
            targets=run.result.targets,
            solver=run.result.solver,
        ),
        {},
    )
    with pytest.raises(KeyError):
        write_appeal_workbook(target, broken)
    assert target.read_bytes() == b"previous version"
    assert [p.name for p in tmp_path.iterdir()] == ["appeal.xlsx"]


def test_the_workbook_gets_ordinary_file_permissions(run: PlanRun, tmp_path: Path) -> None:
    """Written via a private temporary file, the workbook must still end up readable like any
    other document the user creates (mode from the umask, not mkstemp's 0600)."""
    import os

    umask = os.umask(0o022)
    try:
        target = write_appeal_workbook(tmp_path / "appeal.xlsx", run)
    finally:
        os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o644


def test_bad_targets_are_clear_errors(run: PlanRun, tmp_path: Path) -> None:
    with pytest.raises(WorkbookError, match="does not exist"):
        write_appeal_workbook(tmp_path / "missing" / "a.xlsx", run)
    with pytest.raises(WorkbookError, match=r"\.xlsx"):
        write_appeal_workbook(tmp_path / "a.csv", run)


def test_a_plan_without_pledges_still_gives_a_workbook(tmp_path: Path) -> None:
    plan = make_plan(
        [{"line_id": "A", "requirements": {2027: 10.0}}], [], title="Nothing pledged yet"
    )
    run = PlanRun(plan, Scenario(), greedy_result(plan), {})
    path = write_appeal_workbook(tmp_path / "empty.xlsx", run)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(SHEETS)
    assert at_export(wb, "Funding status", "A 2027", "Gap (USD)") == 10.0


# ---------------------------------------------------------------------------------------------
# Sample data and the command line
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_run() -> PlanRun:
    plan, report = load_sample_plan()
    return pipeline.run(plan, Scenario(), report.to_dict())


def test_sample_plan_workbook(sample_run: PlanRun, tmp_path: Path) -> None:
    path = write_appeal_workbook(tmp_path / "sample.xlsx", sample_run)
    wb = openpyxl.load_workbook(path)
    notes = wb["Scenario and assumptions"]["A2"].value
    assert "ILLUSTRATIVE" in notes
    assert "ILLUSTRATIVE" in wb["Summary"]["A2"].value
    data = result_json(sample_run)
    got = at_export(wb, "Summary by year", "Total", "Requirement (USD)")
    assert got == pytest.approx(data["totals"]["requirement_usd"], abs=CENT)
    got = at_export(wb, "Summary by year", "Total", "Funded (USD)")
    assert got == pytest.approx(data["totals"]["funded_usd"], abs=CENT)
    confidential = set(
        sample_run.plan.pledges.loc[sample_run.plan.pledges["confidential"], "donor"]
    )
    text = all_text(path)
    assert not any(name in text for name in confidential)
    plan = sample_run.plan
    internal = write_appeal_workbook(
        tmp_path / "internal.xlsx", sample_run, reveal_confidential=True
    )
    pledges, tranches, report = read_pledges(internal, programmes=plan.programmes, fx=plan.fx)
    assert report.ok
    assert_same_pledges(plan, pledges, tranches)


def sample_args() -> list[str]:
    paths = sample_paths()
    args = ["--programmes", str(paths["programmes"]), "--pledges"]
    args += [str(p) for p in paths["pledges"]]
    args += ["--donors", str(paths["donors"]), "--fx", str(paths["fx"])]
    return args


def test_export_command_from_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.xlsx"
    scenario = sample_paths()["scenarios"][0]
    code = cli.main(
        ["export", *sample_args(), "--scenario-file", str(scenario), "--out", str(out), "--hxl"]
    )
    assert code == 0, capsys.readouterr().err
    assert "wrote" in capsys.readouterr().out
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == list(SHEETS)
    assert str(wb["Pledges"]["A4"].value).startswith("#")  # --hxl


def test_export_command_errors_are_clear(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.xlsx"
    assert cli.main(["export", *sample_args(), "--out", str(tmp_path / "no" / "x.xlsx")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("nmae = 'typo'\n")
    assert cli.main(["export", *sample_args(), "--scenario-file", str(bad), "--out", str(out)]) == 2
    assert "nmae" in capsys.readouterr().err
    broken = tmp_path / "pledges.csv"
    broken.write_text(
        "donor,amount,currency,year,earmarking,status\nX,abc,USD,2027,unearmarked,paid\n"
    )
    paths = sample_paths()
    args = ["--programmes", str(paths["programmes"]), "--pledges", str(broken)]
    assert cli.main(["export", *args, "--fx", str(paths["fx"]), "--out", str(out)]) == 2
    assert "row 2" in capsys.readouterr().err
    assert not out.exists()


def test_export_command_from_the_register(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "register.sqlite"
    plan, report = load_sample_plan()
    with Register(f"sqlite:///{db}") as register:
        register.import_plan(plan, report)
        register.save_scenario("flexible", Scenario(name="flexible", min_viable=False))
    out = tmp_path / "reg.xlsx"
    code = cli.main(["--db", str(db), "export", "--scenario", "flexible", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    ws = openpyxl.load_workbook(out)["Technical"]
    pairs = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert pairs["name"] == "flexible" and pairs["min_viable"] == "no"
    written = out.read_bytes()
    assert cli.main(["--db", str(db), "export", "--scenario", "nope", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "flexible" in err
    assert out.read_bytes() == written  # the failed export left the workbook as it was
    with Register(f"sqlite:///{db}") as register:
        assert list(register.list_scenarios()["name"]) == ["flexible"]  # ... stored nothing


# ---------------------------------------------------------------------------------------------
# The engine: rows straight to sheet XML (with or without lxml), named styles
# ---------------------------------------------------------------------------------------------
def assert_same_cells(path_a: Path, path_b: Path) -> int:
    """Two workbooks hold the same cells (values, types, formats); returns how many."""
    a, b = openpyxl.load_workbook(path_a), openpyxl.load_workbook(path_b)
    assert a.sheetnames == b.sheetnames
    compared = 0
    for ws_a, ws_b in zip(a.worksheets, b.worksheets, strict=True):
        assert ws_a.max_row == ws_b.max_row, ws_a.title
        for row_a, row_b in zip(ws_a.iter_rows(), ws_b.iter_rows(), strict=True):
            for x, y in zip(row_a, row_b, strict=True):
                where = (ws_a.title, x.coordinate)
                if re.search(r"\d\d:\d\d:\d\d UTC", str(x.value)):
                    continue  # the generation time differs between two writes
                if isinstance(x.value, float):
                    # openpyxl prints 15-16 digits; the XML rows keep the exact float (repr)
                    assert x.value == pytest.approx(y.value, rel=1e-14), where
                else:
                    assert x.value == y.value, where
                if x.value is not None:  # openpyxl keeps t="inlineStr" on an empty cell
                    assert x.data_type == y.data_type, where
                assert x.number_format == y.number_format, where
                assert x.style == y.style, where
                assert bool(x.quotePrefix) == bool(y.quotePrefix), where
                assert x.font.b == y.font.b, where
                compared += 1
    return compared


def test_fast_xml_rows_equal_openpyxl_cells(
    run: PlanRun, book_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows rendered straight to XML give the same workbook as openpyxl's own cell writer."""
    monkeypatch.setattr(engine, "FAST", False)
    slow_path = write_appeal_workbook(tmp_path / "slow.xlsx", run)
    assert assert_same_cells(book_path, slow_path) > 1000


def refuse_openpyxl_cells(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make openpyxl's cell serialiser fail when used; returns the cells it was asked for."""
    import openpyxl.worksheet._writer as sheet_writer

    asked: list[str] = []

    def refuse(xf: Any, ws: Any, cell: Any, styled: bool | None = None) -> None:
        asked.append(f"{ws.title}!{cell.coordinate}")
        raise AssertionError("openpyxl's cell writer was used: the fast path was not taken")

    monkeypatch.setattr(sheet_writer, "write_cell", refuse)
    return asked


def test_the_fast_path_is_taken(
    run: PlanRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = refuse_openpyxl_cells(monkeypatch)
    path = write_appeal_workbook(tmp_path / "fast.xlsx", run, hxl=True)
    assert asked == []
    assert len(data_rows(openpyxl.load_workbook(path)["Allocation plan"], 4)) == len(
        run.result.allocations
    )
    # The tripwire works: the reference path writes through openpyxl's cells and trips it.
    monkeypatch.setattr(engine, "FAST", False)
    with pytest.raises(AssertionError, match="fast path was not taken"):
        write_appeal_workbook(tmp_path / "slow.xlsx", run)
    assert asked


# Run in a fresh interpreter: openpyxl picks its XML library (OPENPYXL_LXML) at import.
FRESH_WRITE = """
import sys
import openpyxl
import openpyxl.worksheet._writer as sheet_writer

def refuse(*args, **kwargs):
    raise SystemExit("openpyxl's cell writer was used: the fast path was not taken")

sheet_writer.write_cell = refuse
from appeal.workbook import write_appeal_workbook
from tests.test_workbook import example_run

write_appeal_workbook(sys.argv[1], example_run(), hxl=True)
print("lxml" if openpyxl.LXML else "et_xmlfile")
"""


@pytest.mark.parametrize("library", ["lxml", "et_xmlfile"])
def test_the_fast_path_is_taken_whichever_xml_library_openpyxl_uses(
    run: PlanRun, tmp_path: Path, library: str
) -> None:
    """openpyxl streams sheets through lxml once lxml is installed; the engine must not care
    (it once silently fell back to openpyxl's cells there, about 6x slower)."""
    if library == "lxml":
        assert importlib.util.find_spec("lxml"), "lxml is in the test extra: pip install -e .[test]"
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, OPENPYXL_LXML=str(library == "lxml"))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
    out = tmp_path / f"{library}.xlsx"
    proc = subprocess.run(
        [sys.executable, "-c", FRESH_WRITE, str(out)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [library]  # openpyxl really ran on that library
    here = write_appeal_workbook(tmp_path / "here.xlsx", run, hxl=True)
    assert assert_same_cells(out, here) > 1000


def test_programme_narratives_are_on_their_own_sheet(run: PlanRun, tmp_path: Path) -> None:
    programmes = run.plan.programmes.assign(
        summary=["What L1 does.", "", "", ""],
        case_for_support=[f"{SECRET} helped; fund it now.", "", "", ""],
        expected_results=["First result; second result", "", "", ""],
        indicators=["Countries reached: 3 -> 9; Reports: -> 2", "", "", ""],
    )
    told = PlanRun(run.plan.replace(programmes=programmes), run.scenario, run.result, {})
    ws = openpyxl.load_workbook(write_appeal_workbook(tmp_path / "n.xlsx", told))["Programmes"]
    header, labels = table(ws, "Line ID")
    rows = data_rows(ws, header, stop="")
    assert [ws.cell(r, 1).value for r in rows] == ["L1"]  # only lines with a narrative
    row = {name: ws.cell(rows[0], i + 1).value for i, name in enumerate(labels)}
    assert row["Summary"] == "What L1 does."
    assert row["Case for support"] == "Anonymous donor 1 helped; fund it now."  # scrubbed
    assert row["Expected results"] == "First result\nsecond result"
    assert row["Indicators (baseline -> target)"] == "Countries reached: 3 -> 9\nReports: - -> 2"
    assert ws.row_dimensions[rows[0]].height > 12.75  # as tall as its wrapped text
    empty = openpyxl.load_workbook(write_appeal_workbook(tmp_path / "e.xlsx", run))["Programmes"]
    assert "No programme has a narrative yet" in str(empty["A4"].value)


def test_every_cell_is_in_one_of_the_workbooks_named_styles(wb: Any) -> None:
    named = {s.name: s for s in wb._named_styles}
    assert {"Appeal USD", "Appeal percent", "Appeal header", "Appeal text"} <= set(named)
    used = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is None:
                    continue
                where = (ws.title, c.coordinate, c.style)
                assert c.style.startswith("Appeal "), where
                style = named[c.style]
                # nothing on top of the named style: the cell's format is the style's
                assert c.number_format == style.number_format, where
                assert c.font == style.font and c.fill == style.fill, where
                assert c.alignment == style.alignment and c.border == style.border, where
                used.add(c.style)
    assert len(used) >= 12


def test_every_sheet_is_written_once_after_what_it_refers_to() -> None:
    assert sorted(s.name for s in sheets.WRITE_ORDER) == sorted(s.name for s in sheets.ORDER)
    order = [s.name for s in sheets.WRITE_ORDER]
    assert order.index("Requirements") < order.index("Funding status")


def test_an_analysis_supplies_the_donor_base_figures(run: PlanRun, tmp_path: Path) -> None:
    from models.analytics import analyse

    analysis = analyse(
        run.plan, run.scenario, run.result, previous_donors=["Norway"], stress_top=0, draws=0
    )
    path = write_appeal_workbook(tmp_path / "a.xlsx", run, analysis=analysis)
    ws = openpyxl.load_workbook(path)["Donor base"]
    figures = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    # "new donors" exist only in the analysis (it was given the previous cycle's donors):
    # every donor of the plan but Norway.
    new_donors = set(run.plan.pledges["donor"]) - {"Norway"}
    assert figures["New donors"] == len(new_donors) == analysis.donor_base["new_donor_count"]
    assert SECRET not in all_text(path)
    without = openpyxl.load_workbook(write_appeal_workbook(tmp_path / "b.xlsx", run))
    assert "New donors" not in [c.value for c in without["Donor base"]["A"]]
