"""``appeal plan``, ``appeal import``, ``appeal pledges`` and ``appeal template`` end to end."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from appeal.cli import COMMANDS, main
from appeal.importer import SAMPLE_DIR, ImportReport, load_plan
from appeal.report import RESULT_KEYS
from models.plan import Plan

SAMPLE_ARGS = [
    "--programmes",
    str(SAMPLE_DIR / "programmes.xlsx"),
    "--pledges",
    str(SAMPLE_DIR / "pledges.xlsx"),
    "--pledges",
    str(SAMPLE_DIR / "pledges_entities.csv"),
    "--donors",
    str(SAMPLE_DIR / "donors.csv"),
    "--fx",
    str(SAMPLE_DIR / "fx_rates.csv"),
]
# The appeal workbook's sheets, as the README lists them.
WORKBOOK_SHEETS = (
    "Summary",
    "Requirements",
    "Funding status",
    "Allocation plan",
    "Priorities and asks",
    "Donor base",
    "Pledges",
    "Scenario and assumptions",
)
CONTRACT = {
    "totals": {"requirement_usd", "funded_usd", "firm_usd", "gap_usd", "coverage"},
    "lines": {"line_id", "year", "requirement_usd", "funded_usd", "firm_usd", "gap_usd"},
    "donor_base": {
        "donor_count",
        "hhi",
        "effective_donors",
        "top1_share",
        "top3_share",
        "flexible_share",
        "multiyear_share",
    },
    "solver": {"name", "status", "seconds"},
    "import_report": {"rows_read", "rows_imported", "rows_rejected", "errors"},
}


@pytest.fixture(scope="module")
def sample_result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("plan") / "result.json"
    scenario = str(SAMPLE_DIR / "scenarios" / "baseline.toml")
    assert main(["plan", *SAMPLE_ARGS, "--scenario", scenario, "--json", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def confidential(sample_loaded: tuple[Plan, ImportReport]) -> list[str]:
    pledges = sample_loaded[0].pledges
    names = sorted(set(pledges.loc[pledges["confidential"], "donor"]))
    assert names, "the sample data has confidential donors"
    return names


def test_plan_json_follows_the_contract(
    sample_result: dict[str, Any], sample_loaded: tuple[Plan, ImportReport]
) -> None:
    plan, report = sample_loaded
    assert set(sample_result) == set(RESULT_KEYS)
    for key, fields in CONTRACT.items():
        if key == "lines":
            continue
        assert fields <= set(sample_result[key]), key
    lines = sample_result["lines"]
    assert len(lines) == len(plan.requirements)  # one row per line-year with a requirement
    assert all(CONTRACT["lines"] <= set(line) for line in lines)
    assert sample_result["plan"] == {
        "title": plan.title,
        "years": plan.years,
        "illustrative": plan.illustrative,
    }
    got = sample_result["import_report"]
    assert (got["rows_read"], got["rows_imported"]) == (report.rows_read, report.rows_imported)
    assert got["rows_imported"] == len(plan.pledges)
    assert sample_result["scenario"]["name"] == "baseline"
    totals = sample_result["totals"]
    assert totals["requirement_usd"] == pytest.approx(plan.requirements["requirement_usd"].sum())
    allocated = sum(a["amount_usd"] for a in sample_result["allocations"])
    unallocated = sum(u["amount_usd"] for u in sample_result["unallocated"])
    assert totals["funded_usd"] == pytest.approx(allocated, abs=0.01)
    assert totals["gap_usd"] == pytest.approx(totals["requirement_usd"] - allocated, abs=0.01)
    # Every programmable dollar is accounted for: allocated + unallocated.
    programmable = plan.tranches["programmable_usd"].sum()
    assert allocated + unallocated == pytest.approx(programmable, abs=0.01)
    for key in ("allocations", "unallocated"):
        assert all({"pledge_id", "amount_usd"} <= set(row) for row in sample_result[key]), key


def test_plan_json_anonymises_confidential_donors(
    sample_result: dict[str, Any], confidential: list[str]
) -> None:
    text = json.dumps(sample_result)
    for name in confidential:
        assert name not in text
    donors = {a["donor"] for a in sample_result["allocations"]}
    assert {f"Anonymous donor {i}" for i in range(1, len(confidential) + 1)} <= donors


def test_plan_requires_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan"]) == 2
    assert (
        "--programmes FILE and at least one --pledges FILE are required" in capsys.readouterr().err
    )
    assert main(["plan", "--programmes", str(SAMPLE_DIR / "programmes.xlsx")]) == 2


def test_plan_invalid_input_exit_2_with_every_error(
    make_csv: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = make_csv(
        [
            ["donor", "amount", "currency", "year", "earmarking", "status"],
            ["A", 0, "USD", 2027, "unearmarked", "paid"],
            ["B", 5, "XYZ", 2027, "unearmarked", "paid"],
            ["C", 5, "USD", 2027, "unearmarked", "paid"],
        ],
        name="bad.csv",
    )
    out = tmp_path / "r.json"
    args = [*SAMPLE_ARGS[:2], "--pledges", str(bad), "--fx", str(SAMPLE_DIR / "fx_rates.csv")]
    assert main(["plan", *args, "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv row 2, column amount: amount must be greater than 0" in err
    assert "bad.csv row 3, column currency: no exchange rate for XYZ" in err
    assert not out.exists()
    # --skip-invalid keeps the valid row and still reports the rejected ones.
    assert main(["plan", *args, "--json", str(out), "--skip-invalid"]) == 0
    captured = capsys.readouterr()
    assert "rejected: bad.csv row 2" in captured.err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["import_report"]["rows_imported"] == 1
    assert data["import_report"]["rows_rejected"] == 2
    assert len(data["import_report"]["errors"]) == 2


def test_plan_analyse_and_export_report_bad_rows_alike(
    make_csv: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The three commands that read a plan from files read it the same way: the same lines on
    stderr, naming file, row and column, whether the import is refused or rows are skipped."""
    bad = make_csv(
        [
            ["donor", "amount", "currency", "year", "earmarking", "status"],
            ["A", "lots", "USD", 2027, "unearmarked", "paid"],
            ["C", 5, "USD", 2027, "unearmarked", "paid"],
        ],
        name="bad.csv",
    )
    files = [*SAMPLE_ARGS[:2], "--pledges", str(bad), "--fx", str(SAMPLE_DIR / "fx_rates.csv")]
    commands = {
        "plan": ["plan", *files, "--json", str(tmp_path / "r.json")],
        "analyse": ["analyse", *files, "--draws", "0", "--stress-top", "0"],
        "export": ["export", *files, "--out", str(tmp_path / "a.xlsx")],
    }
    for strict, code, prefix in ((True, 2, "error: "), (False, 0, "rejected: ")):
        seen = {}
        for name, argv in commands.items():
            assert main(argv if strict else [*argv, "--skip-invalid"]) == code, (name, strict)
            err = capsys.readouterr().err.splitlines()
            seen[name] = [line for line in err if line.startswith(prefix)]
        assert seen["plan"] == seen["analyse"] == seen["export"], strict
        assert len(seen["plan"]) == 1 and "bad.csv row 2, column amount" in seen["plan"][0]


