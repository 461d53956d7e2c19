"""Refunds and reversals of money stored before: a file with a donor's negative amount, imported
on its own months after the pledges it takes money back from, changes those stored pledges —
through ``appeal import`` and the dashboard's upload alike — in the import's transaction,
audited; never another donor's money; refused whole (nothing changed) when the donor's stored
money is not enough or the pledge changed since the file was checked. Every register case runs
on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appeal import adjustments, service
from appeal.adjustments import Adjustment
from appeal.cli import main
from appeal.importer import ImportFailed, ImportReport
from appeal.register import Register, RegisterError
from dashboards.logic import pledges as upload
from models.plan import Plan

HEADER = "pledge_id,donor,amount,currency,year,years,earmarking,earmark_to,status\n"
# Norway's unearmarked NOK 15.2m from 2027 in the sample (the best match for an unearmarked
# NOK refund dated 2027: same earmark, same currency, the latest first year not after it).
PLEDGE = "UNOCT-2027-0049"


@pytest.fixture
def stored(register: Register, sample_loaded: tuple[Plan, ImportReport]) -> Register:
    register.import_plan(*sample_loaded)
    return register


def refund_file(tmp_path: Path, amount: float, donor: str = "Norway", name: str = "r.csv") -> Path:
    path = tmp_path / name
    path.write_text(
        HEADER + f"REF-1,{donor},{-amount},NOK,2027,1,unearmarked,,paid\n", encoding="utf-8"
    )
    return path


def import_alone(register: Register, path: Path) -> service.ImportOutcome:
    return service.import_files(register, service.PlanFiles(programmes=None, pledges=(path,)))


def by_id(register: Register) -> pd.DataFrame:
    return register.pledges().set_index("pledge_id").sort_index()


def test_a_refund_file_on_its_own_takes_money_back_from_the_donors_stored_pledge(
    stored: Register, tmp_path: Path
) -> None:
    before = by_id(stored)
    tranches_before = stored.tranches().set_index(["pledge_id", "year"])["amount"]
    outcome = import_alone(stored, refund_file(tmp_path, 2_000_000))
    after = by_id(stored)
    assert outcome.pledges_after == outcome.pledges_before == len(before)  # nothing new
    assert after.loc[PLEDGE, "amount"] == pytest.approx(before.loc[PLEDGE, "amount"] - 2e6)
    assert after.loc[PLEDGE, "adjustment"] == pytest.approx(2e6)
    assert after.loc[PLEDGE, "source_file"] == before.loc[PLEDGE, "source_file"]  # provenance
    others = after.index != PLEDGE
    pd.testing.assert_frame_equal(after.loc[others], before.loc[others])  # no other pledge
    # Its money per year keeps its shape and adds up to the new amount.
    tranches = stored.tranches().set_index(["pledge_id", "year"])["amount"]
    share = after.loc[PLEDGE, "amount"] / before.loc[PLEDGE, "amount"]
    pd.testing.assert_series_equal(tranches.loc[PLEDGE], tranches_before.loc[PLEDGE] * share)
    assert tranches.loc[PLEDGE].sum() == pytest.approx(after.loc[PLEDGE, "amount"])
    audit = stored.audit_log()
    row = audit.loc[audit["action"] == "pledge.adjust"].iloc[0]
    assert row["target"] == PLEDGE and "15200000" in str(row["before"])
    assert "refund or reversal" in " ".join(map(str, outcome.report.warnings))
    assert stored.import_log()["source_file"].tolist()[-1] == "r.csv"
    stored.load_plan()  # the register still holds a valid plan


def test_appeal_import_says_how_many_stored_pledges_its_refunds_changed(
    stored: Register, register_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", register_url, "import", str(refund_file(tmp_path, 500_000))]) == 0
    out = capsys.readouterr().out
    assert "refunds and reversals reduced 1 and removed 0 stored pledges" in out
    assert "register now holds 250 pledges (+0)" in out


def test_a_refund_of_a_whole_stored_pledge_removes_it_audited(
    stored: Register, tmp_path: Path
) -> None:
    before = by_id(stored)
    outcome = import_alone(stored, refund_file(tmp_path, before.loc[PLEDGE, "amount"]))
    after = by_id(stored)
    assert PLEDGE not in after.index and len(after) == len(before) - 1
    assert PLEDGE not in set(stored.tranches()["pledge_id"])
    assert outcome.report.removed_stored == [PLEDGE]
    audit = stored.audit_log()
    assert PLEDGE in set(audit.loc[audit["action"] == "pledge.remove", "target"])


def test_a_refund_larger_than_the_donors_stored_money_is_refused_and_nothing_changes(
    stored: Register, tmp_path: Path
) -> None:
    before, log = by_id(stored), stored.import_log()
    with pytest.raises(ImportFailed) as failed:
        import_alone(stored, refund_file(tmp_path, 999_000_000))
    (error,) = failed.value.report.errors
    assert (error.file, error.row, error.column) == ("r.csv", 2, "amount")
    assert "Norway's earlier money in this import and the register is USD" in error.message
    pd.testing.assert_frame_equal(by_id(stored), before)
    assert len(stored.import_log()) == len(log)


def test_another_donors_money_is_never_taken(stored: Register, tmp_path: Path) -> None:
    before = by_id(stored)
    with pytest.raises(ImportFailed) as failed:
        import_alone(stored, refund_file(tmp_path, 1_000, donor="A donor with no pledges"))
    assert "earlier money in this import and the register is none" in str(
        failed.value.report.errors[0].message
    )
    pd.testing.assert_frame_equal(by_id(stored), before)


def test_the_upload_checks_then_stores_the_refund_and_refuses_a_stale_check(
    stored: Register, tmp_path: Path
) -> None:
    """The dashboard's upload: the check says what will change before anything is stored;
    confirming stores it; a check made before the pledge changed is refused on confirm."""
    data = refund_file(tmp_path, 1_000_000).read_bytes()
    check = upload.check_upload(data, "refund.csv", stored.load_plan())
    assert check.can_store and check.valid_rows == 0 and check.adjusted == [PLEDGE]
    assert upload.new_and_updated(check, stored.pledges()) == (0, 0, 0)
    assert "1 stored pledge reduced" in upload.adjusted_sentence(check)
    stale = upload.check_upload(data, "refund.csv", stored.load_plan())
    amount = by_id(stored).loc[PLEDGE, "amount"]
    assert "1 stored pledge reduced" in upload.store_checked(stored, check, data)
    assert by_id(stored).loc[PLEDGE, "amount"] == pytest.approx(amount - 1e6)
    before = by_id(stored)
    with pytest.raises(RegisterError, match="changed since the file was checked"):
        upload.store_checked(stored, stale, data)  # would take the same million again
    pd.testing.assert_frame_equal(by_id(stored), before)


# -- the rule itself, on random pledges --------------------------------------------------------
def _pledge(pid: str, donor: str, amount: float, year: int) -> dict[str, object]:
    return {"pledge_id": pid, "donor": donor, "amount": amount, "currency": "USD",
            "first_year": year, "earmarking": "unearmarked", "earmark_to": "",
            "adjustment": 0.0}  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(
    own=st.lists(st.floats(1, 1e6), max_size=3),
    kept=st.lists(st.floats(1, 1e6), min_size=1, max_size=4),
    other=st.floats(1, 1e6),
    fraction=st.floats(0.01, 1.0),
)
def test_a_refund_takes_exactly_its_amount_from_its_donor_the_imports_money_first(
    own: list[float], kept: list[float], other: float, fraction: float
) -> None:
    """Money conserved: the donor's money goes down by exactly the refund, no other donor's
    changes, and stored pledges are only touched once the import's own are used up."""
    rows = [_pledge(f"N{i}", "D", a, 2027) for i, a in enumerate(own)]
    rows += [_pledge(f"S{i}", "D", a, 2027) for i, a in enumerate(kept)]
    rows.append(_pledge("X", "E", other, 2027))
    frame = pd.DataFrame(rows)
    stored_ids = frozenset([f"S{i}" for i in range(len(kept))] + ["X"])
    parts = {str(r["pledge_id"]): [(2027, float(r["amount"]))] for r in rows}  # type: ignore[arg-type]
    total = sum(own) + sum(kept)
    refund = fraction * total
    adj = Adjustment("r.csv", "", 2, "D", refund, "USD", refund, 2027, "unearmarked", "")
    out = adjustments.apply([adj], frame, parts, dict.fromkeys(parts, 1.0), stored_ids)
    assert not out.errors
    left = dict(zip(out.pledges["pledge_id"], out.pledges["amount"], strict=True))
    assert sum(v for k, v in left.items() if k != "X") == pytest.approx(total - refund, abs=1e-6)
    assert left["X"] == other
    if refund <= sum(own) + 1e-9:  # the import's own money covers it: nothing stored changes
        for i, amount in enumerate(kept):
            assert left.get(f"S{i}") == amount
