"""``appeal plan``, ``appeal import``, ``appeal pledges`` and ``appeal template`` end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from appeal.cli import main
from appeal.importer import SAMPLE_DIR
from appeal.report import RESULT_KEYS

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
CONFIDENTIAL = ("Meridian Peace Foundation", "Northbridge Philanthropies", "Private donor (Gulf)")
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


def test_plan_json_follows_the_contract(sample_result: dict[str, Any]) -> None:
    assert set(sample_result) == set(RESULT_KEYS)
    for key, fields in CONTRACT.items():
        if key == "lines":
            continue
        assert fields <= set(sample_result[key]), key
    lines = sample_result["lines"]
    assert isinstance(lines, list) and len(lines) == 160
    assert CONTRACT["lines"] <= set(lines[0])
    plan = sample_result["plan"]
    assert plan == {
        "title": "Illustrative Multi-Year Appeal 2027-2030",
        "years": [2027, 2028, 2029, 2030],
        "illustrative": True,
    }
    report = sample_result["import_report"]
    assert report["rows_read"] == report["rows_imported"] == 250
    assert sample_result["scenario"]["name"] == "baseline"
    totals = sample_result["totals"]
    assert totals["requirement_usd"] > 3e8
    assert totals["gap_usd"] > 0
    for key in ("allocations", "unallocated"):
        for row in sample_result[key][:5]:
            assert {"pledge_id", "amount_usd"} <= set(row)


def test_plan_json_anonymises_confidential_donors(sample_result: dict[str, Any]) -> None:
    text = json.dumps(sample_result)
    for name in CONFIDENTIAL:
        assert name not in text
    assert "Anonymous donor 1" in text


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
            ["A", -1, "USD", 2027, "unearmarked", "paid"],
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
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.json"
    assert main(["plan", *SAMPLE_ARGS, "--json", str(out), "--reveal-confidential"]) == 0
    stdout = capsys.readouterr().out
    assert "illustrative data" in stdout
    assert "coverage" in stdout and "solver:" in stdout
    text = out.read_text(encoding="utf-8")
    assert "Meridian Peace Foundation" in text
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


def test_import_and_pledges_commands(tmp_db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
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
    assert "register now holds 200 pledges (+200)" in capsys.readouterr().out
    assert main([*db, *imp]) == 0
    assert "register now holds 200 pledges (+0)" in capsys.readouterr().out
    # Without --programmes the stored programmes and rates are used.
    assert main([*db, "import", str(SAMPLE_DIR / "pledges_entities.csv")]) == 0
    assert "register now holds 250 pledges (+50)" in capsys.readouterr().out
    assert main([*db, "pledges", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 250
    assert {"pledge_id", "donor", "programmable_usd", "source_file", "source_row"} <= set(rows[0])
    assert not any(r["donor"] in CONFIDENTIAL for r in rows)
    assert main([*db, "pledges", "--format", "csv", "--reveal-confidential"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("pledge_id,donor,amount")
    assert "Meridian Peace Foundation" in out
    assert main([*db, "pledges"]) == 0
    assert "250 pledges, USD" in capsys.readouterr().out


def test_import_without_programmes_in_empty_register(
    tmp_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", tmp_db_url, "import", str(SAMPLE_DIR / "pledges.xlsx")]) == 2
    assert "has no programmes yet" in capsys.readouterr().err


def test_plan_workbook_out(tmp_path: Path) -> None:
    pytest.importorskip("appeal.workbook")
    out = tmp_path / "appeal.xlsx"
    assert main(["plan", *SAMPLE_ARGS, "--out", str(out)]) == 0
    wb = load_workbook(out, read_only=True)
    assert "Summary" in wb.sheetnames


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