def test_plan_bad_scenario_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text("nmae = 'typo'\n", encoding="utf-8")
    assert main(["plan", *SAMPLE_ARGS, "--scenario", str(scenario)]) == 2
    assert "unknown scenario key(s) nmae" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["missing-folder/appeal.xlsx", "appeal.csv"])
def test_plan_bad_out_exit_2_before_any_work(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / name
    result = tmp_path / "result.json"
    assert main(["plan", *SAMPLE_ARGS, "--out", str(out), "--json", str(result)]) == 2
    assert str(out) in capsys.readouterr().err
    # Refused before the import and the solve: nothing at all was written.
    assert list(tmp_path.iterdir()) == []


def test_plan_json_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", *SAMPLE_ARGS, "--json", "-"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert set(data) == set(RESULT_KEYS)
    assert "requirement" in captured.err  # the human summary goes to stderr then


def test_plan_summary_on_stdout_and_reveal_confidential(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], confidential: list[str]
) -> None:
    out = tmp_path / "r.json"
    assert main(["plan", *SAMPLE_ARGS, "--json", str(out), "--reveal-confidential"]) == 0
    stdout = capsys.readouterr().out
    assert "illustrative data" in stdout
    assert "coverage" in stdout and "solver:" in stdout
    text = out.read_text(encoding="utf-8")
    assert all(name in text for name in confidential)
    assert "Anonymous donor" not in text


def test_template_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "t.xlsx"
    assert main(["template", "--out", str(out)]) == 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["Pledges", "Instructions"]
    formulas = {dv.formula1 for dv in wb["Pledges"].data_validations.dataValidation}
    assert '"unearmarked,softly earmarked,earmarked,tightly earmarked"' in formulas
    assert '"pledged,committed,paid"' in formulas
    assert main(["template", "--out", str(tmp_path / "t.csv")]) == 2
    assert "must be an .xlsx file" in capsys.readouterr().err


