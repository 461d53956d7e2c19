"""``appeal analyse`` end to end on the sample data: summary, JSON, anonymity, exit codes."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from appeal.cli import main as cli_main
from appeal.commands import analyse
from appeal.importer import load_sample_plan, sample_paths
from models import analytics
from models.privacy import donor_aliases
from models.scenario import Scenario


def sample_args() -> list[str]:
    paths = sample_paths()
    args = ["--programmes", str(paths["programmes"]), "--pledges"]
    args += [str(p) for p in paths["pledges"]]
    args += ["--donors", str(paths["donors"]), "--fx", str(paths["fx"])]
    return args


@pytest.fixture(scope="module")
def confidential() -> list[str]:
    plan, _ = load_sample_plan()
    return sorted(set(plan.pledges.loc[plan.pledges["confidential"], "donor"]))


@pytest.fixture(scope="module")
def run_json(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("analyse") / "analysis.json"

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = cli_main(
            ["analyse", *sample_args(), "--draws", "8", "--seed", "4", "--json", str(out)]
        )
    assert code == 0
    return json.loads(out.read_text(encoding="utf-8")), buf.getvalue()


def test_summary_and_json(run_json: tuple[dict[str, Any], str]) -> None:
    data, text = run_json
    for heading in (
        "Totals",
        "Gaps by category",
        "Gaps by year",
        "Donor base",
        "Donor-loss stress",
        "Pledge-risk simulation",
    ):
        assert heading in text
    for key in ("totals", "lines", "gaps", "donor_base", "stress", "risk", "solver"):
        assert key in data
    assert data["risk"]["draws"] == 8
    assert data["risk"]["seed"] == 4
    assert len(data["stress"]["cases"]) == 3
    assert data["gaps_overlapping"] == ["theme_tagged"]
    assert data["import_report"]["rows_rejected"] == 0


def test_json_breakdowns_add_up_to_the_cent(run_json: tuple[dict[str, Any], str]) -> None:
    data, _ = run_json
    totals = data["totals"]
    for view, rows in data["gaps"].items():
        if view in data["gaps_overlapping"]:
            continue
        for money in ("requirement_usd", "funded_usd", "firm_usd", "gap_usd"):
            assert abs(sum(r[money] for r in rows) - totals[money]) < 0.005, (view, money)


def test_confidential_donors_are_anonymous_unless_revealed(
    run_json: tuple[dict[str, Any], str], confidential: list[str], tmp_path: Path
) -> None:
    data, text = run_json
    dumped = json.dumps(data)
    for name in confidential:
        assert name not in dumped
        assert name not in text
    assert data["donor_base"]["confidential_donor_count"] == len(confidential)
    out = tmp_path / "revealed.json"
    assert (
        analyse.main(
            [
                *sample_args(),
                "--draws",
                "0",
                "--stress-top",
                "0",
                "--reveal-confidential",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    revealed = json.loads(out.read_text(encoding="utf-8"))
    names = {d["donor"] for d in revealed["donor_base"]["donors"]}
    assert set(confidential) <= names
    assert revealed["risk"] is None
    assert revealed["stress"] is None


def test_named_stress_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan, _ = load_sample_plan()
    public = sorted(set(plan.pledges.loc[~plan.pledges["confidential"], "donor"]))[:2]
    out = tmp_path / "a.json"
    code = analyse.main(
        [
            *sample_args(),
            "--stress-top",
            "0",
            "--stress-donors",
            *public,
            "--draws",
            "0",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    case = json.loads(out.read_text(encoding="utf-8"))["stress"]["cases"][0]
    assert case["removed_donors"] == public
    assert "without " + ", ".join(public) in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--stress-donors", "Nobody At All"], "Nobody At All"),
        (["--scenario", "/nonexistent/scenario.toml"], "scenario"),
    ],
)
def test_invalid_input_exits_2_with_a_clear_message(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert analyse.main([*sample_args(), "--draws", "0", "--stress-top", "0", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_missing_files_and_bad_numbers_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert analyse.main(["--programmes", str(tmp_path / "none.xlsx"), "--pledges", "x.csv"]) == 2
    assert "none.xlsx" in capsys.readouterr().err
    assert analyse.main(["--programmes", str(tmp_path / "p.xlsx")]) == 2
    assert "--pledges" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli_main(["analyse", *sample_args(), "--draws", "-3"])
    assert exc.value.code == 2
    assert "--draws" in capsys.readouterr().err


def test_bad_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[risk]\ndraws = 0\n", encoding="utf-8")
    assert analyse.main([*sample_args(), "--scenario", str(bad)]) == 2
    assert "risk.draws" in capsys.readouterr().err


def test_analysis_object_is_json_safe() -> None:
    plan, _ = load_sample_plan()
    result = analytics.analyse(plan, Scenario(), stress_top=1, draws=3, seed=1, workers=1)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["risk"]["draws_done"] == 3
    assert [c["label"] for c in data["stress"]["cases"]] == ["top 1 donor"]


def test_plan_from_the_register(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from appeal.register import Register

    db = tmp_path / "register.sqlite"
    assert analyse.main(["--db", str(db), "--draws", "0"]) == 2
    assert "no programmes" in capsys.readouterr().err
    plan, report = load_sample_plan()
    with Register(f"sqlite:///{db}") as register:
        register.import_plan(plan, report)
    out = tmp_path / "from_register.json"
    code = analyse.main(["--db", str(db), "--draws", "0", "--stress-top", "1", "--json", str(out)])
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    direct = analytics.analyse(plan, Scenario(), stress_top=0)
    # The same plan read back from the register allocates the same money.
    assert data["totals"] == pytest.approx(direct.totals)
    assert data["donor_base"]["donor_count"] == direct.donor_base["donor_count"]
    assert data["donor_base"]["hhi"] == pytest.approx(direct.donor_base["hhi"])
    assert len(data["stress"]["cases"]) == 1
    assert "import_report" not in data  # nothing was imported from files


def test_new_donors_against_a_previous_cycle(tmp_path: Path) -> None:
    plan, _ = load_sample_plan()
    donors = sorted(set(plan.pledges["donor"]))
    previous = tmp_path / "previous.csv"
    previous.write_text("donor,amount\n" + "".join(f"{d},1\n" for d in donors[3:]), "utf-8")
    out = tmp_path / "new.json"
    args = [*sample_args(), "--draws", "0", "--stress-top", "0", "--json", str(out)]
    assert analyse.main([*args, "--previous-donors", str(previous)]) == 0
    base = json.loads(out.read_text(encoding="utf-8"))["donor_base"]
    assert base["new_donor_count"] == 3
    aliases = donor_aliases(plan)
    assert base["new_donors"] == sorted(aliases[d] for d in donors[:3])
