"""`--format fts` on real HDX FTS downloads (tests/data/real, see its SOURCES.md).

Every expected figure is computed here from the raw files with the csv module, by FTS's own
rules as the FTS documentation states them — never with the importer: a flow's USD value is
its original amount over its exchange rate when FTS gives both (else ``amountUSD``);
carry-over and pass-through flows are not new money; a parked flow whose child flows are in
the file (the same donor and reference) is counted in them; zero flows carry no money; a flow
without a source organisation cannot be a pledge.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from appeal.cli import main
from appeal.formats import ReadOptions
from appeal.importer import ImportFailed, load_plan
from appeal.register import Register
from models.eligibility import EligibilityIndex

REAL = Path(__file__).parent / "data" / "real"
FLOWS_AFG = REAL / "fts_incoming_funding_afg.csv"
FLOWS_JOR = REAL / "fts_incoming_funding_jor.csv"
FLOWS_HXL = REAL / "fts_incoming_funding_afg_hxl_2021.csv"
CLUSTERS_AFG = REAL / "fts_requirements_funding_globalcluster_afg.csv"
FTS = ReadOptions.of("fts")
STATUS = {"pledge": "pledged", "commitment": "committed", "paid": "paid"}


def raw(path: Path) -> list[dict[str, str]]:
    rows = list(csv.DictReader(path.open(newline="", encoding="utf-8")))
    return [r for r in rows if not r["date"].startswith("#")]  # the HXL row, where there is one


def usd(row: dict[str, str]) -> float:
    if row["originalAmount"] and row["originalCurrency"] and row["exchangeRate"]:
        return float(row["originalAmount"]) / float(row["exchangeRate"])
    return float(row["amountUSD"])


def expected_flows(
    rows: list[dict[str, str]], keep: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The flows FTS counts as new money, by its rules (module docstring)."""
    standard = [r for r in rows if r["flowType"] != "Parked"]
    references = {(r["srcOrganization"], r["refCode"]) for r in standard if r["refCode"]}
    counted, aside = [], []
    for r in rows:
        not_new = r["flowType"] in ("Carryover", "Pass through") and r["flowType"] not in keep
        parent = r["flowType"] == "Parked" and (r["srcOrganization"], r["refCode"]) in references
        (aside if not_new or parent or usd(r) == 0 else counted).append(r)
    valid = [r for r in counted if r["srcOrganization"].strip()]
    by_status = Counter()
    for r in valid:
        by_status[STATUS[r["status"]]] += usd(r)
    return {
        "valid": valid,
        "aside": aside,
        "refused": [r for r in counted if not r["srcOrganization"].strip()],
        "usd": sum(usd(r) for r in valid),
        "donors": len({r["srcOrganization"] for r in valid}),
        "by_status": dict(by_status),
    }


