"""The bundled sample data: shape promised in sample_data/README.md, and reproducibility."""

from __future__ import annotations

import csv
import importlib.util
import re
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import canonicalize

from openpyxl import load_workbook

from appeal.importer import SAMPLE_DIR, ImportReport
from models.plan import CATEGORIES, EARMARKING, PILLARS, STATUSES, Plan, split_list
from models.scenario import Scenario

README = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")


# The files read directly (openpyxl / csv), not through the importer, so the expectations
# below come from the data itself.
def _sheet_records(name: str, first_header: str) -> list[dict[str, Any]]:
    """Data rows of a sample workbook's first sheet, below the row starting with
    ``first_header`` (and below an HXL row, if any)."""
    rows = list(load_workbook(SAMPLE_DIR / name, read_only=True).active.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    header = [str(h) for h in rows[start]]
    body = rows[start + 1 :]
    if body and str(body[0][0]).startswith("#"):
        body = body[1:]
    return [dict(zip(header, r, strict=False)) for r in body if any(v is not None for v in r)]


def _csv_records(name: str) -> list[dict[str, str]]:
    with (SAMPLE_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


LINES = _sheet_records("programmes.xlsx", "line_id")
TRACKER = _sheet_records("pledges.xlsx", "Pledge ID")
ENTITIES = _csv_records("pledges_entities.csv")
DONORS = _csv_records("donors.csv")
PLEDGE_DONORS = {str(r["Donor"]) for r in TRACKER} | {r["donor"] for r in ENTITIES}
CURRENCIES = {str(r["Currency"]) for r in TRACKER} | {r["currency"] for r in ENTITIES}


def test_sample_imports_cleanly(sample_loaded: tuple[Plan, ImportReport]) -> None:
    plan, report = sample_loaded
    assert report.ok and not report.warnings
    assert report.rows_read == report.rows_imported == len(TRACKER) + len(ENTITIES)
    assert len(plan.pledges) == len(TRACKER) + len(ENTITIES)
    assert plan.illustrative is True
    years = sorted({int(k[4:]) for k in LINES[0] if k.startswith("req_")})
    assert plan.years == years == [2027, 2028, 2029, 2030]


def test_readme_counts_match_the_files() -> None:
    by_category = Counter(str(r["category"]) for r in LINES)
    assert (
        f"{len(LINES)} budget lines ({by_category['leadership']} leadership, "
        f"{by_category['coordination']} coordination, {by_category['flagship']} flagship, "
        f"{by_category['entity']} other-entity)" in README
    )
    assert f"| {len(DONORS)} donors:" in README
    assert f"| {len(TRACKER)} pledges as a pledge-tracker export" in README
    assert f"| {len(ENTITIES)} more pledges as entities send them" in README
    shape = re.sub(r"\s+", " ", README)
    assert (
        f"{len(TRACKER) + len(ENTITIES)} pledges from {len(PLEDGE_DONORS)} donors in "
        f"{len(CURRENCIES)} currencies ({', '.join(sorted(CURRENCIES, key=README.index))})" in shape
    )


def test_programmes_shape(sample_plan: Plan) -> None:
    prog = sample_plan.programmes
    assert prog["line_id"].tolist() == [r["line_id"] for r in LINES]
    assert set(prog["category"]) == set(CATEGORIES)
    pillars = {p for cell in prog["pillars"] for p in split_list(cell)}
    assert pillars == set(PILLARS)
    themes = {t for cell in prog["themes"] for t in split_list(cell)}
    assert {"human_rights", "gender", "civil_society"} <= themes
    entities = set(prog["entity"])
    assert {"UNOCT", "UNODC", "OHCHR", "UN Women", "UNDP", "UNICEF", "UNICRI", "IOM"} <= entities
    assert {"INTERPOL", "CTED", "IMO"} <= entities
    flagships = prog.loc[prog["category"] == "flagship"]
    viable = [r for r in LINES if r["category"] == "flagship" and r["min_viable_share"]]
    assert (flagships["min_viable_share"] > 0).sum() == len(viable) >= 3
    assert any("goTravel" in n for n in flagships["name"])
    scores = [k for k in LINES[0] if k.startswith("score_")]
    assert [c for c in prog.columns if c.startswith("score_")] == scores


def test_donors_and_concentration(sample_plan: Plan) -> None:
    donors = sample_plan.donor_table()
    assert set(donors["donor"]) == PLEDGE_DONORS
    listed = {r["donor"]: r for r in DONORS}
    assert set(listed) >= PLEDGE_DONORS  # every pledging donor is described
    assert dict(zip(donors["donor"], donors["donor_type"], strict=True)) == {
        d: listed[d]["donor_type"] for d in PLEDGE_DONORS
    }
    assert {"member_state", "intergovernmental", "private", "un_fund"} <= set(donors["donor_type"])
    assert len(set(donors["region"])) >= 5
    usd = (
        sample_plan.tranches.merge(sample_plan.pledges[["pledge_id", "donor"]], on="pledge_id")
        .groupby("donor")["programmable_usd"]
        .sum()
        .sort_values(ascending=False)
    )
    shares = usd / usd.sum()
    assert 0.25 < shares.iloc[:2].sum() < 0.45  # a few large donors
    assert (shares < 0.01).sum() >= 10  # a long tail


def test_pledges_shape(sample_plan: Plan) -> None:
    pledges = sample_plan.pledges
    assert set(pledges["currency"]) == CURRENCIES
    assert {"USD", "EUR", "GBP", "JPY", "SAR", "QAR", "NOK"} <= set(pledges["currency"])
    assert set(pledges["earmarking"]) == set(EARMARKING)
    earmarked = pledges["earmarking"].isin(["earmarked", "tightly_earmarked"]).mean()
    assert earmarked > 0.5  # mostly earmarked, like reality
    soft = pledges.loc[pledges["earmarking"] == "softly_earmarked", "earmark_to"]
    assert {t.split(":")[0] for t in soft} == {"pillar", "theme", "category", "entity"}
    assert set(pledges["status"]) == set(STATUSES)
    written_confidential = sum(
        1
        for r in [*TRACKER, *ENTITIES]
        if str(r.get("Confidential", r.get("confidential"))) == "yes"
    )
    assert pledges["confidential"].sum() == written_confidential >= 3
    assert (pledges["last_year"] > pledges["first_year"]).sum() >= 50
    years = set(sample_plan.tranches["year"])
    assert 2026 in years and 2031 in years  # carry-forward and after-horizon money
    counts = sample_plan.tranches.groupby("pledge_id")["amount"].nunique()
    uneven = [r for r in TRACKER if any(r.get(f"amount_{y}") for y in range(2026, 2032))]
    assert (counts > 1).sum() == len(uneven) >= 10  # uneven explicit amount_YYYY tranches


def test_requirements_exceed_funding(sample_plan: Plan) -> None:
    need = sample_plan.requirements["requirement_usd"].sum()
    money = sample_plan.tranches["programmable_usd"].sum()
    assert need > money * 1.2


def test_scenarios_load() -> None:
    names = sorted(p.stem for p in (SAMPLE_DIR / "scenarios").glob("*.toml"))
    assert names == ["baseline", "criteria_scored", "flexible_first"]
    for path in (SAMPLE_DIR / "scenarios").glob("*.toml"):
        scenario = Scenario.from_toml(path.read_text(encoding="utf-8"))
        assert scenario.name == path.stem
    scored = Scenario.from_toml((SAMPLE_DIR / "scenarios" / "criteria_scored.toml").read_text())
    assert scored.weights.criteria


def test_template_workbook() -> None:
    wb = load_workbook(SAMPLE_DIR / "pledge_template.xlsx")
    assert wb.sheetnames == ["Pledges", "Instructions"]
    ws = wb["Pledges"]
    assert ws["A1"].value == "pledge_id" and ws["B2"].value == "#org+funder"
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) >= 2
    text = " ".join(str(c.value) for row in wb["Instructions"].iter_rows() for c in row if c.value)
    assert "earmark_to" in text and "formula" in text


def test_readme_labels_amounts_illustrative() -> None:
    text = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    assert "illustrative" in text.lower()
    assert "386.1m" in text and "335.8m" in text


def test_generator_is_deterministic(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("sample_generate", SAMPLE_DIR / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for name in (
        "programmes.xlsx",
        "pledges.xlsx",
        "pledges_entities.csv",
        "donors.csv",
        "fx_rates.csv",
        "pledge_template.xlsx",
        "scenarios/baseline.toml",
    ):
        assert same_content(tmp_path / name, SAMPLE_DIR / name), name


def same_content(made: Path, committed: Path) -> bool:
    """Byte-equal files; for xlsx, the same parts holding the same XML once canonicalised
    (openpyxl serialises through lxml when it is installed: same XML, other bytes)."""
    if made.suffix != ".xlsx":
        return made.read_bytes() == committed.read_bytes()
    with zipfile.ZipFile(made) as a, zipfile.ZipFile(committed) as b:
        if a.namelist() != b.namelist():
            return False
        return all(
            canonicalize(a.read(n).decode("utf-8")) == canonicalize(b.read(n).decode("utf-8"))
            for n in a.namelist()
        )
