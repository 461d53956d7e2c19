"""The application service: the plan cache follows every register write (on SQLite and
PostgreSQL: the ``register`` fixtures of conftest.py), solves through the result cache,
scenarios, imports."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from appeal import service
from appeal.importer import ImportFailed, ImportReport, load_plan, load_pledges
from appeal.register import Register, RegisterError
from models.plan import STATUSES, Plan
from models.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent


def _other_status(status: str) -> str:
    return next(s for s in STATUSES if s != status)


def _more_pledges(base: Plan, make_csv: object, name: str = "more.csv") -> tuple[Plan, Path]:
    """One new unearmarked pledge, checked against ``base`` as `appeal import` would."""
    path = make_csv(  # type: ignore[operator]
        [
            ["pledge_id", "donor", "amount", "currency", "year", "earmarking", "status"],
            [f"NEW-{name}", "A new donor", 1_000_000, "USD", base.years[0], "unearmarked", "paid"],
        ],
        name=name,
    )
    more, _ = load_pledges(base, [path])
    return more, path


# -- the plan cache and the register revision ---------------------------------------------------
def test_an_empty_register_has_no_plan(register: Register) -> None:
    with pytest.raises(service.NoPlan):
        service.plan_from_register(register)


def test_every_register_write_invalidates_the_plan_cache(
    register: Register, sample_loaded: tuple[Plan, ImportReport], make_csv: object
) -> None:
    sample, report = sample_loaded
    register.import_plan(sample, report)
    cached = service.plan_from_register(register)
    assert service.plan_from_register(register) is cached  # no write: the same plan object
    pid = str(cached.pledges["pledge_id"].iloc[0])
    new_status = _other_status(str(cached.pledges["status"].iloc[0]))
    more, _ = _more_pledges(cached, make_csv)
    scenario = Scenario(name="kept", description="a saved scenario")

    def status_of(plan: Plan) -> str:
        return str(plan.pledges.set_index("pledge_id").loc[pid, "status"])

    # Each write, and what the next plan must show (scenario writes change no table of the
    # plan: the cache is still renewed, since every write bumps the revision).
    writes = [
        (
            "import_plan",
            lambda: register.import_plan(sample.replace(title="Renamed appeal"), report),
            lambda plan: plan.title == "Renamed appeal",
        ),
        (
            "update_pledge_status",
            lambda: register.update_pledge_status(pid, new_status),
            lambda plan: status_of(plan) == new_status,
        ),
        (
            "import_pledges",
            lambda: register.import_pledges(
                more.pledges, more.tranches, ImportReport(rows_read=1, rows_imported=1), "more.csv"
            ),
            lambda plan: "NEW-more.csv" in set(plan.pledges["pledge_id"]),
        ),
        ("save_scenario", lambda: register.save_scenario("kept", scenario), lambda plan: True),
        ("delete_scenario", lambda: register.delete_scenario("kept"), lambda plan: True),
    ]
    for name, write, shows in writes:
        before = register.revision()
        assert not shows(cached) or name.endswith("scenario"), name
        write()
        assert register.revision() == (before.register_id, before.number + 1), name
        fresh = service.plan_from_register(register)
        assert fresh is not cached, f"{name}: the cached plan was served after the write"
        assert shows(fresh), name
        cached = fresh
    assert status_of(cached) == new_status  # later writes kept the earlier ones


def test_a_write_from_another_process_is_seen(
    register: Register, register_url: str, sample_loaded: tuple[Plan, ImportReport]
) -> None:
    register.import_plan(*sample_loaded)
    cached = service.plan_from_register(register)
    pid = str(cached.pledges["pledge_id"].iloc[-1])
    new_status = _other_status(str(cached.pledges["status"].iloc[-1]))
    # Another worker process (a second gunicorn worker, `appeal` on the command line) writes.
    code = (
        "import sys; from appeal.register import Register\n"
        "with Register(sys.argv[1]) as r: r.update_pledge_status(sys.argv[2], sys.argv[3])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-c", code, register_url, pid, new_status],
        check=True,
        env=env,
        timeout=120,
    )
    fresh = service.plan_from_register(register)
    assert fresh.pledges.set_index("pledge_id").loc[pid, "status"] == new_status


def test_a_failed_write_bumps_nothing_and_keeps_the_cache(
    register: Register, sample_loaded: tuple[Plan, ImportReport]
) -> None:
    sample, report = sample_loaded
    register.import_plan(sample, report)
    cached = service.plan_from_register(register)
    before = register.revision()
    with pytest.raises(RegisterError):
        register.update_pledge_status("no-such-pledge", "paid")
    broken = sample.pledges.copy()
    broken.loc[broken.index[-1], "pledge_id"] = broken["pledge_id"].iloc[-2]  # a duplicate key
    with pytest.raises(sa.exc.IntegrityError):
        register.import_plan(sample.replace(pledges=broken), report)
    assert register.revision() == before
    assert service.plan_from_register(register) is cached


def test_a_register_made_again_at_the_same_place_is_a_new_register(
    register_url: str,
    empty_register: Callable[[], None],
    sample_loaded: tuple[Plan, ImportReport],
) -> None:
    sample, report = sample_loaded
    with Register(register_url) as first:
        first.import_plan(sample, report)
        old = first.revision()
        assert service.plan_from_register(first).title == sample.title
    empty_register()  # the SQLite file deleted, the PostgreSQL database re-created
    with Register(register_url) as second:
        second.import_plan(sample.replace(title="Another appeal"), report)
        new = second.revision()
        assert new.number == old.number  # the counter alone could not tell them apart
        assert new.register_id != old.register_id
        assert service.plan_from_register(second).title == "Another appeal"


def test_a_register_from_before_the_revision_counter_opens_and_counts(
    register_url: str, sample_loaded: tuple[Plan, ImportReport]
) -> None:
    with Register(register_url) as reg:
        reg.import_plan(*sample_loaded)
    engine = sa.create_engine(register_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE register_revision")
    engine.dispose()
    with Register(register_url) as reg:
        start = reg.revision()
        plan = service.plan_from_register(reg)
        assert len(plan.pledges) == len(sample_loaded[0].pledges)
        reg.save_scenario("s", Scenario())
        assert reg.revision().number == start.number + 1


def test_snapshots_stay_whole_while_a_writer_commits(
    register: Register,
    register_url: str,
    sample_loaded: tuple[Plan, ImportReport],
    make_csv: object,
) -> None:
    """Each snapshot is one committed state: every pledge has its tranches and no tranche is
    without its pledge, although the plan is read in several statements while pledges (and
    their tranches, in another table) are being added."""
    register.import_plan(*sample_loaded)
    base = register.load_plan()
    additions = [_more_pledges(base, make_csv, name=f"w{i}.csv")[0] for i in range(15)]
    stop = threading.Event()

    def writer() -> None:
        with Register(register_url) as other:
            for i, more in enumerate(additions):
                other.import_pledges(more.pledges, more.tranches, ImportReport(), f"w{i}.csv")
                time.sleep(0.02)
        stop.set()

    thread = threading.Thread(target=writer)
    thread.start()
    seen = set()
    try:
        while not stop.is_set() or not seen:
            revision, plan = register.snapshot()
            seen.add(revision.number)
            assert set(plan.pledges["pledge_id"]) == set(plan.tranches["pledge_id"])
            assert len(plan.pledges) == len(base.pledges) + revision.number - 1
    finally:
        thread.join(timeout=120)
    assert len(seen) > 1  # the reads really overlapped the writes


# -- solve and the result cache -----------------------------------------------------------------
def test_plan_fingerprint_tracks_content(sample_plan: Plan) -> None:
    same = sample_plan.replace(pledges=sample_plan.pledges.copy())
    assert service.plan_fingerprint(same) == service.plan_fingerprint(sample_plan)
    changed = sample_plan.pledges.copy()
    changed.loc[0, "status"] = _other_status(str(changed.loc[0, "status"]))
    other = sample_plan.replace(pledges=changed)
    assert service.plan_fingerprint(other) != service.plan_fingerprint(sample_plan)


def test_scenario_digest_ignores_name_but_not_parameters() -> None:
    a = Scenario(name="a", description="x")
    b = Scenario(name="b")
    assert service.scenario_digest(a) == service.scenario_digest(b)
    c = Scenario()
    c.weights.tier[1] = 9.0
    assert service.scenario_digest(c) != service.scenario_digest(a)


def test_solve_through_the_cache_reuses_the_allocation(sample_plan: Plan, tmp_path: Path) -> None:
    cache = service.ResultCache(str(tmp_path / "results"))
    try:
        first = service.solve(sample_plan, Scenario(), cache=cache)
        assert first.result.ok
        again = service.solve(sample_plan, Scenario(name="renamed"), cache=cache)
        other = Scenario(min_viable=False)
        changed = service.solve(sample_plan, other, cache=cache)
    finally:
        cache.close()
    # A re-solve would have timed itself afresh: the same seconds mean the stored result.
    assert again.result.solver.seconds == first.result.solver.seconds
    pd.testing.assert_frame_equal(again.result.allocations, first.result.allocations)
    assert again.scenario.name == "renamed"
    assert changed.scenario is other
    assert changed.result.solver.seconds != first.result.solver.seconds


def test_analyse_keeps_the_runs_allocation(sample_plan: Plan) -> None:
    run = service.solve(sample_plan, Scenario(), {"rows_read": 1})
    analysed = service.analyse(
        run.plan, run.scenario, run.result, import_report=run.import_report, stress_top=1
    )
    assert analysed.result is run.result
    assert analysed.import_report == {"rows_read": 1}
    assert analysed.stress is not None and len(analysed.stress.cases) == 1
    assert analysed.totals == run.totals


def test_run_summary_adds_up(sample_plan: Plan) -> None:
    run = service.solve(sample_plan, Scenario())
    summary = service.run_summary(run)
    assert summary["funded_usd"] == pytest.approx(run.result.allocations["amount_usd"].sum())
    assert sum(summary["lines"].values()) == pytest.approx(summary["funded_usd"], abs=0.01)
    assert set(summary["lines"]) == set(sample_plan.line_ids)
    assert summary["pledge_count"] == len(sample_plan.pledges)
    assert summary["gap_usd"] == pytest.approx(summary["requirement_usd"] - summary["funded_usd"])


# -- scenarios and imports ----------------------------------------------------------------------
def test_stored_scenario(register: Register) -> None:
    assert service.stored_scenario(register, None).to_dict() == Scenario().to_dict()
    assert service.stored_scenario(register, "baseline").name == "baseline"  # nothing stored
    kept = Scenario(name="flexible", min_viable=False)
    register.save_scenario("flexible", kept)
    assert service.stored_scenario(register, "flexible").to_dict() == kept.to_dict()
    with pytest.raises(service.InputError, match=r"'nope'.*\(stored: flexible\)"):
        service.stored_scenario(register, "nope")


def test_import_files(
    register: Register, small_programmes: Path, small_fx: Path, make_csv: object
) -> None:
    header = ["donor", "amount", "currency", "year", "years", "earmarking", "earmark_to"]
    pledges = make_csv(  # type: ignore[operator]
        [
            [*header, "status"],
            ["A", 100, "USD", 2027, 2, "unearmarked", "", "paid"],
            ["B", 80, "EUR", 2028, 1, "earmarked", "L2", "pledged"],
            ["C", -5, "USD", 2027, 1, "unearmarked", "", "paid"],
        ]
    )
    alone = service.PlanFiles(programmes=None, pledges=(pledges,), skip_invalid=True)
    with pytest.raises(service.NoPlan):
        service.import_files(register, alone)
    strict = service.PlanFiles(programmes=small_programmes, pledges=(pledges,), fx=small_fx)
    with pytest.raises(ImportFailed):
        service.import_files(register, strict)
    assert register.is_empty()
    lenient = service.PlanFiles(
        programmes=small_programmes, pledges=(pledges,), fx=small_fx, skip_invalid=True
    )
    outcome = service.import_files(register, lenient)
    assert (outcome.report.rows_imported, outcome.report.rows_rejected) == (2, 1)
    assert (outcome.pledges_before, outcome.pledges_after) == (0, 2)
    # Against the stored programmes and rates, the same file adds nothing new.
    again = service.import_files(register, alone)
    assert (again.pledges_before, again.pledges_after) == (2, 2)
    plan, _ = load_plan(small_programmes, [pledges], fx=small_fx, skip_invalid=True)
    stored = service.plan_from_register(register)
    assert sorted(stored.pledges["pledge_id"]) == sorted(plan.pledges["pledge_id"])