def cluster_programmes(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    """Programmes named after every global cluster the flows name (from the raw file)."""
    names = sorted({c for r in rows for c in r["destGlobalClusters"].split(",") if c})
    path = tmp_path / "clusters.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["line_id", "name", "category", "entity", "pillar", "req_2020"])
        for i, name in enumerate(names, 1):
            w.writerow([f"C{i:02d}", name, "entity", "FTS", "I", 1_000_000])
    return path


def _import(programmes: Path, flows: Path, **kw: Any) -> tuple[Any, Any]:
    return load_plan(programmes, [flows], options=kw.pop("options", FTS), skip_invalid=True, **kw)


@pytest.mark.parametrize("flows", [FLOWS_AFG, FLOWS_JOR], ids=["afg", "jor"])
def test_totals_donors_and_status_split_match_the_raw_file(flows: Path, tmp_path: Path) -> None:
    rows = raw(flows)
    want = expected_flows(rows)
    plan, report = _import(cluster_programmes(tmp_path, rows), flows)
    assert report.rows_read == len(rows)
    assert report.rows_set_aside == len(want["aside"])
    assert report.rows_imported == len(want["valid"])
    assert report.rows_rejected == len(want["refused"])
    assert report.rows_read == report.rows_imported + report.rows_rejected + report.rows_set_aside
    assert plan.tranches["gross_usd"].sum() == pytest.approx(want["usd"], rel=1e-9)
    assert plan.pledges["donor"].nunique() == want["donors"]
    gross = plan.tranches.merge(plan.pledges[["pledge_id", "status"]], on="pledge_id")
    got = gross.groupby("status")["gross_usd"].sum().to_dict()
    assert got.keys() == want["by_status"].keys()
    for status, value in want["by_status"].items():
        assert got[status] == pytest.approx(value, rel=1e-9)
    # FTS's own USD figures agree to its rounding of the exchange rate (3 decimals).
    fts_usd = sum(float(r["amountUSD"]) for r in want["valid"])
    assert plan.tranches["gross_usd"].sum() == pytest.approx(fts_usd, rel=1e-3)


def test_the_afg_flows_against_the_real_cluster_requirements(tmp_path: Path) -> None:
    rows = raw(FLOWS_AFG)
    want = expected_flows(rows)
    plan, _ = _import(CLUSTERS_AFG, FLOWS_AFG)
    assert plan.tranches["gross_usd"].sum() == pytest.approx(want["usd"], rel=1e-9)
    # Lines by cluster: named as the file names them, requirements where it has one.
    reqs = [r for r in raw_requirements(CLUSTERS_AFG) if r["clusterCode"] and r["requirements"]]
    assert sorted(plan.requirements["line_id"]) == sorted(r["clusterCode"] for r in reqs)
    assert plan.requirements["requirement_usd"].sum() == sum(float(r["requirements"]) for r in reqs)
    assert set(plan.programmes["name"]) >= {"Protection", "Mine Action", "Food Security"}
    # Every flow's money may fund exactly the clusters it names: one, several or any.
    index = EligibilityIndex(plan.programmes)
    by_name = dict(zip(plan.programmes["line_id"], plan.programmes["name"], strict=True))
    for pledge in plan.pledges.itertuples(index=False):
        flow = next(r for r in rows if f"FTS-{r['id']}" == pledge.pledge_id)
        named = {c for c in flow["destGlobalClusters"].split(",") if c}
        lines = index.lines_for(pledge.earmarking, pledge.earmark_to)
        if named:
            assert {by_name[x] for x in lines} == named
        else:
            assert pledge.earmarking == "unearmarked"
    shared = plan.pledges.loc[plan.pledges["earmark_to"].str.contains(";")]
    assert len(shared) == sum(1 for r in want["valid"] if "," in r["destGlobalClusters"])


def raw_requirements(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(newline="", encoding="utf-8")))


def test_flow_details_are_kept(tmp_path: Path) -> None:
    rows = raw(FLOWS_AFG)
    plan, _ = _import(cluster_programmes(tmp_path, rows), FLOWS_AFG)
    pledges = plan.pledges.set_index("pledge_id")
    lux = pledges.loc["FTS-228238"]  # 500,000 EUR at FTS's 0.824
    assert (lux["amount"], lux["currency"], lux["exchange_rate"]) == (500000.0, "EUR", 0.824)
    assert lux["pledge_date"] == "2021-02-25" and lux["status"] == "committed"
    in_kind = {
        f"FTS-{r['id']}"
        for r in expected_flows(rows)["valid"]
        if r["contributionType"] == "in kind"
    }
    assert in_kind and set(pledges.index[pledges["in_kind"]]) == in_kind
    paid = pledges.loc["FTS-227441"]  # Norway to the Afghanistan Humanitarian Fund, paid
    assert paid["paid_date"] == "2020-12-31" and paid["status"] == "paid"
    types = plan.donors.set_index("donor")["donor_type"]
    assert types["Norway, Government of"] == "member_state"
    assert (types == "private").any() and (types == "intergovernmental").any()


