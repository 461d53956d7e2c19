"""The table contract (models/contract.py) is the one home of every public column.

Three kinds of proof:

- the contract is coherent (names, keys, anchors, references, HXL tags, examples that are
  themselves valid input);
- every consumer is derived from it: a subprocess changes the contract *before* anything else
  is imported (adds a pledge column, renames a donor column and a label) and the change shows
  up in the schema, the reader's maps, the importer, the register, the template, the
  workbook's Pledges sheet, the ``appeal pledges`` listing and the sample/benchmark headers;
- no consumer carries its own list: their source holds no literal list of contract columns,
  no HXL tag, no readable label and no vocabulary written out again.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from appeal import importer, template
from appeal import spreadsheet as ss
from appeal.spreadsheet import CellError
from models import contract, schemas
from models.plan import Plan

ROOT = Path(__file__).resolve().parent.parent
# The workbook's Pledges sheet module; another branch moves it into the appeal.workbook package.
_PLEDGE_SHEET = (
    "appeal.workbook.sheets.pledge_table"
    if (ROOT / "appeal" / "workbook" / "sheets" / "pledge_table.py").exists()
    else "appeal._workbook_pledges"
)
_workbook_pledges = importlib.import_module(_PLEDGE_SHEET)


# -- the contract is coherent ---------------------------------------------------------------
@pytest.mark.parametrize("table", contract.TABLES.values(), ids=lambda t: t.name)
def test_each_table_is_well_formed(table: contract.Table) -> None:
    names = [c.name for c in table.file_columns]
    assert len(names) == len(set(names)), "a file column is declared twice"
    assert len(table.fields) == len(set(table.fields)), "two columns fill one plan column"
    assert set(table.anchors) <= set(names)
    assert set(table.key) <= set(table.fields) and table.key
    for column in table.columns:
        assert column.help and column.example is not None, column.name
        if column.references:
            other, _, field = column.references.partition(".")
            assert field in contract.TABLES[other].fields
        if column.vocabulary is not None and column.default not in (None, ""):
            assert column.default in column.vocabulary.values
        for tag in column.hxl:
            assert tag.startswith("#") and ss._hxl_key(tag) == tag, f"{tag} is not normalised"
    if not table.in_files:
        assert not table.file_columns


@pytest.mark.parametrize(
    "column",
    [c for t in contract.TABLES.values() if t.in_files for c in t.file_columns],
    ids=lambda c: c.name,
)
def test_every_example_is_valid_input(column: contract.Column) -> None:
    """The example the contract documents reads back through the importer's parser and passes
    the column's schema rule."""
    try:
        value = importer.parser(column)(column.example)
    except CellError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"{column.name}: example {column.example!r} is refused: {exc}")
    if column.kind == "money":
        value = value[0]
    if not column.stored:
        return
    for check in schemas.column_checks(column):
        assert bool(check(pd.Series([value])).check_passed), (column.name, value)


def test_year_has_the_hxl_dictionarys_start_date_everywhere() -> None:
    """``#date+start`` (HXL dictionary: "when something started or will start") is written
    for a pledge's first year by every writer; ``#date+year`` (not an HXL attribute) is only
    still read, for workbooks written before."""
    year = contract.PLEDGES.column("year")
    assert year.hashtag == "#date+start"
    assert ss.HXL["pledges"]["#date+start"] == "year"
    assert ss.HXL["pledges"]["#date+year"] == "year"
    assert _workbook_pledges.column_hxl(year.label) == "#date+start"
    written = {c.name: c.hashtag for c in template.COLUMNS}
    assert written["year"] == "#date+start"
    # The bundled files, as generated: the template's and the tracker export's HXL rows.
    tpl = load_workbook(ROOT / "sample_data" / "pledge_template.xlsx")["Pledges"]
    hxl_row = {tpl.cell(1, j).value: tpl.cell(2, j).value for j in range(1, tpl.max_column + 1)}
    assert hxl_row["year"] == "#date+start"
    tracker = load_workbook(ROOT / "sample_data" / "pledges.xlsx", read_only=True)["Pledges"]
    rows = list(tracker.iter_rows(min_row=3, max_row=4, values_only=True))
    assert dict(zip(rows[0], rows[1], strict=True))["Year"] == "#date+start"


def test_help_text_says_required_or_optional_as_declared() -> None:
    pledge = contract.PLEDGES
    assert pledge.column("donor").help_text().startswith("Required. ")
    assert (
        pledge.column("psc_rate")
        .help_text()
        .startswith(f"Optional (default {contract.DEFAULT_PSC_RATE}). ")
    )
    assert pledge.column("confidential").help_text().startswith("Optional (default no). ")
    assert pledge.column("pledge_id").help_text().startswith("Optional. ")
    assert pledge.column("earmark_to").help_text() == pledge.column("earmark_to").help


