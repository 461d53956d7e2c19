"""Tailored asks on hand-built plans: who could fund what, in which order, how much to ask,
and the briefs (PDF pages, xlsx sheets) — solved by the real allocation engine.

The plan has one year and no flexible money to speak of, so the value of a dollar earmarked
to a line is known by construction: its tier weight (8 / 4 / 2 / 1) while the line is below
half its need (the scenario's first tranche).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from pathlib import Path

import pandas as pd
import pypdf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from appeal import cli, pipeline
from appeal.asks import (
    AsksError,
    asks_for,
    donor_profiles,
    find_donor,
    line_values,
    read_prospects,
    write_asks,
)
from appeal.document.brief import brief_section
from appeal.pipeline import PlanRun
from models.asks import ASK_COLUMNS, prospect_profile, round_ask
from models.line_value import BLOCK_USD
from models.plan import Plan, make_plan
from models.scenario import Scenario

SECRET = "Secretland"
NO_TARGETS = {"targets": {"leadership_coordination_share_of_flexible": 0.0, "gender_share": 0.0}}


def hand_plan(extra: list[dict[str, object]] | None = None) -> Plan:
    need = {2027: 10_000_000.0}
    lines = [
        {
            "line_id": "G1",
            "name": "Gender one",
            "themes": "gender",
            "priority": 1,
            "requirements": need,
        },
        {
            "line_id": "G2",
            "name": "Gender two",
            "themes": "gender",
            "priority": 3,
            "requirements": need,
        },
        {
            "line_id": "G3",
            "name": "Gender three",
            "themes": "gender;human_rights",
            "priority": 2,
            "requirements": need,
        },
        {
            "line_id": "N1",
            "name": "Rights only",
            "themes": "human_rights",
            "priority": 1,
            "requirements": need,
            "entity": "OHCHR",
        },
        {
            "line_id": "F",
            "name": "Funded gender",
            "themes": "gender",
            "priority": 1,
            "requirements": {2027: 1_000_000.0},
        },
    ]
    pledges = [
        {
            "donor": "GenderFund",
            "amount": 1_000_000.0,
            "earmarking": "softly_earmarked",
            "earmark_to": "theme:gender",
        },
        {"donor": "Filler", "amount": 1_000_000.0, "earmarking": "earmarked", "earmark_to": "F"},
        {
            "donor": SECRET,
            "amount": 500_000.0,
            "earmarking": "earmarked",
            "earmark_to": "N1",
            "confidential": True,
        },
        *(extra or []),
    ]
    return make_plan(lines, pledges, title="Hand-built appeal 2027")


@pytest.fixture(scope="module")
def run() -> PlanRun:
    return pipeline.run(hand_plan(), Scenario.from_dict(NO_TARGETS))


def test_a_gender_only_donor_is_offered_gender_gaps_by_marginal_value(run: PlanRun) -> None:
    profiles = donor_profiles(run)
    gender_fund = find_donor(profiles, "GenderFund")
    assert not gender_fund.any_line and gender_fund.targets == ("theme:gender",)
    asks = asks_for(run, gender_fund)
    assert list(asks.columns) == ASK_COLUMNS
    # Only gender-tagged lines with a gap (F is gender-tagged but fully funded; N1 is not
    # gender-tagged, although a dollar there would be worth as much as on G1) ...
    assert list(asks["line_id"]) == ["G1", "G3", "G2"]
    # ... in the order of what a dollar there buys: the tier weights, by construction.
    assert list(asks["value_per_usd"]) == pytest.approx([8.0, 4.0, 2.0], abs=1e-6)
    assert list(asks["rank"]) == [1, 2, 3]
    # Asks sized from its past giving (one pledge of USD 1m), capped at each gap.
    assert list(asks["suggested_ask_usd"]) == [1_000_000.0] * 3
    gaps = {"G1": 9_000_000.0, "G2": 10_000_000.0, "G3": 10_000_000.0}
    assert dict(zip(asks["line_id"], asks["gap_usd"], strict=True)) == pytest.approx(gaps)


def test_the_marginal_value_is_what_a_real_pledge_buys(run: PlanRun) -> None:
    """A real pledge of the block's size earmarked to G3, solved from scratch, gains exactly
    the value per dollar the asks ranked G3 by."""
    values = line_values(run).set_index("line_id")["value_per_usd"]
    pledge = {"donor": "Probe", "amount": BLOCK_USD, "earmarking": "earmarked", "earmark_to": "G3"}
    more = pipeline.run(hand_plan([pledge]), Scenario.from_dict(NO_TARGETS))
    gained = (more.result.solver.objective - run.result.solver.objective) / BLOCK_USD
    assert gained == pytest.approx(values["G3"], rel=1e-6)
    assert values["N1"] == pytest.approx(8.0) and values["G2"] == pytest.approx(2.0)


def test_a_donor_of_flexible_money_could_fund_any_gap(run: PlanRun) -> None:
    plan = hand_plan([{"donor": "Core", "amount": 200_000.0}])
    flexible = pipeline.run(plan, Scenario.from_dict(NO_TARGETS))
    asks = asks_for(flexible, find_donor(donor_profiles(flexible), "Core"))
    assert set(asks["line_id"]) == {"G1", "G2", "G3", "N1"}
    assert asks["value_per_usd"].is_monotonic_decreasing


def test_a_prospects_brief_shows_where_its_first_contribution_matters_most(run: PlanRun) -> None:
    prospect = prospect_profile("Newcomer", themes=["gender"], typical_usd=250_000.0)
    asks = asks_for(run, prospect)
    assert asks.iloc[0]["line_id"] == "G1"  # the highest value per dollar it could fund
    section = brief_section(run, prospect, asks, as_at=dt.date(2027, 1, 15), draft=False)
    text = " ".join(str(getattr(b, "text", "")) for b in section.blocks)
    assert "Newcomer is a prospective donor" in text
    assert (
        "Its first contribution would matter most to Gender one (G1): each dollar there adds "
        "8.0 to the plan's priority score, and USD 250,000 would close 3% of its "
        "USD 9,000,000 gap."
    ) in text


def test_confidential_donors_appear_only_by_alias_in_briefs(run: PlanRun, tmp_path: Path) -> None:
    profiles = donor_profiles(run)
    secret = find_donor(profiles, "Anonymous donor 1")
    assert secret.donor == SECRET and secret.shown == "Anonymous donor 1"
    pdf = write_asks(tmp_path / "asks.pdf", run, profiles, as_at=dt.date(2027, 1, 1))
    reader = pypdf.PdfReader(pdf)
    assert len(reader.pages) == len(profiles)  # one page per donor
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "Anonymous donor 1: where its money would matter most" in text
    assert SECRET.casefold() not in text.casefold()
    assert SECRET not in str(reader.metadata)
    xlsx = write_asks(tmp_path / "asks.xlsx", run, profiles, as_at=dt.date(2027, 1, 1))
    with zipfile.ZipFile(xlsx) as zf:
        every_part = "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
    assert "Anonymous donor 1" in every_part and SECRET not in every_part
    # ... and revealed for internal use, it does show (the check can fail).
    revealed = write_asks(
        tmp_path / "internal.pdf", run, donor_profiles(run, reveal=True), reveal=True
    )
    assert SECRET in "".join(p.extract_text() for p in pypdf.PdfReader(revealed).pages)


def test_one_brief_is_one_page_for_the_dashboard(run: PlanRun) -> None:
    from appeal.asks import brief_pdf

    prospect = prospect_profile("Newcomer", themes=["gender"])
    reader = pypdf.PdfReader(io.BytesIO(brief_pdf(run, prospect, as_at=dt.date(2027, 1, 1))))
    assert len(reader.pages) == 1
    assert "Newcomer: where its money would matter most" in " ".join(
        reader.pages[0].extract_text().split()
    )


def test_prospects_file_is_read_and_checked(run: PlanRun, tmp_path: Path) -> None:
    good = tmp_path / "prospects.csv"
    good.write_text(
        "Donor,Donor type,Themes,Entities,Earmarking,Typical amount USD\n"
        'Atlantis,member_state,gender,,softly earmarked,"300,000"\n'
        "Core Friends,other,,,unearmarked,\n",
        encoding="utf-8",
    )
    atlantis, core = read_prospects(good, run)
    assert atlantis.targets == ("theme:gender",) and atlantis.typical_usd == 300_000.0
    assert core.any_line and core.prospect
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "donor,pillars,themes,entities,earmarking,typical_amount_usd\n"
        "X,V,gendr,Nowhere,loosely,-5\n",
        encoding="utf-8",
    )
    with pytest.raises(AsksError) as err:
        read_prospects(bad, run)
    message = str(err.value)
    for column in ("pillars", "themes", "entities", "earmarking", "typical_amount_usd"):
        assert f"bad.csv, row 2, column {column}:" in message, column


def run_cli(args: list[str]) -> int:
    return cli.main(args)


def test_asks_command_writes_briefs_and_refuses_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.test_workbook import sample_args

    prospects = tmp_path / "prospects.csv"
    prospects.write_text("donor,themes\nAtlantis,gender\n", encoding="utf-8")
    out = tmp_path / "asks.pdf"
    code = run_cli(
        ["asks", "--all", "--prospects", str(prospects), *sample_args(), "--out", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    pages = pypdf.PdfReader(out).pages
    assert len(pages) == 40 + 1  # every sample donor and the prospect
    assert "Atlantis is a prospective donor" in " ".join(pages[-1].extract_text().split())
    one = tmp_path / "norway.xlsx"
    assert run_cli(["asks", "--donor", "Norway", *sample_args(), "--out", str(one)]) == 0
    assert (
        run_cli(["asks", "--donor", "Nobody", *sample_args(), "--out", str(tmp_path / "x.pdf")])
        == 2
    )
    assert "no donor or prospect named 'Nobody'" in capsys.readouterr().err
    assert run_cli(["asks", "--all", *sample_args(), "--out", str(tmp_path / "x.docx")]) == 2
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "x.docx").exists()


@given(st.floats(min_value=0.01, max_value=1e10, allow_nan=False))
def test_a_suggested_ask_never_exceeds_what_it_rounds(amount: float) -> None:
    ask = round_ask(amount)
    assert 0 <= ask <= amount
    assert amount - ask < max(1_000.0, amount / 10) or amount < 1_000
    if amount >= 1_000:
        digits = f"{ask:.0f}".rstrip("0")
        assert len(digits) <= 2 and math.isclose(ask % 1_000, 0.0)


def test_values_cover_exactly_the_lines_with_a_gap(run: PlanRun) -> None:
    values = line_values(run)
    assert set(values["line_id"]) == {"G1", "G2", "G3", "N1"}
    assert (values["block_usd"] == BLOCK_USD).all()
    assert isinstance(values, pd.DataFrame)