def test_carry_over_and_pass_through_are_kept_when_asked(tmp_path: Path) -> None:
    rows = raw(FLOWS_AFG)
    keep = frozenset({"Carryover", "Pass through"})
    want = expected_flows(rows, keep)
    options = ReadOptions.of("fts", keep_flows=["carry_over,pass-through"])
    plan, report = _import(cluster_programmes(tmp_path, rows), FLOWS_AFG, options=options)
    assert report.rows_imported == len(want["valid"])
    assert plan.tranches["gross_usd"].sum() == pytest.approx(want["usd"], rel=1e-9)
    flagged = Counter(plan.pledges["flow_type"])
    assert flagged["carry_over"] == sum(1 for r in want["valid"] if r["flowType"] == "Carryover")
    assert flagged["pass_through"] == sum(
        1 for r in want["valid"] if r["flowType"] == "Pass through"
    )


def test_parked_parents_are_not_counted_beside_their_children(tmp_path: Path) -> None:
    rows = raw(FLOWS_AFG)
    plan, report = _import(cluster_programmes(tmp_path, rows), FLOWS_AFG)
    parents = [e for e in report.set_aside if "parked parent flow" in e.message]
    standard = {(r["srcOrganization"], r["refCode"]) for r in rows if r["flowType"] != "Parked"}
    expected = [
        r
        for r in rows
        if r["flowType"] == "Parked"
        and r["refCode"]
        and (r["srcOrganization"], r["refCode"]) in standard
    ]
    assert len(parents) == len(expected) > 0
    kept = set(plan.pledges["pledge_id"])
    for r in expected:
        assert f"FTS-{r['id']}" not in kept


def test_the_hxl_row_version_reads_the_same_flows(tmp_path: Path) -> None:
    rows = raw(FLOWS_HXL)
    want = expected_flows(rows)
    plan, report = _import(cluster_programmes(tmp_path, rows), FLOWS_HXL)
    assert report.rows_read == len(rows) == 80
    assert plan.tranches["gross_usd"].sum() == pytest.approx(want["usd"], rel=1e-9)


def _as_workbook(source: Path, tmp_path: Path) -> Path:
    """The csv download as an xlsx workbook, numbers as numbers (as a spreadsheet program
    saves it once opened), everything else as the text it was."""
    import openpyxl

    def cell(text: str) -> Any:
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and "." not in text else number

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "fts_incoming_funding"
    with source.open(newline="", encoding="utf-8") as f:
        for i, record in enumerate(csv.reader(f)):
            hxl_row = i == 1 and record[0].startswith("#")
            ws.append([v if hxl_row else cell(v) for v in record])
    path = tmp_path / (source.stem + ".xlsx")
    wb.save(path)
    return path


@pytest.mark.parametrize("flows", [FLOWS_JOR, FLOWS_HXL], ids=["jor", "afg_hxl_row"])
def test_the_xlsx_download_reads_as_the_csv(flows: Path, tmp_path: Path) -> None:
    rows = raw(flows)
    want = expected_flows(rows)
    plan, report = _import(cluster_programmes(tmp_path, rows), _as_workbook(flows, tmp_path))
    assert report.rows_read == len(rows)
    assert report.rows_imported == len(want["valid"])
    assert report.rows_set_aside == len(want["aside"])
    assert plan.tranches["gross_usd"].sum() == pytest.approx(want["usd"], rel=1e-9)
    assert plan.pledges["donor"].nunique() == want["donors"]


def _hxl_only(tmp_path: Path, drop: tuple[str, ...] = ()) -> Path:
    """The 2021 file without its header row (HXL only), optionally without some columns."""
    records = list(csv.reader(FLOWS_HXL.open(newline="", encoding="utf-8")))
    header = records[0]
    keep = [i for i, h in enumerate(header) if h not in drop]
    out = io.StringIO(newline="")
    csv.writer(out).writerows([[r[i] for i in keep] for r in records[1:]])
    path = tmp_path / "hxl_only.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_an_hxl_only_file_with_two_columns_tagged_alike_is_refused_naming_both(
    tmp_path: Path,
) -> None:
    path = _hxl_only(tmp_path)
    with pytest.raises(ImportFailed) as info:
        _import(cluster_programmes(tmp_path, raw(FLOWS_HXL)), path)
    [error] = info.value.report.errors
    assert error.file == "hxl_only.csv" and error.row == 1
    assert "'#financial+contribution+type' could be column flow_type or in_kind" in error.message


