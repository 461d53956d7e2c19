"""``appeal compare`` (appeal/comparison.py): the per-line difference between two scenarios, or
an edition and today, split over each changed setting and data change with the interaction
remainder. Through the command: every line's parts add up to its total change to the cent and
the lines to the total difference; the before side is exactly the before scenario's
allocation; confidential donors are never named unless revealed, and only a user whose role
may reveal can. Every case runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appeal import accounts, comparison, service, workspace
from appeal.cli import main
from appeal.importer import SAMPLE_DIR, ImportReport, load_pledges
from appeal.register import Register
from models.attribution import Attribution
from models.plan import Plan

SCENARIOS = SAMPLE_DIR / "scenarios"


@pytest.fixture
def loaded(register: Register, sample_loaded: tuple[Plan, ImportReport]) -> Register:
    """The sample plan in the register; the sample's baseline and flexible_first saved, the
    baseline the official appeal."""
    register.import_plan(*sample_loaded)
    plan = service.plan_from_register(register)
    for name in ("baseline", "flexible_first"):
        scenario = service.load_scenario(SCENARIOS / f"{name}.toml")
        workspace.save_scenario(register, name, service.solve(plan, scenario), replace=False)
    register.mark_official("baseline")
    return register


def _cents(value: float) -> int:
    return round(value * 100)


def _check_adds_up(data: dict[str, Any]) -> None:
    """Each line's parts add up to its total change, and the lines to the totals, in cents."""
    parts = [*data["order"], "interaction"]
    assert data["lines"], "a comparison lists the lines"
    for line in data["lines"]:
        assert _cents(line["total_change"]) == _cents(line["funded_after"]) - _cents(
            line["funded_before"]
        )
        assert sum(_cents(line[p]) for p in parts) == _cents(line["total_change"]), line
    totals = data["totals"]
    for column in ["funded_before", "funded_after", "total_change", *parts]:
        assert _cents(totals[column]) == sum(_cents(line[column]) for line in data["lines"])
    assert sum(_cents(totals[p]) for p in parts) == _cents(totals["total_change"])
    assert _cents(totals["total_change"]) == _cents(totals["funded_after"]) - _cents(
        totals["funded_before"]
    )


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    assert main(argv) == 0, capsys.readouterr().err
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def test_two_saved_scenarios_add_up_to_the_cent(
    loaded: Register, register_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _json(
        capsys, ["--db", register_url, "compare", "baseline", "flexible_first", "--json", "-"]
    )
    _check_adds_up(data)
    # Every setting flexible_first changes is listed; name and description are not measured.
    keys = {c["key"]: c["affects_allocation"] for c in data["changes"]}
    assert keys["name"] is False and keys["description"] is False
    assert {"weights.tier.1", "donor_line_cap_share"} <= set(data["order"])
    assert "name" not in data["order"]
    # The before side is the before scenario's own allocation, line by line.
    plan = service.plan_from_register(loaded)
    before = service.solve(plan, loaded.get_scenario("baseline")).result.lines
    funded = before.groupby("line_id")["funded_usd"].sum()
    assert {line["line_id"]: _cents(line["funded_before"]) for line in data["lines"]} == {
        str(k): _cents(v) for k, v in funded.items()
    }
    assert data["totals"]["total_change"] != 0  # the two scenarios allocate differently


def test_the_readable_table_adds_up(
    loaded: Register, register_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "compare.json"
    argv = ["--db", register_url, "compare", "baseline", str(SCENARIOS / "flexible_first.toml")]
    assert main([*argv, "--json", str(out)]) == 0
    text = capsys.readouterr().out
    data = json.loads(out.read_text(encoding="utf-8"))
    assert "After:  file " in text and "interaction" in text
    total = next(line for line in text.splitlines() if line.startswith("total "))
    figures = [float(cell.replace(",", "")) for cell in total.split()[1:]]
    before, after, change, *parts = figures
    assert _cents(after) - _cents(before) == _cents(change)
    assert sum(_cents(p) for p in parts) == _cents(change)
    assert _cents(change) == _cents(data["totals"]["total_change"])


def test_an_edition_against_today_attributes_the_data_changes(
    loaded: Register,
    register_url: str,
    capsys: pytest.CaptureFixture[str],
    make_csv: Any,
) -> None:
    edition = workspace.publish_edition(loaded, "March edition", "2027-03-31")
    plan = service.plan_from_register(loaded)
    path = make_csv(
        [
            ["pledge_id", "donor", "amount", "currency", "year", "earmarking", "status"],
            ["EDN-1", "New donor A", 2_000_000, "USD", plan.years[0], "unearmarked", "paid"],
        ],
        name="after-edition.csv",
    )
    more, _ = load_pledges(plan, [path])
    loaded.import_plan(more, ImportReport())
    data = _json(
        capsys, ["--db", register_url, "compare", "--edition", str(edition), "--json", "-"]
    )
    _check_adds_up(data)
    assert data["before"] == "the 31 March 2027 edition “March edition”"
    assert data["after"] == "today (the official appeal)"
    added = next(c for c in data["changes"] if c["key"] == "pledges_added")
    tranches = service.plan_from_register(loaded).tranches
    programmable = float(tranches.loc[tranches["pledge_id"] == "EDN-1", "programmable_usd"].sum())
    assert added["after"] == ["EDN-1"] and added["usd"] == pytest.approx(programmable)
    assert data["order"] == ["pledges_added"]
    # More unearmarked money: funded rises by at most that, and the new pledge's own effect
    # carries the change (the interaction of one change alone is nothing).
    change = data["totals"]["total_change"]
    assert 0 < change <= programmable + 0.01
    assert _cents(data["totals"]["pledges_added"]) == _cents(change)
    # Today under another scenario: its settings are measured first, then the data change.
    data = _json(
        capsys,
        [
            *["--db", register_url, "compare", "--edition", str(edition)],
            *["--today", "flexible_first", "--json", "-"],
        ],
    )
    _check_adds_up(data)
    assert data["after"] == "today (scenario 'flexible_first')"
    assert data["order"][-1] == "pledges_added" and "weights.tier.1" in data["order"][:-1]


def _confidential(plan: Plan) -> str:
    names = sorted(set(plan.pledges.loc[plan.pledges["confidential"], "donor"].astype(str)))
    assert names, "the sample data has confidential donors"
    return names[0]


def _excluding(tmp_path: Path, donor: str) -> Path:
    path = tmp_path / "without.toml"
    text = (SCENARIOS / "baseline.toml").read_text(encoding="utf-8")
    # The description names the donor where a 40-character label would cut the name in half.
    text = text.replace('name = "baseline"', f'name = "without"\nexcluded_donors = ["{donor}"]')
    text = text.replace(
        'description = "', f'description = "{"x" * (37 - len(donor) // 2)}{donor} ', 1
    )
    path.write_text(text, encoding="utf-8")
    return path


def test_confidential_donors_are_never_named_unless_a_permitted_user_reveals(
    loaded: Register, register_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    donor = _confidential(service.plan_from_register(loaded))
    scenario = _excluding(tmp_path, donor)
    argv = ["--db", register_url, "compare", "baseline", str(scenario)]
    assert main([*argv, "--json", "-"]) == 0
    captured = capsys.readouterr()
    half = donor[: len(donor) // 2 + 1]
    assert half not in captured.out and half not in captured.err
    data = json.loads(captured.out)
    _check_adds_up(data)
    excluded = next(c for c in data["changes"] if c["key"] == "excluded_donors")
    assert len(excluded["after"]) == 1 and excluded["after"][0].startswith("Anonymous donor ")
    assert _cents(data["totals"]["total_change"]) < 0  # losing a donor loses funding
    described = next(c for c in data["changes"] if c["key"] == "description")
    assert "xAnonymous do" in described["label"] and "Anonymous donor" in described["after"]
    # The table too.
    assert main(argv) == 0
    assert half not in capsys.readouterr().out
    # A viewer may not reveal; an admin may.
    accounts.add_user(loaded, "vera", "viewer", password=None)
    accounts.add_user(loaded, "ada", "admin", password=None)
    reveal = ["--db", register_url, "--as", "vera", "compare", "baseline", str(scenario)]
    assert main([*reveal, "--reveal-confidential"]) == 2
    captured = capsys.readouterr()
    assert "vera (viewer) may not reveal confidential donors" in captured.err
    assert donor not in captured.out + captured.err
    reveal[3] = "ada"
    assert main([*reveal, "--reveal-confidential", "--json", "-"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert next(c for c in shown["changes"] if c["key"] == "excluded_donors")["after"] == [donor]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["baseline", "ghost"], "no scenario named 'ghost' in the register"),
        (["baseline"], "give two scenarios (BEFORE AFTER"),
        (["--edition", "42"], "--edition 42: no edition 42"),
        (["baseline", "flexible_first", "--edition", "1"], "not both"),
    ],
)
def test_bad_arguments_are_named(
    loaded: Register,
    register_url: str,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    assert main(["--db", register_url, "compare", *args]) == 2
    assert message in capsys.readouterr().err


def test_two_identical_scenarios_change_nothing(
    loaded: Register, register_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _json(capsys, ["--db", register_url, "compare", "baseline", "baseline", "--json", "-"])
    assert data["changes"] == [] and data["order"] == []
    assert all(_cents(line["total_change"]) == 0 for line in data["lines"])


@given(
    st.lists(
        st.tuples(
            st.floats(0, 1e9, allow_nan=False),
            st.floats(0, 1e9, allow_nan=False),
            st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=2, max_size=2),
        ),
        min_size=1,
        max_size=30,
    )
)
@settings(max_examples=200, deadline=None)
def test_rounding_to_cents_keeps_every_sum(
    rows: list[tuple[float, float, list[float]]],
) -> None:
    """Whatever the engine's floats, every line of the table in cents adds up."""
    frame = pd.DataFrame(
        {
            "line_id": [f"L{i}" for i in range(len(rows))],
            "funded_before": [r[0] for r in rows],
            "funded_after": [r[1] for r in rows],
            "a": [r[2][0] for r in rows],
            "b": [r[2][1] for r in rows],
        }
    )
    frame["total_change"] = frame["funded_after"] - frame["funded_before"]
    frame["interaction"] = frame["total_change"] - frame["a"] - frame["b"]
    found = Attribution(changes=[], lines=frame, order=["a", "b"])
    lines = comparison._in_cents(found, {})
    for line in lines.to_dict("records"):
        assert sum(_cents(line[p]) for p in ("a", "b", "interaction")) == _cents(
            line["total_change"]
        )
        assert _cents(line["total_change"]) == _cents(line["funded_after"]) - _cents(
            line["funded_before"]
        )


def test_a_comparison_through_the_result_cache_is_the_same_and_kept(
    loaded: Register, tmp_path: Path
) -> None:
    """The dashboard's comparison (through its result cache): the same figures as without a
    cache; the before side's allocation and the whole attribution are kept, so the same
    comparison again adds nothing to the cache, and a comparison that reveals donors is kept
    apart from one that does not."""
    plan = service.plan_from_register(loaded)
    before = comparison.Side("baseline", plan, loaded.get_scenario("baseline"))
    after = comparison.Side("flexible_first", plan, loaded.get_scenario("flexible_first"))
    plain = comparison.explain_difference(before, after)
    cache = service.ResultCache(str(tmp_path / "cache"))
    try:
        cached = comparison.explain_difference(before, after, cache=cache)
        assert len(cache) == 2  # the before side's allocation and the attribution
        again = comparison.explain_difference(before, after, cache=cache)
        assert len(cache) == 2
        revealed = comparison.explain_difference(before, after, cache=cache, reveal=True)
        assert len(cache) == 3 and revealed.revealed and not again.revealed
    finally:
        cache.close()
    for found in (cached, again):
        assert found.order == plain.order and found.statuses == plain.statuses
        pd.testing.assert_frame_equal(found.lines, plain.lines)
