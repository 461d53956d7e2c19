"""The bundled sample data: shape promised in sample_data/README.md, and reproducibility."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path
from xml.etree.ElementTree import canonicalize

from openpyxl import load_workbook

from appeal.importer import SAMPLE_DIR, ImportReport
from models.plan import CATEGORIES, EARMARKING, PILLARS, STATUSES, Plan, split_list
from models.scenario import Scenario


def test_sample_imports_cleanly(sample_loaded: tuple[Plan, ImportReport]) -> None:
    plan, report = sample_loaded
    assert report.ok and not report.warnings
    assert report.rows_read == report.rows_imported == 250
    assert plan.illustrative is True
    assert plan.years == [2027, 2028, 2029, 2030]


def test_programmes_shape(sample_plan: Plan) -> None:
    prog = sample_plan.programmes
    assert 38 <= len(prog) <= 45
    assert set(prog["category"]) == set(CATEGORIES)
    pillars = {p for cell in prog["pillars"] for p in split_list(cell)}
    assert pillars == set(PILLARS)
    themes = {t for cell in prog["themes"] for t in split_list(cell)}
    assert {"human_rights", "gender", "civil_society"} <= themes
    entities = set(prog["entity"])
    assert {"UNOCT", "UNODC", "OHCHR", "UN Women", "UNDP", "UNICEF", "UNICRI", "IOM"} <= entities
    assert {"INTERPOL", "CTED", "IMO"} <= entities
    flagships = prog.loc[prog["category"] == "flagship"]
    assert (flagships["min_viable_share"] == 0.4).sum() >= 3
    assert any("goTravel" in n for n in flagships["name"])
    assert [c for c in prog.columns if c.startswith("score_")]


def test_donors_and_concentration(sample_plan: Plan) -> None:
    donors = sample_plan.donor_table()
    assert 35 <= len(donors) <= 45
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
    assert 240 <= len(pledges) <= 260
    assert len(set(pledges["currency"])) >= 5
    assert {"USD", "EUR", "GBP", "JPY", "SAR", "QAR", "NOK"} <= set(pledges["currency"])
    assert set(pledges["earmarking"]) == set(EARMARKING)
    earmarked = pledges["earmarking"].isin(["earmarked", "tightly_earmarked"]).mean()
    assert earmarked > 0.5  # mostly earmarked, like reality
    soft = pledges.loc[pledges["earmarking"] == "softly_earmarked", "earmark_to"]
    assert {t.split(":")[0] for t in soft} == {"pillar", "theme", "category", "entity"}
    assert set(pledges["status"]) == set(STATUSES)
    assert (pledges["last_year"] > pledges["first_year"]).sum() >= 50
    assert pledges["confidential"].sum() >= 3
    years = set(sample_plan.tranches["year"])
    assert 2026 in years and 2031 in years  # carry-forward and after-horizon money
    counts = sample_plan.tranches.groupby("pledge_id")["amount"].nunique()
    assert (counts > 1).sum() >= 10  # uneven explicit amount_YYYY tranches


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