def test_hxl_attributes_are_matched_by_meaning(tmp_path: Path) -> None:
    """Without the header row: +impl is never the donor, +end is the last year, +usd sets the
    currency of the amount."""
    # (contributionType and flowType are tagged alike: without them the file reads.)
    drop = ("contributionType", "flowType", "originalAmount", "originalCurrency")
    path = _hxl_only(tmp_path, drop=drop)
    rows = raw(FLOWS_HXL)
    plan, _ = _import(cluster_programmes(tmp_path, rows), path)
    donors = set(plan.pledges["donor"])
    assert donors <= {r["srcOrganization"] for r in rows}
    assert not donors & (
        {r["destOrganization"] for r in rows} - {r["srcOrganization"] for r in rows}
    )
    by_id = {f"FTS-{r['id']}": r for r in rows}
    for p in plan.pledges.itertuples(index=False):
        flow = by_id[p.pledge_id]
        assert (p.first_year, p.last_year) == (
            int(flow["destUsageYearStart"]),
            int(flow["destUsageYearEnd"]),
        )
        assert p.currency == "USD" and math.isclose(p.amount, float(flow["amountUSD"]))


@pytest.mark.parametrize(
    "path", [FLOWS_AFG, FLOWS_HXL, CLUSTERS_AFG, REAL / "fts_requirements_funding_afg.csv"]
)
def test_without_format_an_fts_file_is_refused_with_the_hint(
    path: Path, tmp_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["--db", tmp_db_url, "import", "--programmes", str(CLUSTERS_AFG), str(path)])
    assert rc == 2
    err = capsys.readouterr().err
    assert "this looks like an FTS export: use --format fts" in err
    with Register(tmp_db_url) as register:
        assert register.is_empty()


def test_requirements_by_plan_and_by_plan_cluster(tmp_path: Path) -> None:
    rows = raw(FLOWS_AFG)
    flows = tmp_path / "none.csv"
    flows.write_text("donor,amount,currency,year,earmarking,status\n", encoding="utf-8")
    for name in ("fts_requirements_funding_afg.csv", "fts_requirements_funding_cluster_afg.csv"):
        source = raw_requirements(REAL / name)
        plan, report = load_plan(REAL / name, [flows], options=FTS, skip_invalid=True)
        code = "clusterCode" if "clusterCode" in source[0] else "code"
        lines = [r for r in source if r[code]]
        assert sorted(plan.programmes["line_id"]) == sorted({r[code] for r in lines})
        needed = sum(float(r["requirements"]) for r in lines if r["requirements"])
        assert plan.requirements["requirement_usd"].sum() == needed
        aside = [e for e in report.set_aside if e.file == name]
        assert len(aside) == len(source) - len(lines)
    del rows


def test_cli_import_with_format_fts_stores_the_flows(tmp_db_url: str, tmp_path: Path) -> None:
    rows = raw(FLOWS_AFG)
    want = expected_flows(rows)
    base = ["--db", tmp_db_url, "import", "--format", "fts", "--programmes", str(CLUSTERS_AFG)]
    assert main([*base, str(FLOWS_AFG)]) == 2  # two flows have no source organisation
    with Register(tmp_db_url) as register:
        assert register.is_empty()
    assert main([*base, "--skip-invalid", str(FLOWS_AFG)]) == 0
    with Register(tmp_db_url) as register:
        assert len(register.pledges()) == len(want["valid"])
        assert register.tranches()["gross_usd"].sum() == pytest.approx(want["usd"], rel=1e-9)