def test_import_and_pledges_commands(
    tmp_db_url: str, capsys: pytest.CaptureFixture[str], confidential: list[str]
) -> None:
    first, _ = load_plan(
        SAMPLE_DIR / "programmes.xlsx",
        [SAMPLE_DIR / "pledges.xlsx"],
        fx=SAMPLE_DIR / "fx_rates.csv",
    )
    n, total = len(first.pledges), len(first.pledges) + _rows(SAMPLE_DIR / "pledges_entities.csv")
    db = ["--db", tmp_db_url]
    assert main([*db, "pledges"]) == 0
    assert "holds no pledges" in capsys.readouterr().out
    imp = [
        "import",
        "--programmes",
        str(SAMPLE_DIR / "programmes.xlsx"),
        "--fx",
        str(SAMPLE_DIR / "fx_rates.csv"),
        "--donors",
        str(SAMPLE_DIR / "donors.csv"),
        str(SAMPLE_DIR / "pledges.xlsx"),
    ]
    assert main([*db, *imp]) == 0
    assert f"register now holds {n} pledges (+{n})" in capsys.readouterr().out
    assert main([*db, *imp]) == 0
    assert f"register now holds {n} pledges (+0)" in capsys.readouterr().out
    # Without --programmes the stored programmes and rates are used.
    assert main([*db, "import", str(SAMPLE_DIR / "pledges_entities.csv")]) == 0
    assert f"register now holds {total} pledges (+{total - n})" in capsys.readouterr().out
    assert main([*db, "pledges", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == total
    assert {"pledge_id", "donor", "programmable_usd", "source_file", "source_row"} <= set(rows[0])
    assert not any(r["donor"] in confidential for r in rows)
    assert main([*db, "pledges", "--format", "csv", "--reveal-confidential"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("pledge_id,donor,amount")
    assert all(name in out for name in confidential)
    assert main([*db, "pledges"]) == 0
    usd = sum(r["programmable_usd"] for r in rows)
    assert f"{total} pledges, USD {usd:,.0f} programmable" in capsys.readouterr().out


def _rows(csv_path: Path) -> int:
    """Data rows of a csv file (its header excluded)."""
    with csv_path.open(newline="", encoding="utf-8-sig") as f:
        return sum(1 for row in csv.reader(f) if any(row)) - 1


def test_import_without_programmes_in_empty_register(
    tmp_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", tmp_db_url, "import", str(SAMPLE_DIR / "pledges.xlsx")]) == 2
    assert "has no programmes yet" in capsys.readouterr().err


def test_plan_workbook_out(tmp_path: Path) -> None:
    out = tmp_path / "appeal.xlsx"
    assert main(["plan", *SAMPLE_ARGS, "--out", str(out)]) == 0
    wb = load_workbook(out, read_only=True)
    assert set(WORKBOOK_SHEETS) <= set(wb.sheetnames)


def test_real_subprocess_on_the_sample(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    env = {**os.environ, "APPEAL_DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite'}"}
    proc = subprocess.run(
        [sys.executable, "-m", "appeal", "plan", *SAMPLE_ARGS, "--json", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) == set(RESULT_KEYS)
    assert "requirement" in proc.stdout
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "appeal",
            "plan",
            "--programmes",
            str(tmp_path / "missing.xlsx"),
            "--pledges",
            str(SAMPLE_DIR / "pledges.xlsx"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert bad.returncode == 2
    assert "file not found" in bad.stderr
    assert "Traceback" not in bad.stderr


# -- start-up: parsing arguments imports nothing heavy -------------------------------------------
HEAVY = ("pandas", "pandera", "highspy", "dash", "numpy", "sqlalchemy", "openpyxl", "pulp")


@pytest.mark.parametrize("argv", [["--help"], *[[c, "--help"] for c in COMMANDS]])
def test_help_imports_nothing_heavy(argv: list[str]) -> None:
    code = (
        "import contextlib, io, json, sys\n"
        "from appeal.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try:\n"
        "        main(sys.argv[1:])\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, exc.code\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
        "print(json.dumps({'heavy': heavy, 'help': out.getvalue()}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["heavy"] == [], f"appeal {' '.join(argv)} imported {data['heavy']}"
    assert "usage: appeal" in data["help"]
