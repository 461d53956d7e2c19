"""The findings of issue 11 that are not a refused file: each reproduced, then shown fixed.

Nothing lost (a pledge id from another file, the same pledge in two files), nothing poisoned
(a register no write can make invalid, hidden sheets, invisible characters), nothing leaked (a
confidential donor written in another case, free text naming one, a guessed name in the risk
simulation) and every file out inert (each export written, then read back).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from appeal.cli import main
from appeal.importer import load_plan
from appeal.register import Register, RegisterError
from appeal.workbook.xlsx_safety import FORMULA_TRIGGERS
from dashboards.logic import pledges as page
from dashboards.state import aliases_for, scenario_from_browser, scenario_to_browser
from models.plan import PlanError, make_plan
from models.privacy import donor_aliases, name_scrubber
from models.scenario import Scenario, ScenarioError
from tests.conftest import PLEDGE_HEADER
from tests.hostile import files

Maker = Callable[..., Path]
ROW = ["Norway", 1000, "USD", 2027, 1, "unearmarked", "", "paid"]


@pytest.fixture
def base(small_programmes: Path, small_fx: Path, tmp_db_url: str) -> list[str]:
    """``appeal --db URL import --programmes P --fx F`` (add the pledge files)."""
    return [
        "--db",
        tmp_db_url,
        "import",
        "--programmes",
        str(small_programmes),
        "--fx",
        str(small_fx),
    ]


# -- nothing lost ---------------------------------------------------------------------------
def test_a_pledge_id_from_another_file_never_replaces_the_stored_pledge(
    make_csv: Maker, base: list[str], tmp_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    header = ["pledge_id", *PLEDGE_HEADER, "confidential"]
    first = make_csv([header, ["P1", "Secretland", 5e6, *ROW[2:], "yes"]], name="first.csv")
    second = make_csv([header, ["P1", "Other", 5, *ROW[2:], "no"]], name="second.csv")
    assert main([*base, str(first)]) == 0
    # Before the fix: exit 0, "(+0)", and the confidential donor's pledge was gone.
    assert main(["--db", tmp_db_url, "import", str(second)]) == 2
    err = capsys.readouterr().err
    assert (
        "pledge_id 'P1' (second.csv row 2) is already in the register from first.csv row 2" in err
    )
    assert "Secretland" not in err  # the refusal names files and rows, never donors
    with Register(tmp_db_url) as register:
        stored = register.pledges()
        assert stored[["pledge_id", "donor", "source_file"]].values.tolist() == [
            ["P1", "Secretland", "first.csv"]
        ]
        assert len(register.import_log()) == 1
    # On purpose, and said so: --replace-existing replaces it and lists the replacement.
    assert main(["--db", tmp_db_url, "import", "--replace-existing", str(second)]) == 0
    out = capsys.readouterr()
    assert "replaced the pledge stored from first.csv row 2" in out.err
    with Register(tmp_db_url) as register:
        assert register.pledges()["donor"].tolist() == ["Other"]
        log = json.loads(_reports(register)[-1])
        assert any("replaced the pledge" in w["message"] for w in log["warnings"])


def _reports(register: Register) -> list[str]:
    import sqlalchemy as sa

    from appeal.register import import_log_t

    with register.engine.connect() as conn:
        return [str(r) for r in conn.execute(sa.select(import_log_t.c.report)).scalars()]


def test_reimporting_the_same_file_is_still_idempotent(
    make_csv: Maker, base: list[str], tmp_db_url: str
) -> None:
    path = make_csv([["pledge_id", *PLEDGE_HEADER], ["P1", *ROW]], name="same.csv")
    assert main([*base, str(path)]) == 0
    assert main(["--db", tmp_db_url, "import", str(path)]) == 0
    with Register(tmp_db_url) as register:
        assert register.pledges()["pledge_id"].tolist() == ["P1"]


def test_the_same_pledge_without_id_in_two_files_stays_two_pledges(
    make_csv: Maker, base: list[str], tmp_db_url: str
) -> None:
    a = make_csv([PLEDGE_HEADER, ROW], name="a.csv")
    b = make_csv([PLEDGE_HEADER, ROW], name="b.csv")
    assert main([*base, str(a)]) == 0
    assert main(["--db", tmp_db_url, "import", str(b)]) == 0  # before: collapsed into one
    assert main(["--db", tmp_db_url, "import", str(a)]) == 0  # and re-importing adds nothing
    with Register(tmp_db_url) as register:
        stored = register.pledges()
    assert sorted(stored["source_file"]) == ["a.csv", "b.csv"]
    assert stored["pledge_id"].nunique() == 2


def test_a_checked_upload_cannot_replace_a_pledge_from_another_file(
    make_csv: Maker, base: list[str], tmp_db_url: str
) -> None:
    header = ["pledge_id", *PLEDGE_HEADER]
    assert main([*base, str(make_csv([header, ["P1", *ROW]], name="first.csv"))]) == 0
    with Register(tmp_db_url) as register:
        plan = register.load_plan()
        data = make_csv([header, ["P1", "Other", *ROW[1:]]], name="up.csv").read_bytes()
        check = page.check_upload(data, "up.csv", plan)
        assert check.can_store
        with pytest.raises(RegisterError, match=r"already in the register from first\.csv"):
            page.store_checked(register, check, data)
        assert register.pledges()["donor"].tolist() == ["Norway"]


# -- nothing poisoned -----------------------------------------------------------------------
def test_no_write_can_leave_a_register_the_model_cannot_use(
    make_csv: Maker, base: list[str], tmp_db_url: str, small_fx: Path
) -> None:
    earmarked = [*ROW[:5], "earmarked", "L2", "paid"]
    assert main([*base, str(make_csv([PLEDGE_HEADER, earmarked], name="l2.csv"))]) == 0
    with Register(tmp_db_url) as register:
        before = register.pledges()
        plan = register.load_plan()
        # A pledge whose money is beyond anything the model can add up (1e308 made it fail).
        huge = make_plan(
            [{"line_id": "L1", "requirements": {2027: 1.0}}],
            [{"donor": "X", "amount": 1.0, "pledge_id": "H1"}],
        )
        tranches = huge.tranches.assign(gross_usd=1e308, programmable_usd=1e308)
        pledges = huge.pledges.assign(source_file="huge.csv")
        with pytest.raises(RegisterError, match="invalid plan"):
            register.import_pledges(pledges, tranches, _report(), "huge.csv")
        # New programmes without line L2, which a stored pledge is earmarked to.
        without_l2 = plan.replace(
            programmes=plan.programmes[plan.programmes["line_id"] != "L2"].reset_index(drop=True),
            requirements=plan.requirements[plan.requirements["line_id"] != "L2"].reset_index(
                drop=True
            ),
            pledges=plan.pledges.iloc[0:0],
            tranches=plan.tranches.iloc[0:0],
        )
        with pytest.raises(RegisterError, match="invalid plan"):
            register.import_plan(without_l2, _report())
        after = register.load_plan()  # still loads: nothing was stored
        pd.testing.assert_frame_equal(register.pledges(), before)
        assert "L2" in set(after.programmes["line_id"])


def _report() -> Any:
    from appeal.importer import ImportReport

    return ImportReport()


def test_a_plan_with_money_the_model_cannot_use_cannot_be_built() -> None:
    plan = make_plan(
        [{"line_id": "L1", "requirements": {2027: 1.0}}], [{"donor": "X", "amount": 1}]
    )
    with pytest.raises(PlanError, match="gross_usd"):
        type(plan).build(
            programmes=plan.programmes,
            requirements=plan.requirements,
            pledges=plan.pledges,
            tranches=plan.tranches.assign(gross_usd=1e308),
        )


def test_a_hidden_sheet_is_never_read_and_the_visible_one_is(
    tmp_path: Path, small_programmes: Path, small_fx: Path
) -> None:
    path = files.write_zip(
        tmp_path / "book.xlsx",
        files.workbook_parts(
            [
                (
                    "Pledges",
                    files.pledge_sheet(["Hidden donor", 9, "USD", 2027, "unearmarked", "paid"]),
                    "hidden",
                ),
                (
                    "Sheet1",
                    files.sheet(
                        [
                            files.row(1, files.PLEDGE_HEADER),
                            files.row(2, ["Visible donor", *files.GOOD_ROW[1:]]),
                        ]
                    ),
                    None,
                ),
            ]
        ),
    )
    plan, _ = load_plan(small_programmes, [path], fx=small_fx)
    assert plan.pledges["donor"].tolist() == ["Visible donor"]
    assert plan.pledges["source_sheet"].tolist() == ["Sheet1"]


def test_invisible_characters_are_stripped_and_names_are_nfc(
    make_csv: Maker, small_programmes: Path, small_fx: Path
) -> None:
    path = make_csv(
        [PLEDGE_HEADER, ["Nor\u200bway\u2060", *ROW[1:]], ["Cafe\u0301 Fund\u200e", *ROW[1:]]]
    )
    plan, _ = load_plan(small_programmes, [path], fx=small_fx)
    assert plan.pledges["donor"].tolist() == ["Norway", "Café Fund"]


# -- nothing leaked -------------------------------------------------------------------------
@pytest.fixture
def confidential_plan(make_csv: Maker) -> Path:
    """Qatar marked confidential on one row, written "QATAR " (another case) on another."""
    header = [*PLEDGE_HEADER, "confidential"]
    return make_csv(
        [
            header,
            ["Qatar", 2_000_000, *ROW[2:], "yes"],
            ["QATAR ", 1_000_000, "USD", 2028, 1, "unearmarked", "", "paid", "no"],
            ["Norway", 500_000, *ROW[2:], "no"],
        ],
        name="conf.csv",
    )


def test_a_confidential_donor_in_another_letter_case_is_confidential_everywhere(
    confidential_plan: Path,
    small_programmes: Path,
    small_fx: Path,
    tmp_path: Path,
    tmp_db_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "Without qatar"\ndescription = "What if QATAR  pulls out?"\n')
    out_json, out_xlsx = tmp_path / "r.json", tmp_path / "r.xlsx"
    argv = ["plan", "--programmes", str(small_programmes), "--fx", str(small_fx)]
    argv += ["--pledges", str(confidential_plan), "--scenario", str(scenario)]
    assert main([*argv, "--json", str(out_json), "--out", str(out_xlsx)]) == 0
    texts = {"json": out_json.read_text(encoding="utf-8")}
    book = openpyxl.load_workbook(out_xlsx, read_only=True)
    texts["xlsx"] = "\n".join(
        str(v) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for v in r if v
    )
    book.close()
    analysed = tmp_path / "a.json"
    assert main(["analyse", *argv[1:], "--draws", "5", "--json", str(analysed)]) == 0
    texts["analyse json"] = analysed.read_text(encoding="utf-8")
    imports = ["--db", tmp_db_url, "import", "--programmes", str(small_programmes)]
    assert main([*imports, "--fx", str(small_fx), str(confidential_plan)]) == 0
    capsys.readouterr()
    for fmt in ("csv", "json", "table"):
        assert main(["--db", tmp_db_url, "pledges", "--format", fmt]) == 0
        texts[f"pledges {fmt}"] = capsys.readouterr().out
    for where, text in texts.items():
        assert "qatar" not in text.casefold(), where
    data = json.loads(texts["json"])
    assert data["scenario"]["description"].startswith("What if Anonymous donor")
    donors = {a["donor"] for a in data["allocations"]}
    assert donors <= {"Anonymous donor 1", "Anonymous donor 2", "Norway"}
    # The dashboard: the grid of stored pledges and the scenario sent to the browser.
    with Register(tmp_db_url) as register:
        plan = register.load_plan()
    aliases = aliases_for(plan)
    grid = json.dumps(page.grid_rows(plan.pledges, aliases))
    browser = json.dumps(
        scenario_to_browser(Scenario(description="QATAR and qatar and Q\u200batar"), aliases)
    )
    assert "qatar" not in grid.casefold()
    assert "qatar" not in browser.casefold()


def test_a_guessed_confidential_name_is_refused_by_the_risk_simulation_inputs(
    confidential_plan: Path, small_programmes: Path, small_fx: Path
) -> None:
    plan, _ = load_plan(small_programmes, [confidential_plan], fx=small_fx)
    aliases = aliases_for(plan)
    for guess in ("Qatar", "QATAR ", "qatar"):
        with pytest.raises(ScenarioError, match="no pledge from"):
            scenario_from_browser({"risk": {"donor_probability": {guess: 0.0}}}, aliases)
    alias = aliases["Qatar"]
    scenario = scenario_from_browser({"risk": {"donor_probability": {alias: 0.0}}}, aliases)
    assert scenario.risk.donor_probability == {"Qatar": 0.0}


def test_aliases_and_scrubber_match_normalised_names(
    confidential_plan: Path, small_programmes: Path, small_fx: Path
) -> None:
    plan, _ = load_plan(small_programmes, [confidential_plan], fx=small_fx)
    aliases = donor_aliases(plan)
    assert aliases["Qatar"].startswith("Anonymous donor")
    assert aliases["QATAR"].startswith("Anonymous donor")  # the stored spelling, trimmed
    assert aliases.get("  qatar\u200b") == aliases["Qatar"]  # any spelling of the name
    assert aliases["Norway"] == "Norway"
    scrub = name_scrubber(aliases)
    assert "qatar" not in scrub("qatar, QATAR , Qa\u200btar and\tQaTaR").casefold()
    assert scrub("Norway only") == "Norway only"


# -- every file out is inert ----------------------------------------------------------------
TRIGGER_NAMES = ["+cmd", "-2+3", "@SUM(A1)", "\uff1d1+1", "\uff0bx", "\uff20x", "\uff0dy"]


def test_every_export_escapes_formula_trigger_text(
    tmp_path: Path,
    small_programmes: Path,
    small_fx: Path,
    tmp_db_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Donor, sheet and file names beginning with a trigger.
    rows = [[name, 1000 + i, *ROW[2:]] for i, name in enumerate(TRIGGER_NAMES)]
    book = files.write_zip(
        tmp_path / "+pledges.xlsx",
        files.workbook_parts(
            [
                (
                    "-Pledges",
                    files.sheet(
                        [files.row(1, PLEDGE_HEADER)]
                        + [files.row(i + 2, r) for i, r in enumerate(rows)]
                    ),
                    None,
                )
            ]
        ),
    )
    imports = ["--db", tmp_db_url, "import", "--programmes", str(small_programmes)]
    assert main([*imports, "--fx", str(small_fx), str(book)]) == 0
    capsys.readouterr()
    assert main(["--db", tmp_db_url, "pledges", "--format", "csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sorted(r["donor"] for r in table) == sorted("'" + n for n in TRIGGER_NAMES)
    assert {r["source_file"] for r in table} == {"'+pledges.xlsx"}
    assert {r["source_sheet"] for r in table} == {"'-Pledges"}
    _no_field_starts_a_formula([v for r in table for v in r.values()])
    assert main(["--db", tmp_db_url, "pledges", "--format", "json"]) == 0
    _no_field_starts_a_formula(_strings(json.loads(capsys.readouterr().out)))
    # appeal plan: the result JSON and the workbook; appeal analyse: its JSON.
    out_json, out_xlsx, analysis = tmp_path / "r.json", tmp_path / "r.xlsx", tmp_path / "a.json"
    plan = ["plan", "--programmes", str(small_programmes), "--fx", str(small_fx), "--pledges"]
    assert main([*plan, str(book), "--json", str(out_json), "--out", str(out_xlsx)]) == 0
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert {a["donor"] for a in data["allocations"]} >= {"'" + n for n in TRIGGER_NAMES[:3]}
    _no_field_starts_a_formula(_strings(data))
    assert main(["--db", tmp_db_url, "analyse", "--draws", "0", "--json", str(analysis)]) == 0
    _no_field_starts_a_formula(_strings(json.loads(analysis.read_text(encoding="utf-8"))))
    workbook = openpyxl.load_workbook(out_xlsx)
    seen = 0
    for ws in workbook.worksheets:
        for r in ws.iter_rows():
            for c in r:
                if c.data_type == "f":
                    assert not any(n in str(c.value) for n in TRIGGER_NAMES), c.value
                elif isinstance(c.value, str) and c.value[:1] in FORMULA_TRIGGERS:
                    assert c.data_type == "s" and c.quotePrefix, (ws.title, c.coordinate)
                    seen += c.value in TRIGGER_NAMES
    assert seen >= len(TRIGGER_NAMES)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [*value, *(s for v in value.values() for s in _strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _no_field_starts_a_formula(values: list[str]) -> None:
    bad = [v for v in values if v[:1] in FORMULA_TRIGGERS]
    assert not bad, bad[:5]
