"""The shared workspace: scenario versions (Save never silently replaces), the official
appeal, editions (frozen; re-solved to the same figures; compared with today: exactly the new,
changed and withdrawn pledges, parts adding up to the headline), notes, unsaved changes, and
the audit trail written in the same transaction as each change (a refused write leaves no
audit row and no revision bump). Every case runs on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appeal import actor, service, workspace
from appeal.importer import ImportReport, load_pledges
from appeal.register import Register, RegisterError
from models.plan import Plan
from models.scenario import Scenario


@pytest.fixture
def loaded(register: Register, sample_loaded: tuple[Plan, ImportReport]) -> Register:
    register.import_plan(*sample_loaded)
    return register


def _run(register: Register, scenario: Scenario) -> service.PlanRun:
    return service.solve(service.plan_from_register(register), scenario)


def test_every_save_is_a_version_and_save_as_never_replaces(loaded: Register) -> None:
    first = Scenario(name="plan-a", description="first")
    with actor.acting_as("ann"):
        assert workspace.save_scenario(loaded, "plan-a", _run(loaded, first), replace=False) == 1
    second = Scenario.from_dict({**first.to_dict(), "description": "second"})
    with pytest.raises(RegisterError, match="exists already"):
        workspace.save_scenario(loaded, "plan-a", _run(loaded, second), replace=False)
    with actor.acting_as("bob"):
        assert workspace.save_scenario(loaded, "plan-a", _run(loaded, second), replace=True) == 2
    history = loaded.scenario_versions("plan-a")
    assert list(history["version"]) == [1, 2]
    assert list(history["saved_by"]) == ["ann", "bob"]
    assert list(history["description"]) == ["first", "second"]
    # Someone saved in between: the stale save is refused and nothing is written.
    before = loaded.revision()
    with pytest.raises(RegisterError, match="someone else"):
        workspace.save_scenario(
            loaded, "plan-a", _run(loaded, first), replace=True, expect_version=1
        )
    assert loaded.revision() == before
    assert len(loaded.audit_log(action="scenario.save")) == 2
    # Restore version 1: a new version 3 with version 1's settings; nothing lost.
    assert workspace.restore_version(loaded, "plan-a", 1) == 3
    assert loaded.get_scenario("plan-a").description == "first"
    assert len(loaded.scenario_versions("plan-a")) == 3


def test_the_official_appeal_is_a_pinned_version(loaded: Register) -> None:
    run = _run(loaded, Scenario(name="appeal", description="v1"))
    workspace.save_scenario(loaded, "appeal", run, replace=False)
    with actor.acting_as("chair"):
        mark = loaded.mark_official("appeal")
    assert (mark["name"], mark["version"], mark["marked_by"]) == ("appeal", 1, "chair")
    # A new version does not change the official appeal until an admin marks it.
    changed = Scenario.from_dict({**run.scenario.to_dict(), "description": "v2"})
    workspace.save_scenario(loaded, "appeal", _run(loaded, changed), replace=True)
    assert workspace.official_scenario(loaded).description == "v1"  # type: ignore[union-attr]
    loaded.mark_official("appeal", 2)
    assert workspace.official_scenario(loaded).description == "v2"  # type: ignore[union-attr]
    with pytest.raises(RegisterError, match="official appeal"):
        loaded.delete_scenario("appeal")
    with pytest.raises(RegisterError, match="no saved scenario"):
        loaded.mark_official("ghost")


def _new_pledges(plan: Plan, make_csv: object) -> Plan:
    path = make_csv(  # type: ignore[operator]
        [
            ["pledge_id", "donor", "amount", "currency", "year", "earmarking", "status"],
            ["EDN-1", "New donor A", 2_000_000, "USD", plan.years[0], "unearmarked", "paid"],
            ["EDN-2", "New donor B", 500_000, "USD", plan.years[1], "unearmarked", "pledged"],
        ],
        name="after-edition.csv",
    )
    more, _ = load_pledges(plan, [path])
    return more


def test_an_edition_is_frozen_and_the_comparison_shows_exactly_the_new_pledges(
    loaded: Register, make_csv: object
) -> None:
    workspace.save_scenario(loaded, "baseline", _run(loaded, Scenario()), replace=False)
    loaded.mark_official("baseline")
    with actor.acting_as("chair"):
        edition = workspace.publish_edition(loaded, "March edition", "2027-03-31")
    record = loaded.edition(edition)
    assert (record["published_by"], record["as_at"]) == ("chair", "2027-03-31")
    published = record["summary"]
    # Re-solving the frozen edition gives the figures it published.
    again = service.run_summary(workspace.edition_run(loaded, edition))
    assert again["funded_usd"] == pytest.approx(published["funded_usd"], abs=1e-6)
    assert again["lines"] == pytest.approx(published["lines"], abs=1e-6)
    # New pledges and a status change after publishing.
    plan = service.plan_from_register(loaded)
    more = _new_pledges(plan, make_csv)
    loaded.import_plan(more, ImportReport())
    pid = str(plan.pledges["pledge_id"].iloc[0])
    old_status = str(plan.pledges["status"].iloc[0])
    new_status = "paid" if old_status != "paid" else "pledged"
    loaded.update_pledge_status(pid, new_status)
    # The edition did not move.
    assert service.run_summary(workspace.edition_run(loaded, edition))["pledge_count"] == len(
        plan.pledges
    )
    c = workspace.compare(loaded, edition, workspace.TODAY)
    assert c.label_a == "the 31 March 2027 edition “March edition”"
    by_change = {ch: set(g["pledge_id"]) for ch, g in c.pledges.groupby("change")}
    assert by_change == {"new": {"EDN-1", "EDN-2"}, "changed": {pid}}
    changed = c.pledges.loc[c.pledges["pledge_id"] == pid, "reason"].iloc[0]
    assert changed == f"status: {old_status} -> {new_status}"
    new_usd = c.pledges.loc[c.pledges["change"] == "new", "usd_b"].sum()
    pledged = c.headline.set_index("figure").loc["Pledged (programmable USD)", "change"]
    assert pledged == pytest.approx(new_usd)
    # The parts add up to the headline difference.
    assert c.lines["change"].sum() == pytest.approx(c.funded_change, abs=1e-6)
    # Withdrawn: compare the other way round.
    back = workspace.compare(loaded, workspace.TODAY, edition)
    assert set(back.pledges.loc[back.pledges["change"] == "withdrawn", "pledge_id"]) == {
        "EDN-1",
        "EDN-2",
    }


def test_publishing_needs_an_official_appeal_and_a_date(loaded: Register) -> None:
    with pytest.raises(service.InputError, match="no official appeal"):
        workspace.publish_edition(loaded, "x", "2027-01-01")
    workspace.save_scenario(loaded, "baseline", _run(loaded, Scenario()), replace=False)
    loaded.mark_official("baseline")
    with pytest.raises(service.InputError, match="not a date"):
        workspace.publish_edition(loaded, "x", "31/03/2027")
    with pytest.raises(service.InputError, match="title"):
        workspace.publish_edition(loaded, " ", "2027-01-01")
    assert loaded.editions().empty


def test_notes_on_pledges_and_lines(loaded: Register) -> None:
    plan = service.plan_from_register(loaded)
    pid, line = str(plan.pledges["pledge_id"].iloc[0]), plan.line_ids[0]
    with actor.acting_as("ann"):
        workspace.add_note(loaded, "pledge", pid, "Confirmed by letter of 3 March")
    with actor.acting_as("bob"):
        workspace.add_note(loaded, "line", line, '=HYPERLINK("x") needs review')
        workspace.add_note(loaded, "pledge", pid, "Second note")
    thread = workspace.notes(loaded, "pledge", pid)
    assert list(thread["author"]) == ["ann", "bob"]
    assert list(thread["text"]) == ["Confirmed by letter of 3 March", "Second note"]
    with pytest.raises(RegisterError, match="no pledge"):
        workspace.add_note(loaded, "pledge", "NOPE", "x")
    with pytest.raises(RegisterError, match="some text"):
        workspace.add_note(loaded, "line", line, "   ")
    assert len(loaded.audit_log(action="note")) == 3


def test_notes_and_the_draft_label_reach_the_workbook(loaded: Register, tmp_path: Path) -> None:
    plan = service.plan_from_register(loaded)
    line = plan.line_ids[0]
    workspace.add_note(loaded, "line", line, "=1+1 is not a formula here")
    saved = Scenario(name="s")
    working = Scenario.from_dict({**saved.to_dict(), "excluded_donors": []})
    working = Scenario.from_dict({**working.to_dict(), "end_year": plan.years[-2]})
    draft = workspace.unsaved_changes(working, saved)
    assert draft and all(": " in d and " -> " in d for d in draft)
    assert workspace.unsaved_changes(saved, saved) == []
    path = service.export_workbook(
        tmp_path / "a.xlsx", service.solve(plan, working), draft=draft, notes=loaded.notes()
    )
    wb = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    summary = " ".join(str(c.value) for row in wb["Summary"].iter_rows() for c in row if c.value)
    assert "DRAFT — UNSAVED CHANGES" in summary and draft[0] in summary
    notes = wb["Notes"]
    cells = [c for row in notes.iter_rows() for c in row if c.value == "=1+1 is not a formula here"]
    assert len(cells) == 1 and cells[0].data_type == "s"


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drops=st.lists(st.integers(min_value=0, max_value=249), min_size=1, max_size=6, unique=True))
def test_comparison_parts_add_up(
    tmp_path_factory: pytest.TempPathFactory,
    sample_loaded: tuple[Plan, ImportReport],
    drops: list[int],
) -> None:
    """Property: whatever pledges disappear after an edition, the per-line changes add up to
    the funded change and the withdrawn pledges are exactly those."""
    url = f"sqlite:///{tmp_path_factory.mktemp('prop') / 'r.sqlite'}"
    with Register(url) as reg:
        sample, report = sample_loaded
        reg.import_plan(sample, report)
        workspace.save_scenario(reg, "baseline", _run(reg, Scenario()), replace=False)
        reg.mark_official("baseline")
        edition = workspace.publish_edition(reg, "E", "2027-01-01")
        gone = {str(sample.pledges["pledge_id"].iloc[i]) for i in drops}
        import sqlalchemy as sa

        from appeal.register import pledges_t, tranches_t

        with reg._write("test.delete") as conn:
            conn.execute(sa.delete(tranches_t).where(tranches_t.c.pledge_id.in_(gone)))
            conn.execute(sa.delete(pledges_t).where(pledges_t.c.pledge_id.in_(gone)))
        c = workspace.compare(reg, edition)
    assert set(c.pledges["pledge_id"]) == gone
    assert set(c.pledges["change"]) == {"withdrawn"}
    assert c.lines["change"].sum() == pytest.approx(c.funded_change, abs=1e-5)
    assert c.funded_change <= 1e-6  # less money never funds more


def test_every_write_has_its_audit_row_in_the_same_transaction(loaded: Register) -> None:
    start = loaded.revision().number
    log = loaded.audit_log()
    assert len(log) == 1 + 2  # import.plan and one import.pledges per sample file
    pid = str(service.plan_from_register(loaded).pledges["pledge_id"].iloc[0])
    loaded.update_pledge_status(pid, "paid")
    row = loaded.audit_log().iloc[0]
    assert (row["action"], row["target"], row["revision"]) == ("pledge.status", pid, start + 1)
    assert '"paid"' in row["after"]
    # A refused write: no change, no audit row, no revision bump.
    with pytest.raises(RegisterError):
        loaded.update_pledge_status("NO-SUCH-PLEDGE", "paid")
    assert loaded.revision().number == start + 1
    assert len(loaded.audit_log()) == len(log) + 1