# -- every consumer is derived from the contract --------------------------------------------
# Run in a fresh interpreter: the contract is changed before any consumer is imported, so
# every map, schema, SQL table and header those modules derive at import sees the change.
_CHANGED_CONTRACT = r"""
import dataclasses, json, sys
from pathlib import Path
from models import contract

matched = contract.Column(
    "matched", "bool", "yes = matches another donor's gift.", "no", default=False,
    aliases=("matched", "matched contribution"), hxl=("#meta+matched",), width=9,
)
cols = list(contract.PLEDGES.columns)
cols.insert([c.name for c in cols].index("confidential") + 1, matched)
cols = [dataclasses.replace(c, label="Earmarked to") if c.name == "earmark_to" else c for c in cols]
contract.PLEDGES = dataclasses.replace(contract.PLEDGES, columns=tuple(cols))
region = contract.DONORS.column("region")
renamed = dataclasses.replace(region, name="regional_group", aliases=("region",) + region.aliases)
contract.DONORS = dataclasses.replace(
    contract.DONORS,
    columns=tuple(renamed if c is region else c for c in contract.DONORS.columns),
)
contract.TABLES = {**contract.TABLES, "pledges": contract.PLEDGES, "donors": contract.DONORS}

# Only now the consumers.
import random
from openpyxl import Workbook, load_workbook
from appeal import register, spreadsheet, template
from appeal.commands import pledges as listing
from appeal.importer import ImportReport, load_plan
from benchmarks import bench_import
from models import schemas
from models.plan import PLEDGE_COLUMNS
import importlib, importlib.util
_workbook_pledges = importlib.import_module(sys.argv[2])

out = Path(sys.argv[1])
seen = {}
seen["plan_columns"] = PLEDGE_COLUMNS
seen["schema"] = str(schemas.SCHEMAS["pledges"].columns["matched"].dtype)
seen["reader"] = [spreadsheet.match_header("pledges", "Matched contribution"),
                  spreadsheet.HXL["pledges"].get("#meta+matched"),
                  spreadsheet.match_header("donors", "Regional group"),
                  spreadsheet.match_header("donors", "Region")]
seen["sql"] = {c.name: str(c.type) for c in register.pledges_t.columns if c.name == "matched"}
seen["listing"] = listing.COLUMNS

progs = out / "programmes.csv"
progs.write_text("line_id,name,category,entity,pillar,req_2027\nL1,Line,entity,UNODC,I,100\n")
pledges = out / "pledges.csv"
pledges.write_text(
    "donor,amount,currency,year,earmarking,status,Matched contribution\n"
    "A,10,USD,2027,unearmarked,paid,yes\nB,20,USD,2027,unearmarked,paid,\n"
)
donors = out / "donors.csv"
donors.write_text("donor,donor_type,Regional group\nA,member_state,WEOG\n")
plan, report = load_plan(progs, [pledges], donors=donors)
seen["imported"] = plan.pledges["matched"].tolist()
seen["donor_region"] = plan.donors["region"].tolist()
with register.Register(f"sqlite:///{out / 'r.sqlite'}") as reg:
    reg.import_plan(plan, report)
    seen["stored"] = reg.load_plan().pledges["matched"].tolist()
sheet = _workbook_pledges.pledge_table(plan, {})
seen["workbook"] = [list(sheet.columns), sheet["Matched"].tolist(),
                    _workbook_pledges.column_hxl("Matched")]
template.write_template(out / "t.xlsx")
wb = load_workbook(out / "t.xlsx")
ws = wb["Pledges"]
header = [ws.cell(1, j).value for j in range(1, ws.max_column + 1)]
letter = ws.cell(1, header.index("matched") + 1).column_letter
seen["template"] = [
    header,
    ws.cell(2, header.index("matched") + 1).value,
    [dv.formula1 for dv in ws.data_validations.dataValidation if letter in str(dv.sqref)],
    any("matches another" in str(c.value) for row in wb["Instructions"].iter_rows() for c in row),
]
bench_import.write_workbook(out / "b.xlsx", 3)
bench = load_workbook(out / "b.xlsx").active
seen["bench"] = [bench.cell(2, j).value for j in range(1, bench.max_column + 1)]
spec = importlib.util.spec_from_file_location("gen", Path("sample_data/generate.py").resolve())
gen = importlib.util.module_from_spec(spec); spec.loader.exec_module(gen)
gen.write_pledges(random.Random(1), out)
tracker = load_workbook(out / "pledges.xlsx")["Pledges"]
seen["generator"] = [tracker.cell(3, j).value for j in range(1, tracker.max_column + 1)]
seen["entities"] = (out / "pledges_entities.csv").read_text().splitlines()[0].split(",")
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("changed_contract")
    proc = subprocess.run(
        [sys.executable, "-c", _CHANGED_CONTRACT, str(folder), _PLEDGE_SHEET],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_an_added_column_reaches_the_plan_schema_and_reader(changed: dict[str, Any]) -> None:
    columns = changed["plan_columns"]
    assert columns[columns.index("confidential") + 1] == "matched"
    assert changed["schema"] == "bool"
    assert changed["reader"] == ["matched", "matched", "regional_group", "regional_group"]


def test_an_added_column_is_imported_stored_and_listed(changed: dict[str, Any]) -> None:
    # Read with the contract's bool parser and default (blank -> no) without importer code.
    assert changed["imported"] == [True, False]
    assert changed["stored"] == [True, False]
    assert changed["sql"] == {"matched": "BOOLEAN"}
    assert "matched" in changed["listing"]
    # A renamed file column still fills the same plan column.
    assert changed["donor_region"] == ["WEOG"]


def test_an_added_column_is_written_by_every_writer(changed: dict[str, Any]) -> None:
    sheet_columns, values, hashtag = changed["workbook"]
    assert "Matched" in sheet_columns and "Earmarked to" in sheet_columns
    assert "Earmark to" not in sheet_columns
    assert values == ["yes", "no"] and hashtag == "#meta+matched"
    header, tag, lists, explained = changed["template"]
    assert header[header.index("confidential") + 1] == "matched"
    assert tag == "#meta+matched" and lists == ['"yes,no"'] and explained
    assert "matched" in changed["bench"]
    assert {"Matched", "Earmarked to"} <= set(changed["generator"])
    assert "matched" in changed["entities"]


def test_the_unchanged_consumers_match_the_contract() -> None:
    """In this interpreter (the real contract): the derived constants are the contract's."""
    pledges = contract.PLEDGES
    assert template.COLUMNS is pledges.written
    assert list(_workbook_pledges.BASE_COLUMNS) == [c.label for c in pledges.written]
    assert ss.REQUIRED["pledges"] is pledges.anchors
    assert ss.ALIASES["pledges"]["donor"] is pledges.column("donor").aliases
    for name, schema in schemas.SCHEMAS.items():
        assert list(schema.columns) == contract.TABLES[name].fields
    from appeal import register

    assert [c.name for c in register.pledges_t.columns] == [*pledges.fields, "import_id"]
    assert [c.name for c in register.pledges_t.primary_key] == list(pledges.key)


