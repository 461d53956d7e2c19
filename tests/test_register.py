"""The pledge register: round trip, idempotent re-import, transactions, scenarios, URLs — on
SQLite and PostgreSQL (the register fixtures of conftest.py)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appeal import config
from appeal.importer import ImportFailed, ImportReport, load_plan, load_pledges
from appeal.register import Register, RegisterError
from models.plan import Plan
from models.scenario import Scenario, Targets


def test_round_trip_of_the_sample(sample_plan: Plan, tmp_db_url: str) -> None:
    with Register(tmp_db_url) as register:
        assert register.is_empty()
        register.import_plan(sample_plan, ImportReport(rows_read=250, rows_imported=250))
        assert not register.is_empty()
        stored = register.load_plan()
    assert stored.title == sample_plan.title
    assert stored.illustrative is True
    assert stored.line_ids == sample_plan.line_ids
    # The stored plan is the imported one, column for column and type for type (both are
    # made by Plan.build from the contract's columns).
    pd.testing.assert_frame_equal(stored.programmes, sample_plan.programmes)
    key = ["pledge_id"]
    a = stored.pledges.sort_values(key).reset_index(drop=True)
    b = sample_plan.pledges.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(stored.tranches, sample_plan.tranches)
    # The register returns the reference tables in key order.
    for table, order in (("requirements", ["line_id", "year"]), ("fx", ["currency"])):
        imported = getattr(sample_plan, table).sort_values(order).reset_index(drop=True)
        pd.testing.assert_frame_equal(getattr(stored, table), imported)
    donors = sample_plan.donors.sort_values("donor").reset_index(drop=True)
    pd.testing.assert_frame_equal(stored.donors, donors)


def test_a_register_holding_rows_that_break_the_contract_is_refused_on_load(
    sample_plan: Plan, tmp_db_url: str
) -> None:
    """The register's load goes through the plan's one constructor, so rows changed behind
    its back (here a priority outside 1-4 and a tranche of no pledge) are named, not used."""
    import sqlalchemy as sa

    with Register(tmp_db_url) as register:
        register.import_plan(sample_plan, ImportReport())
        with register.engine.begin() as conn:
            conn.execute(sa.text("UPDATE programmes SET priority = 9 WHERE line_id = 'LEAD-01'"))
            conn.execute(
                sa.text(
                    "INSERT INTO tranches (pledge_id, year, amount, gross_usd, programmable_usd) "
                    "VALUES ('ghost', 2027, 1, 1, 1)"
                )
            )
        with pytest.raises(RegisterError) as info:
            register.load_plan()
    text = str(info.value)
    assert "priority must be 1-4" in text
    assert "'ghost' is not a pledge_id of the pledges" in text


def test_reimport_same_file_is_idempotent(
    tmp_db_url: str, small_programmes: Path, small_fx: Path, make_csv: object
) -> None:
    path = make_csv(  # type: ignore[operator]
        [
            ["donor", "amount", "currency", "year", "earmarking", "status"],
            ["A", 100, "USD", 2027, "unearmarked", "paid"],
            ["A", 100, "USD", 2027, "unearmarked", "paid"],
            ["B", 50, "EUR", 2028, "unearmarked", "pledged"],
        ]
    )
    with Register(tmp_db_url) as register:
        for _ in range(3):
            plan, report = load_plan(small_programmes, [path], fx=small_fx)
            register.import_plan(plan, report)
        assert len(register.pledges()) == 3  # the flagged duplicate is kept once, not tripled
        assert len(register.tranches()) == 3
        log = register.import_log()
        assert log["rows_new"].tolist() == [3, 0, 0]
        assert log["rows_updated"].tolist() == [0, 3, 3]
        assert log["source_file"].unique().tolist() == ["pledges.csv"]


def test_import_pledges_against_stored_programmes(
    tmp_db_url: str, small_programmes: Path, small_fx: Path, make_csv: object
) -> None:
    first = make_csv(  # type: ignore[operator]
        [
            ["donor", "amount", "currency", "year", "earmarking", "status"],
            ["A", 1, "USD", 2027, "unearmarked", "paid"],
        ],
        name="a.csv",
    )
    second = make_csv(  # type: ignore[operator]
        [
            ["donor", "amount", "currency", "year", "earmarking", "earmark_to", "status"],
            ["B", 8, "EUR", 2027, "earmarked", "L3", "paid"],
        ],
        name="b.csv",
    )
    with Register(tmp_db_url) as register:
        plan, report = load_plan(small_programmes, [first], fx=small_fx)
        register.import_plan(plan, report)
        base = register.load_plan()
        more, report2 = load_pledges(base, [second])
        entry = register.import_pledges(more.pledges, more.tranches, report2, "b.csv")
        assert entry.rows_new == 1 and entry.source_file == "b.csv"
        stored = register.load_plan()
    assert sorted(stored.pledges["donor"]) == ["A", "B"]
    assert stored.tranches["gross_usd"].sum() == pytest.approx(11.0)


def test_failed_transaction_stores_nothing(sample_plan: Plan, tmp_db_url: str) -> None:
    broken = sample_plan.pledges.copy()
    # A missing donor (NaN in the frame) on the last row: NOT NULL refuses it on every backend
    # (PostgreSQL would store a NaN in a text column as the text "NaN" if it were sent).
    broken.loc[broken.index[-1], "donor"] = None
    with Register(tmp_db_url) as register:
        with pytest.raises(sa.exc.IntegrityError, match=r"(?i)not.null"):
            register.import_plan(sample_plan.replace(pledges=broken), ImportReport())
        assert register.is_empty()
        assert register.import_log().empty
        assert register.load_plan().programmes.empty


def test_reads_leave_the_revision_and_writes_bump_it_once(
    sample_plan: Plan, tmp_db_url: str
) -> None:
    with Register(tmp_db_url) as register:
        start = register.revision()
        assert start.number == 0 and len(start.register_id) == 32
        register.import_plan(sample_plan, ImportReport())
        register.save_scenario("s", Scenario())
        after_writes = register.revision()
        assert after_writes == (start.register_id, 2)
        for read in (
            register.is_empty,
            register.has_programmes,
            register.programmes,
            register.fx,
            register.pledges,
            register.tranches,
            register.load_plan,
            register.import_log,
            register.list_scenarios,
            register.snapshot,
            lambda: register.get_scenario("s"),
        ):
            read()
        assert register.revision() == after_writes
        revision, plan = register.snapshot()
        assert revision == after_writes and len(plan.pledges) == len(sample_plan.pledges)
    with Register(tmp_db_url) as again:  # the counter is stored, not per handle
        assert again.revision() == after_writes


def test_update_pledge_status(sample_plan: Plan, tmp_db_url: str) -> None:
    with Register(tmp_db_url) as register:
        register.import_plan(sample_plan, ImportReport())
        pid = str(sample_plan.pledges["pledge_id"].iloc[0])
        register.update_pledge_status(pid, " Committed ")
        got = register.pledges().set_index("pledge_id").loc[pid, "status"]
        assert got == "committed"
        with pytest.raises(RegisterError, match="unknown status 'promised'"):
            register.update_pledge_status(pid, "promised")
        with pytest.raises(RegisterError, match="no pledge with id"):
            register.update_pledge_status("nope", "paid")


def test_scenario_store(tmp_db_url: str) -> None:
    with Register(tmp_db_url) as register:
        assert register.list_scenarios().empty
        s = Scenario(
            name="gender push", description="more gender", targets=Targets(gender_share=0.3)
        )
        register.save_scenario("gender push", s, {"coverage": 0.5})
        register.save_scenario("gender push", s, {"coverage": 0.6})  # upsert
        listed = register.list_scenarios()
        assert listed["name"].tolist() == ["gender push"]
        assert listed["summary"].iloc[0] == {"coverage": 0.6}
        back = register.get_scenario("gender push")
        assert back.targets.gender_share == 0.3 and back.description == "more gender"
        register.delete_scenario("gender push")
        assert register.list_scenarios().empty
        with pytest.raises(RegisterError):
            register.get_scenario("gender push")
        with pytest.raises(RegisterError):
            register.delete_scenario("gender push")
        with pytest.raises(RegisterError):
            register.save_scenario("", s)


def test_empty_register_loads_an_empty_plan(tmp_db_url: str) -> None:
    with Register(tmp_db_url) as register:
        plan = register.load_plan()
    assert plan.programmes.empty and plan.pledges.empty and plan.years == []


def test_invalid_url() -> None:
    with pytest.raises(RegisterError, match="invalid database URL"):
        Register("nosuchdb://x")


# -- database URL resolution ------------------------------------------------------------------
def test_url_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.ENV_VAR, raising=False)
    assert config.database_url(tmp_path / "a.db") == f"sqlite:///{tmp_path / 'a.db'}"
    assert config.database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    default = config.database_url()
    assert default.startswith("sqlite:///") and default.endswith("appeal-planner/register.sqlite")
    monkeypatch.setenv(config.ENV_VAR, "sqlite:////tmp/env.db")
    assert config.database_url() == "sqlite:////tmp/env.db"
    assert config.database_url(str(tmp_path / "b.db")).endswith("b.db")  # --db wins


def test_sqlite_folder_created(tmp_path: Path) -> None:
    url = config.database_url(tmp_path / "deep" / "er" / "r.sqlite")
    with Register(url) as register:
        assert register.is_empty()
    assert (tmp_path / "deep" / "er" / "r.sqlite").exists()


# -- property: import never loses or invents money --------------------------------------------
RATES = {"USD": 1.0, "EUR": 0.8, "JPY": 150.0}

row_strategy = st.fixed_dictionaries(
    {
        "donor": st.sampled_from(["Norway", "Japan", "EU", ""]),
        "amount": st.one_of(
            st.integers(min_value=-1000, max_value=10**9),
            st.floats(min_value=0.01, max_value=1e8, allow_nan=False).map(lambda x: round(x, 2)),
            st.sampled_from(["abc", "2.5k", "1,250,000", "=A1"]),
        ),
        "currency": st.sampled_from(["USD", "EUR", "JPY", "GBP"]),
        "year": st.integers(min_value=2025, max_value=2032),
        "years": st.integers(min_value=0, max_value=4),
        "earmarking": st.sampled_from(["unearmarked", "earmarked", "softly earmarked"]),
        "status": st.sampled_from(["paid", "pledged", "committed", "lost"]),
        "psc_rate": st.sampled_from([0.0, 0.07, 0.13, 2.0]),
    }
)


def _expected_usd(row: dict[str, object]) -> float | None:
    """Independent oracle: programmable USD of a row, or None when the row must be refused."""
    amount = row["amount"]
    if isinstance(amount, str):
        value = {"2.5k": 2500.0, "1,250,000": 1_250_000.0}.get(amount)
        if value is None:
            return None
    else:
        value = float(amount)  # type: ignore[arg-type]
    if (
        not row["donor"]
        or value <= 0
        or row["currency"] not in RATES
        # The contract's smallest pledge is a cent (gross, in USD): 1 JPY is refused.
        or value / RATES[str(row["currency"])] < 0.01
        or not 1 <= int(row["years"]) <= 20  # type: ignore[call-overload]
        or row["status"] == "lost"
        or float(row["psc_rate"]) >= 1  # type: ignore[arg-type]
    ):
        return None
    return value / RATES[str(row["currency"])] / (1 + float(row["psc_rate"]))  # type: ignore[arg-type]


TARGETS = {"unearmarked": "", "earmarked": "L2", "softly earmarked": "theme:gender"}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(row_strategy, min_size=1, max_size=12))
def test_import_never_loses_or_invents_money(
    rows: list[dict[str, object]],
    tmp_path_factory: pytest.TempPathFactory,
    small_programmes: Path,
    register_url: str,
    empty_register: Callable[[], None],
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    fx = folder / "fx.csv"
    fx.write_text("currency,units_per_usd\nEUR,0.8\nJPY,150\n", encoding="utf-8")
    path = folder / "pledges.csv"
    header = [
        "donor",
        "amount",
        "currency",
        "year",
        "years",
        "earmarking",
        "earmark_to",
        "status",
        "psc_rate",
    ]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow(
                [r[h] if h != "earmark_to" else TARGETS[str(r["earmarking"])] for h in header]
            )
    expected = [_expected_usd(r) for r in rows]
    accepted = [x for x in expected if x is not None]
    empty_register()  # each example starts from an empty register
    with Register(register_url) as register:
        try:
            plan, report = load_plan(small_programmes, [path], fx=fx, skip_invalid=True)
        except ImportFailed as exc:  # only when the file itself is unusable
            pytest.fail(f"unexpected refusal: {exc}")
        register.import_plan(plan, report)
        stored = register.tranches()["programmable_usd"].sum()
        assert report.rows_read == report.rows_imported + report.rows_rejected == len(rows)
        assert report.rows_imported == len(accepted)
        assert stored == pytest.approx(sum(accepted), rel=1e-9, abs=1e-6)
        # Strict mode accepts exactly when every row is valid.
        if len(accepted) < len(rows):
            with pytest.raises(ImportFailed):
                load_plan(small_programmes, [path], fx=fx)
