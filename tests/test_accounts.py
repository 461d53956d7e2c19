"""Accounts: passwords hashed with scrypt and never stored or audited in clear, roles and
entities, disabled users, sign-in rate-limited per name and per address (counted in the
register, so every worker process sees the same count) and audited; the `appeal users` and
`appeal audit` commands, and `--as` attribution."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from appeal import accounts, actor
from appeal.accounts import AccountError, SigninRefused
from appeal.register import Register

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"


def test_passwords_are_scrypt_hashes_and_never_in_clear(
    register: Register, register_url: str
) -> None:
    accounts.add_user(register, "alice", "admin", password=PASSWORD)
    row = register.user("alice")
    assert row is not None and str(row["password_hash"]).startswith("scrypt:")
    engine = sa.create_engine(register_url)
    with engine.connect() as conn:
        dump = " ".join(
            str(v)
            for table in ("users", "audit")
            for r in conn.execute(sa.text(f"SELECT * FROM {table}"))
            for v in r
        )
    engine.dispose()
    assert PASSWORD not in dump
    assert str(row["password_hash"]) not in " ".join(register.audit_log()["after"].astype(str))


def test_sign_in_checks_the_password_and_the_account(register: Register) -> None:
    accounts.add_user(register, "ana", "analyst", password=PASSWORD)
    user = accounts.authenticate(register, "ana", PASSWORD, "10.0.0.1")
    assert (user.username, user.role) == ("ana", "analyst")
    with pytest.raises(SigninRefused, match="wrong user name or password"):
        accounts.authenticate(register, "ana", PASSWORD + "x", "10.0.0.1")
    with pytest.raises(SigninRefused, match="wrong user name or password"):
        accounts.authenticate(register, "nobody", PASSWORD, "10.0.0.1")
    accounts.disable_user(register, "ana")
    with pytest.raises(SigninRefused):
        accounts.authenticate(register, "ana", PASSWORD, "10.0.0.1")
    assert accounts.get_user(register, "ana") is None
    log = register.audit_log()
    assert list(log["action"][:4]) == [
        "signin.failed",
        "user.disable",
        "signin.failed",
        "signin.failed",
    ]
    assert "signin" in set(log["action"])


def test_failed_sign_ins_are_rate_limited_per_name(register: Register) -> None:
    accounts.add_user(register, "vic", "viewer", password=PASSWORD)
    for _ in range(accounts.MAX_FAILURES_PER_USER):
        with pytest.raises(SigninRefused, match="wrong"):
            accounts.authenticate(register, "vic", "guess-guess", "10.0.0.2")
    # Now even the right password is refused, from any address.
    with pytest.raises(SigninRefused, match="too many"):
        accounts.authenticate(register, "vic", PASSWORD, "10.9.9.9")
    failures = register.audit_log(action="signin.failed")
    assert len(failures) == accounts.MAX_FAILURES_PER_USER + 1
    assert set(failures["actor"]) == {"vic"}


def test_failed_sign_ins_are_rate_limited_per_address(register: Register) -> None:
    accounts.add_user(register, "fred", "viewer", password=PASSWORD)
    for i in range(accounts.MAX_FAILURES_PER_ADDRESS):
        with pytest.raises(SigninRefused):
            accounts.authenticate(register, f"user{i}", "guess-guess", "10.0.0.3")
    with pytest.raises(SigninRefused, match="too many"):
        accounts.authenticate(register, "fred", PASSWORD, "10.0.0.3")
    assert accounts.authenticate(register, "fred", PASSWORD, "10.0.0.4").username == "fred"


def test_roles_entities_and_bad_input(register: Register) -> None:
    with pytest.raises(AccountError, match="needs at least one entity"):
        accounts.add_user(register, "fp", "focal_point", password=PASSWORD)
    accounts.add_user(register, "fp", "focal_point", password=None, entities=["UNODC", "UNODC"])
    user = accounts.get_user(register, "fp")
    assert user is not None and user.entities == ("UNODC",) and not user.can("analyst")
    accounts.set_role(register, "fp", "analyst")
    assert accounts.get_user(register, "fp").can("analyst")  # type: ignore[union-attr]
    with pytest.raises(AccountError, match="unknown role"):
        accounts.set_role(register, "fp", "superuser")
    with pytest.raises(AccountError, match="at least 10"):
        accounts.add_user(register, "short", "viewer", password="abc")
    with pytest.raises(AccountError, match="user name"):
        accounts.add_user(register, "bad name!", "viewer", password=PASSWORD)
    with pytest.raises(ValueError, match="exists already"):
        accounts.add_user(register, "fp", "viewer", password=PASSWORD)
    # A user without a password (proxy only) can never sign in with one.
    with pytest.raises(SigninRefused):
        accounts.authenticate(register, "fp", "", "10.0.0.5")
    assert [accounts.at_least(r, "analyst") for r in accounts.ROLES] == [False, False, True, True]


def test_writes_are_attributed_to_the_actor(register: Register) -> None:
    with actor.acting_as("chair"):
        accounts.add_user(register, "x1", "viewer", password=PASSWORD)
    assert register.audit_log()["actor"].iloc[0] == "chair"


def _appeal(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appeal", "--db", str(db), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_the_users_and_audit_commands(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    added = _appeal(
        db,
        "--as",
        "chair",
        "users",
        "add",
        "root-admin",
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert PASSWORD not in added.stdout + added.stderr
    # The password is never an argument.
    refused = _appeal(db, "users", "add", "x", "--role", "viewer", "--password", PASSWORD)
    assert refused.returncode == 2 and "unrecognized arguments" in refused.stderr
    assert (
        _appeal(
            db, "users", "add", "fp", "--role", "focal_point", "--entity", "UNODC", "--no-password"
        ).returncode
        == 0
    )
    assert _appeal(db, "users", "set-role", "fp", "analyst").returncode == 0
    assert _appeal(db, "users", "disable", "fp").returncode == 0
    assert (
        _appeal(
            db,
            "users",
            "reset-password",
            "root-admin",
            "--password-stdin",
            stdin="another long password\n",
        ).returncode
        == 0
    )
    listed = _appeal(db, "users", "list")
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:2] == ["username", "role"]
    assert any(line.split()[:2] == ["fp", "analyst"] and "True" in line for line in lines)
    bad = _appeal(db, "users", "set-role", "ghost", "viewer")
    assert bad.returncode == 2 and "no user 'ghost'" in bad.stderr
    with Register(f"sqlite:///{db}") as reg:
        assert accounts.authenticate(reg, "root-admin", "another long password", "::1")
    audit = _appeal(db, "audit", "--format", "json", "--action", "user")
    assert audit.returncode == 0
    import json

    rows = json.loads(audit.stdout)
    actions = [r["action"] for r in rows][::-1]
    assert actions == ["user.add", "user.add", "user.role", "user.disable", "user.password"]
    assert rows[-1]["actor"] == "chair"  # --as
    assert PASSWORD not in audit.stdout
    table = _appeal(db, "audit", "--user", "chair")
    assert "user.add" in table.stdout and "root-admin" in table.stdout