# -- no consumer carries its own list -------------------------------------------------------
CONSUMERS = [
    "models/plan.py",
    "models/schemas.py",
    "appeal/spreadsheet.py",
    "appeal/importer.py",
    "appeal/template.py",
    _PLEDGE_SHEET.replace(".", "/") + ".py",
    "appeal/register.py",
    "appeal/commands/pledges.py",
    "sample_data/generate.py",
    "benchmarks/bench_import.py",
]


def _strings(node: ast.AST) -> list[str]:
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def _sequences(tree: ast.AST) -> list[list[str]]:
    """String elements of every list, tuple and set literal."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            out.append(
                [
                    e.value
                    for e in node.elts
                    if isinstance(e, ast.Constant) and isinstance(e.value, str)
                ]
            )
    return out


@pytest.mark.parametrize("path", CONSUMERS)
def test_no_consumer_writes_a_contract_list_again(path: str) -> None:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    tables = [t for t in contract.TABLES.values()]
    for values in _sequences(tree):
        for table in tables:
            names = {c.name for c in table.columns} | set(table.fields)
            hits = [v for v in values if v in names]
            assert len(hits) < 4, f"{path} lists {table.name} columns {hits}"
        for vocabulary in (
            contract.EARMARKING,
            contract.STATUS,
            contract.CATEGORY,
            contract.DONOR_TYPE,
        ):
            spelled = set(vocabulary.values) | set(vocabulary.labels)
            hits = [v for v in values if v in spelled]
            assert len(hits) < 3, f"{path} spells out allowed values {hits}"
    strings = set(_strings(tree))
    tags = {tag for t in tables for c in t.columns for tag in c.hxl}
    assert not strings & tags, f"{path} writes HXL tags itself: {strings & tags}"
    labels = {
        c.label
        for t in tables
        for c in t.columns
        if c.label != c.name.replace("_", " ").capitalize()
    }
    assert not strings & labels, f"{path} writes column labels itself: {strings & labels}"
    aliases = {a for t in tables for c in t.columns for a in c.aliases if " " in a}
    assert not strings & aliases, f"{path} spells header aliases itself: {strings & aliases}"


def test_plans_are_made_only_by_plan_build() -> None:
    """The one constructor: no code outside models/plan.py calls ``Plan(...)``."""
    offenders = []
    for folder in ("appeal", "models", "dashboards", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "models" / "plan.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                    if name == "Plan":
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
    assert callable(Plan.build)
