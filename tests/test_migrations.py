"""Schema versions: a register made by the release before schema versions existed (the file in
tests/data/registers, written by main's code at ceadb54 with the demo data, one status edit)
opens, is upgraded to the newest schema and keeps every row; on PostgreSQL the same data is
put into a database at the baseline revision and upgraded. A new register is created at head."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from appeal import migrations
from appeal.register import Register
from appeal.service import plan_from_register
from models.scenario import Scenario

RELEASE_01 = Path(__file__).parent / "data" / "registers" / "release-0.1.sqlite"
BASELINE_TABLES = (
    "programmes",
    "requirements",
    "donors",
    "fx",
    "pledges",
    "tranches",
    "import_log",
    "scenarios",
    "meta",
    "register_revision",
)


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        counts = {
            t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one())
            for t in BASELINE_TABLES
        }
    engine.dispose()
    return counts


@pytest.fixture
def release_01(tmp_path: Path) -> str:
    copy = tmp_path / "old.sqlite"
    shutil.copy(RELEASE_01, copy)
    return f"sqlite:///{copy}"


def test_the_release_file_is_unversioned() -> None:
    """The test data really is a register of the release before schema versions."""
    engine = sa.create_engine(f"sqlite:///{RELEASE_01}")
    assert migrations.current_revision(engine) is None
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert set(BASELINE_TABLES) <= names and "users" not in names


def _check_upgraded(url: str, before: dict[str, int]) -> None:
    with Register(url) as reg:
        assert migrations.current_revision(reg.engine) == migrations.HEAD
        assert _counts(url) == before  # nothing lost
        plan = plan_from_register(reg)
        assert len(plan.pledges) == 250 and len(plan.programmes) == 40
        saved = reg.list_scenarios()
        assert sorted(saved["name"]) == ["baseline", "criteria_scored", "flexible_first"]
        assert set(saved["version"]) == {1}
        history = reg.scenario_versions("baseline")
        assert list(history["version"]) == [1] and history["summary"][0]["funded_usd"] > 0
        # The upgraded register works: a save is version 2, audited, the revision counts on.
        start = reg.revision()
        assert reg.save_scenario("baseline", Scenario(), None) == 2
        assert reg.revision().number == start.number + 1
        assert reg.audit_log()["action"].tolist() == ["scenario.save"]
    with Register(url) as again:  # a second open finds it at head and leaves it so
        assert migrations.current_revision(again.engine) == migrations.HEAD


def test_a_release_01_register_opens_and_is_upgraded(release_01: str) -> None:
    _check_upgraded(release_01, _counts(release_01))


def test_the_release_01_register_upgrades_on_postgresql(postgres_url: str) -> None:
    register_url = postgres_url
    source = sa.create_engine(f"sqlite:///{RELEASE_01}")
    target = sa.create_engine(register_url)
    # The baseline schema, then the release file's rows copied in.
    from alembic import command

    with target.begin() as conn:
        command.upgrade(migrations._config(conn), migrations.BASELINE)  # type: ignore[arg-type]
    old = sa.MetaData()
    old.reflect(source)
    with source.connect() as read, target.begin() as write:
        for name in BASELINE_TABLES:
            rows = [dict(r._mapping) for r in read.execute(old.tables[name].select())]
            present = {c["name"] for c in sa.inspect(write).get_columns(name)}
            rows = [{k: v for k, v in r.items() if k in present} for r in rows]
            if rows:
                write.execute(sa.Table(name, sa.MetaData(), autoload_with=write).insert(), rows)
    before = _counts(register_url)
    source.dispose()
    target.dispose()
    _check_upgraded(register_url, before)


def test_a_new_register_is_created_at_head(register_url: str) -> None:
    with Register(register_url) as reg:
        assert migrations.current_revision(reg.engine) == migrations.HEAD
        names = set(sa.inspect(reg.engine).get_table_names())
    assert {"users", "audit", "scenario_versions", "editions", "notes"} <= names
