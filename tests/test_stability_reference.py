"""The stability reference in the solve (appeal/stability.py): ``stability_reference`` names
the official appeal (""), a saved scenario or an edition; the service loads its allocation
from the register and hands it to the engine, so a small change moves fewer line-years than
without stability (``result.stability``); the result cache never serves a solve made against
an older reference; a name that does not resolve is a clear error naming it — through the
service and through ``appeal plan``. Every case runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from appeal import service, workspace
from appeal.cli import main
from appeal.importer import SAMPLE_DIR, ImportReport
from appeal.register import Register
from models.plan import Plan
from models.scenario import Scenario

SAMPLE_ARGS = [
    "--programmes",
    str(SAMPLE_DIR / "programmes.xlsx"),
    "--pledges",
    str(SAMPLE_DIR / "pledges.xlsx"),
    str(SAMPLE_DIR / "pledges_entities.csv"),
    "--donors",
    str(SAMPLE_DIR / "donors.csv"),
    "--fx",
    str(SAMPLE_DIR / "fx_rates.csv"),
]


def _changed(scenario: Scenario, reference: str, tier2: float = 1.1) -> Scenario:
    """``scenario`` with tier 2 weighed ``tier2`` times as much (a small change of setting)
    and the stability stage on against ``reference``."""
    data = scenario.to_dict()
    data["weights"]["tier"]["2"] = data["weights"]["tier"]["2"] * tier2
    return Scenario.from_dict(
        {**data, "name": "working", "stability": "reference", "stability_reference": reference}
    )


@pytest.fixture
def official(register: Register, sample_loaded: tuple[Plan, ImportReport]) -> Register:
    """The sample plan in the register, the default scenario saved as "appeal" and marked
    the official appeal."""
    register.import_plan(*sample_loaded)
    plan = service.plan_from_register(register)
    run = service.solve(plan, Scenario(name="appeal"))
    workspace.save_scenario(register, "appeal", run, replace=False)
    register.mark_official("appeal")
    return register


def _moved(result: Any) -> tuple[int, int]:
    stab = result.stability
    assert stab is not None and stab["applied"], stab
    return int(stab["moved_without_stability"]), int(stab["moved_with_stability"])


def test_the_official_appeal_is_the_default_reference(official: Register) -> None:
    plan = service.plan_from_register(official)
    # Against itself, nothing moves: the reference really is the official appeal's allocation.
    same = service.solve(plan, _changed(Scenario(name="appeal"), "", tier2=1.0), register=official)
    assert _moved(same.result) == (0, 0)
    run = service.solve(plan, _changed(Scenario(name="appeal"), ""), register=official)
    without, with_ = _moved(run.result)
    assert without > 0
    assert with_ < without
    # Stability never costs value: the same total funded as the solve without it.
    plain = service.solve(
        plan, _changed(Scenario(name="appeal"), "").model_copy(update={"stability": "none"})
    )
    assert run.result.totals()["funded_usd"] == pytest.approx(
        plain.result.totals()["funded_usd"], abs=0.01
    )
    assert plain.result.stability is None


def test_a_saved_scenario_and_an_edition_are_references(official: Register) -> None:
    plan = service.plan_from_register(official)
    other = Scenario(name="other", excluded_donors=[])
    workspace.save_scenario(official, "other", service.solve(plan, other), replace=False)
    by_name = service.solve(plan, _changed(other, "other"), register=official)
    without, with_ = _moved(by_name.result)
    assert with_ < without
    edition = workspace.publish_edition(official, "March", "2027-03-31")
    by_edition = service.solve(plan, _changed(other, f"edition:{edition}"), register=official)
    assert _moved(by_edition.result) == (without, with_)  # the edition froze this same plan


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("ghost", "stability_reference 'ghost': no saved scenario named 'ghost' (stored: appeal)"),
        ("edition:99", "stability_reference 'edition:99': no edition 99 (published: none)"),
        ("edition:x", "stability_reference 'edition:x': an edition reference is edition:<id>"),
    ],
)
def test_a_reference_that_does_not_exist_is_named(
    official: Register, key: str, message: str
) -> None:
    plan = service.plan_from_register(official)
    with pytest.raises(service.InputError) as caught:
        service.solve(plan, _changed(Scenario(), key), register=official)
    assert message in str(caught.value)


def test_no_official_appeal_is_a_clear_error(
    register: Register, sample_loaded: tuple[Plan, ImportReport]
) -> None:
    register.import_plan(*sample_loaded)
    plan = service.plan_from_register(register)
    with pytest.raises(service.InputError, match=r'stability_reference "" \(the official appeal\)'):
        service.solve(plan, _changed(Scenario(), ""), register=register)


def test_the_cache_never_serves_a_stale_reference(official: Register, tmp_path: Path) -> None:
    plan = service.plan_from_register(official)
    cache = service.ResultCache(str(tmp_path / "cache"))
    try:
        working = _changed(Scenario(name="appeal"), "")
        first = service.solve(plan, working, cache=cache, register=official)
        assert service.solve(plan, working, cache=cache, register=official).result.stability == (
            first.result.stability
        )
        # A new official version, allocating differently: the same working scenario is now
        # solved against the new reference, exactly as a solve without any cache is.
        data = Scenario(name="appeal").to_dict()
        data["min_viable"] = False
        newer = Scenario.from_dict(data)
        workspace.save_scenario(official, "appeal", service.solve(plan, newer), replace=True)
        official.mark_official("appeal", 2)
        again = service.solve(plan, working, cache=cache, register=official)
        fresh = service.solve(plan, working, register=official)
        assert again.result.stability == fresh.result.stability
        assert again.result.stability != first.result.stability
    finally:
        cache.close()


def _write_scenario(path: Path, reference: str) -> Path:
    data = _changed(Scenario(name="appeal"), reference).to_dict()
    lines = [
        f'name = "{data["name"]}"',
        'stability = "reference"',
        f'stability_reference = "{reference}"',
        "[weights.tier]",
        *(f'"{k}" = {v}' for k, v in data["weights"]["tier"].items()),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_appeal_plan_loads_the_reference_from_the_register(
    official: Register, register_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = _write_scenario(tmp_path / "working.toml", "")
    out = tmp_path / "result.json"
    args = ["--db", register_url, "plan", *SAMPLE_ARGS, "--scenario", str(scenario)]
    assert main([*args, "--json", str(out)]) == 0
    stab = json.loads(out.read_text(encoding="utf-8"))["stability"]
    assert stab["applied"] is True
    assert stab["moved_with_stability"] < stab["moved_without_stability"]
    capsys.readouterr()
    ghost = _write_scenario(tmp_path / "ghost.toml", "ghost")
    assert main(["--db", register_url, "plan", *SAMPLE_ARGS, "--scenario", str(ghost)]) == 2
    err = capsys.readouterr().err
    assert "stability_reference 'ghost': no saved scenario named 'ghost'" in err


def test_appeal_analyse_loads_the_reference_from_the_register(
    official: Register, register_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`appeal analyse` solves as `appeal plan` does: its lines are the stable allocation's,
    which differs from the same scenario's allocation without the reference."""
    scenario = _write_scenario(tmp_path / "working.toml", "")
    planned, analysed = tmp_path / "plan.json", tmp_path / "analyse.json"
    base = ["--db", register_url]
    plan_args = [*base, "plan", *SAMPLE_ARGS, "--scenario", str(scenario)]
    assert main([*plan_args, "--json", str(planned)]) == 0
    args = [*base, "analyse", *SAMPLE_ARGS, "--scenario", str(scenario), "--draws", "0"]
    assert main([*args, "--stress-top", "0", "--json", str(analysed)]) == 0
    plan_data = json.loads(planned.read_text(encoding="utf-8"))
    assert plan_data["stability"]["applied"] is True

    def funded(lines: list[dict[str, Any]]) -> dict[tuple[str, int], float]:
        return {(r["line_id"], int(r["year"])): round(float(r["funded_usd"]), 2) for r in lines}

    analysed_lines = funded(json.loads(analysed.read_text(encoding="utf-8"))["lines"])
    assert analysed_lines == funded(plan_data["lines"])
    loose = service.solve(service.plan_from_register(official), service.load_scenario(scenario))
    assert analysed_lines != funded(loose.result.lines.to_dict("records"))
    capsys.readouterr()
    ghost = _write_scenario(tmp_path / "ghost.toml", "ghost")
    assert main([*base, "analyse", *SAMPLE_ARGS, "--scenario", str(ghost), "--draws", "0"]) == 2
    assert "stability_reference 'ghost'" in capsys.readouterr().err
