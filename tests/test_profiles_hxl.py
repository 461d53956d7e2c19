"""HXL done properly: every hashtag the profiles use checked against the HXL hashtag
dictionary (an excerpt of the HXL core schema, tests/data/real), and attributes matched by
meaning."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from appeal import hxl
from appeal.hxl import HxlTag
from models import contract

REAL = Path(__file__).parent / "data" / "real"


def _dictionary(name: str) -> dict[str, dict[str, str]]:
    with (REAL / f"hxl_core_{name}.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    key = next(iter(rows[0]))
    return {r[key]: r for r in rows}


HASHTAGS = _dictionary("hashtags")
ATTRIBUTES = _dictionary("attributes")


def _valid_for(attribute: str) -> set[str]:
    listed = ATTRIBUTES["+" + attribute]["#valid_hashtags+list+partial"]
    return {t.strip() for t in listed.split(",") if t.strip()}


def _fts_hxl_row() -> set[str]:
    """The hashtags FTS itself wrote (the 2021 HDX file's HXL row)."""
    with (REAL / "fts_incoming_funding_afg_hxl_2021.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return {cell for cell in rows[1] if cell}


def _profile_tags() -> list[tuple[str, str, str]]:
    return [
        (profile.name, column, tag)
        for profile in contract.PROFILES.values()
        for layout in profile.tables.values()
        for column, tags in layout.hxl.items()
        for tag in tags
    ]


@pytest.mark.parametrize(("profile", "column", "tag"), _profile_tags())
def test_every_profile_hashtag_is_the_dictionarys_or_the_layouts_own(
    profile: str, column: str, tag: str
) -> None:
    parsed = HxlTag.parse(tag)
    assert parsed is not None
    if tag in _fts_hxl_row():
        return  # exactly as FTS writes it (FTS uses a few tags of its own, such as #financial)
    assert "#" + parsed.tag in HASHTAGS, f"{tag}: #{parsed.tag} is not an HXL core hashtag"
    for attribute in parsed.attributes:
        if "+" + attribute in ATTRIBUTES:
            valid = _valid_for(attribute)
            assert not valid or "#" + parsed.tag in valid, f"{tag}: +{attribute} is not for it"


def test_the_fts_profile_declares_the_hashtags_fts_writes() -> None:
    declared = {tag for name, _, tag in _profile_tags() if name == "fts"}
    written = _fts_hxl_row()
    flows = {t for t in declared if t in written}
    # Every flow hashtag of the profile is one FTS writes (requirements files have theirs).
    assert len(flows) >= 15
    missing = {t for t in declared - written if not t.startswith(("#sector+cluster+code",))}
    assert missing <= {
        "#activity+appeal+id+external",
        "#activity+appeal+name",
        "#sector+cluster+name",
        "#date+year",
        "#value+funding+required+usd",
    }


def test_the_meaning_groups_are_the_dictionarys_attributes() -> None:
    roles = contract.HXL_GROUPS["role"]
    bounds = contract.HXL_GROUPS["bound"]
    assert {"funder", "impl"} <= roles
    for attribute in ("funder", "impl"):
        assert "#org" in _valid_for(attribute)
    for attribute in bounds:
        assert _valid_for(attribute) == {"#date"}
    assert ATTRIBUTES["+start"]["#description+short+en"] == "Date begun"
    assert ATTRIBUTES["+end"]["#description+short+en"] == "Date finished"
    assert "#org" in _valid_for("type") and "#sector" in _valid_for("code")
    assert {"type", "code"} <= contract.HXL_FACETS


@pytest.mark.parametrize(
    ("tag", "column", "unit"),
    [
        ("#org+funder", "donor", None),
        ("#org+name+funder", "donor", None),
        ("#org+impl", None, None),  # an implementing partner is never a donor
        ("#org+name+impl", None, None),
        ("#org+type+funder", None, None),  # the donor's type, not the donor
        ("#value+usd", "amount", "USD"),  # +usd says the amounts are in US dollars
        ("#value+funding+total+eur", "amount", "EUR"),
        ("#date+start", "year", None),
        ("#date+year+end", "last_year", None),  # +end is the last year
        ("#date+year+start", "year", None),
        ("#meta+id", "pledge_id", None),
    ],
)
def test_attributes_are_matched_by_meaning(tag: str, column: str | None, unit: str | None) -> None:
    found = hxl.match("pledges", tag)
    if column is None:
        assert found is None
        return
    assert found is not None and (found.column, found.unit) == (column, unit)


def test_programmes_read_the_implementing_entity_from_impl() -> None:
    found = hxl.match("programmes", "#org+name+impl")
    assert found is not None and found.column == "entity"


def test_two_columns_tagged_alike_are_listed_with_both_named() -> None:
    row = hxl.map_row(
        "pledges", ["#org+funder", "#value+funding+total+usd", "#value+funding+total"]
    )
    [problem] = row.ambiguous
    assert "'#value+funding+total+usd' and '#value+funding+total'" in str(problem)
    assert "amount" not in row.columns
    profiled = hxl.map_row("pledges", ["#org+name+funder", "#value+funding+total+usd"], "fts")
    assert profiled.columns == {"donor": 0, "amount_usd": 1}


def test_one_hashtag_that_could_be_two_columns_is_named(tmp_path: Path) -> None:
    row = hxl.map_row("pledges", ["#org+funder", "#financial+contribution+type"], "fts")
    [problem] = row.ambiguous
    assert "could be column flow_type or in_kind" in str(problem)
