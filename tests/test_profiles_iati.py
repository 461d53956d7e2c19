"""`--format iati`: IATI activity files, a real publisher's (CAFOD, tests/data/real) and
2.03 files with incoming pledges, commitments and funds; the parser's safety.

Expected figures come from the raw XML read here with lxml, never from the importer.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
from lxml import etree

from appeal.cli import main
from appeal.formats import ReadOptions
from appeal.importer import ImportFailed, load_plan
from appeal.register import Register
from models import contract

REAL = Path(__file__).parent / "data" / "real"
CAFOD = REAL / "iati_cafod_drc_excerpt.xml"
IATI = ReadOptions.of("iati")
GBP_PER_USD = 0.65


def _programmes(tmp_path: Path, ids: list[str]) -> Path:
    path = tmp_path / "programmes.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["line_id", "name", "category", "entity", "pillar", "req_2010", "req_2012"])
        for i in ids:
            w.writerow([i, f"Line {i}", "entity", "CAFOD", "I", 1000, 1000])
    return path


def _fx(tmp_path: Path, text: str = f"currency,units_per_usd\nGBP,{GBP_PER_USD}\n") -> Path:
    path = tmp_path / "fx.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_real_publishers_incoming_funds(tmp_path: Path) -> None:
    tree = etree.parse(str(CAFOD))
    activities = tree.findall("iati-activity")
    by_donor: dict[str, float] = defaultdict(float)
    positive = zero = negative = other = 0
    for activity in activities:
        currency = activity.get("default-currency")
        assert currency == "GBP"
        for t in activity.findall("transaction"):
            if t.find("transaction-type").get("code") != "IF":
                other += 1
                continue
            value = float(t.findtext("value"))
            by_donor[t.findtext("provider-org").strip()] += value
            positive += value > 0
            zero += value == 0
            negative += value < 0
    ids = [a.findtext("iati-identifier") for a in activities]
    plan, report = load_plan(_programmes(tmp_path, ids), [CAFOD], fx=_fx(tmp_path), options=IATI)
    assert report.rows_read == positive + zero + negative
    assert report.rows_set_aside == zero
    assert not report.errors
    # Refunds (negative incoming funds) come off the same donor's money, never another's.
    got = plan.tranches.merge(plan.pledges[["pledge_id", "donor"]], on="pledge_id")
    per_donor = got.groupby("donor")["gross_usd"].sum().to_dict()
    expected = {d: v / GBP_PER_USD for d, v in by_donor.items() if v > 0}
    assert per_donor.keys() == expected.keys()
    for donor, usd in expected.items():
        assert per_donor[donor] == pytest.approx(usd, rel=1e-12)
    assert set(plan.pledges["status"]) == {"paid"}
    refunds = [w for w in report.warnings if "refund or reversal" in w.message]
    assert len(refunds) == negative > 0
    # Each pledge is earmarked to its activity (a budget line), paid on its transaction date.
    assert set(plan.pledges["earmark_to"]) <= set(ids)
    assert (plan.pledges["paid_date"] != "").all()
    assert any(
        w.message.startswith(f"{other} transaction(s) of other types") for w in report.warnings
    )


ACTIVITY = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03" generated-datetime="2026-01-01T00:00:00">
 <iati-activity default-currency="USD" hierarchy="1">
  <iati-identifier>XM-OCHA-CT-FLAG-01</iati-identifier>
  <reporting-org ref="XM-OCHA-CT" type="40"><narrative>CT trust fund</narrative></reporting-org>
  <title><narrative>Countering terrorist travel</narrative></title>
  <other-identifier ref="FLAG-01" type="A1"/>
  {transactions}
 </iati-activity>
</iati-activities>
"""


def _transaction(
    code: str,
    value: float,
    *,
    ref: str = "",
    provider: str = "Norway",
    org: str = "XM-DAC-8",
    kind: str = "10",
    date: str = "2027-03-01",
    currency: str = "",
    aid: str = "",
    receiver: str = "",
) -> str:
    cur = f' currency="{currency}"' if currency else ""
    aid_xml = f'<aid-type vocabulary="{aid[0]}" code="{aid[1:]}"/>' if aid else ""
    rec = f'<receiver-org ref="{receiver}"/>' if receiver else ""
    return (
        f'<transaction ref="{ref}"><transaction-type code="{code}"/>'
        f'<transaction-date iso-date="{date}"/><value value-date="{date}"{cur}>{value}</value>'
        f'<provider-org ref="{org}" type="{kind}"><narrative>{provider}</narrative></provider-org>'
        f"{rec}{aid_xml}</transaction>"
    )


def _xml(tmp_path: Path, *transactions: str, name: str = "activity.xml") -> Path:
    path = tmp_path / name
    path.write_text(ACTIVITY.replace("{transactions}", "\n  ".join(transactions)), "utf-8")
    return path


def test_pledges_commitments_and_funds_count_once(tmp_path: Path) -> None:
    path = _xml(
        tmp_path,
        _transaction("13", 1_000_000, date="2026-11-01"),  # pledged 1m
        _transaction("11", 800_000, date="2027-01-15"),  # committed 0.8m of it
        _transaction("1", 300_000, date="2027-06-30"),  # 0.3m received
        _transaction("1", 100_000, provider="Japan", org="XM-DAC-701", aid="21"),
        _transaction("3", 50_000, provider="The fund"),  # a disbursement: not a pledge
        _transaction("1", 70_000, receiver="XM-OTHER"),  # received by someone else
    )
    plan, report = load_plan(_programmes(tmp_path, ["FLAG-01"]), [path], options=IATI)
    money = plan.tranches.merge(plan.pledges, on="pledge_id")
    by = money.groupby(["donor", "status"])["gross_usd"].sum().to_dict()
    assert by == {
        ("Norway", "paid"): 300_000,
        ("Norway", "committed"): 500_000,
        ("Norway", "pledged"): 200_000,
        ("Japan", "paid"): 100_000,
    }
    japan = plan.pledges.set_index("donor").loc["Japan"]
    assert (japan["earmarking"], japan["earmark_to"]) == ("unearmarked", "")  # category 1
    norway = plan.pledges.loc[plan.pledges["donor"] == "Norway"]
    assert set(norway["earmark_to"]) == {"FLAG-01"}
    donors = plan.donors.set_index("donor")
    assert donors.loc["Norway", "iati_org_id"] == "XM-DAC-8"
    assert donors.loc["Norway", "donor_type"] == "member_state"
    # The pledge and the commitment are kept for what their later stages do not cover.
    kept = sorted(w.message for w in report.warnings if "kept of" in w.message)
    assert kept == [
        "committed 500,000.00 kept of 800,000.00: its later stages in the same activity "
        "already count 300,000.00",
        "pledged 200,000.00 kept of 1,000,000.00: its later stages in the same activity "
        "already count 800,000.00",
    ]
    assert any("other types" in w.message for w in report.warnings)


@pytest.mark.parametrize(
    ("aid", "earmarking"),
    [
        ("21", "unearmarked"),
        ("22", "softly_earmarked"),
        ("23", "earmarked"),
        ("24", "tightly_earmarked"),
        ("3H", "earmarked"),
        ("3E", "softly_earmarked"),
    ],
)
def test_the_earmarking_category_where_published(tmp_path: Path, aid: str, earmarking: str) -> None:
    path = _xml(tmp_path, _transaction("1", 1000, aid=aid))
    plan, _ = load_plan(_programmes(tmp_path, ["FLAG-01"]), [path], options=IATI)
    assert plan.pledges["earmarking"].tolist() == [earmarking]


def test_the_profiles_codes_are_the_iati_codelists() -> None:
    codes: dict[str, dict[str, str]] = defaultdict(dict)
    with (REAL / "iati_codelists.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            codes[row["codelist"]][row["code"]] = row["name"]
    profile = contract.IATI
    names = {**codes["TransactionType"], **codes["TransactionType-1.05"]}
    assert {names[c] for c in profile.transaction_status} == {
        "Incoming Pledge",
        "Incoming Commitment",
        "Incoming Funds",
    }
    assert set(profile.organisation_types) == set(codes["OrganisationType"])
    category = {c: e for (vocab, c), e in profile.earmarking_codes.items() if vocab == "2"}
    labels = {c: n.casefold() for c, n in codes["EarmarkingCategory"].items()}
    assert {c: contract.EARMARKING.label(e) for c, e in category.items()} == labels
    assert codes["AidTypeVocabulary"]["2"] == "Earmarking Category"
    assert codes["AidTypeVocabulary"]["3"] == "Earmarking Modality"


def test_an_activity_matching_no_line_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    path = _xml(tmp_path, _transaction("1", 1000))
    with pytest.raises(ImportFailed) as info:
        load_plan(_programmes(tmp_path, ["FLAG-02"]), [path], options=IATI)
    [error] = info.value.report.errors
    assert error.file == "activity.xml" and error.row == 8  # the transaction's line
    assert error.column == "iati-activity/iati-identifier"
    assert "'XM-OCHA-CT-FLAG-01' is not a line_id" in error.message


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<iati-activities><iati-activity><iati-identifier>&lol2;</iati-identifier></iati-activity>
</iati-activities>"""


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (BOMB, "declares a DTD or entities"),
        (b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>', "DTD"),
        (b"<iati-activities><iati-activity>", "not well-formed XML"),
        (b"<accounts><a/></accounts>", "not an IATI activity file"),
    ],
)
def test_hostile_xml_is_refused_and_nothing_stored(
    data: bytes, fragment: str, tmp_path: Path, tmp_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hostile.xml"
    path.write_bytes(data)
    programmes = _programmes(tmp_path, ["FLAG-01"])
    with pytest.raises(ImportFailed) as info:
        load_plan(programmes, [path], options=IATI, skip_invalid=True)
    assert any(fragment in e.message and e.file == "hostile.xml" for e in info.value.report.errors)
    rc = main(
        [
            "--db",
            tmp_db_url,
            "import",
            "--format",
            "iati",
            "--programmes",
            str(programmes),
            "--skip-invalid",
            str(path),
        ]
    )
    assert rc == 2 and fragment in capsys.readouterr().err
    with Register(tmp_db_url) as register:
        assert register.pledges().empty


def test_without_format_an_iati_file_is_refused_with_the_hint(
    tmp_path: Path, tmp_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    programmes = _programmes(tmp_path, ["FLAG-01"])
    rc = main(["--db", tmp_db_url, "import", "--programmes", str(programmes), str(CAFOD)])
    assert rc == 2
    assert "this looks like an IATI activity file: use --format iati" in capsys.readouterr().err


def test_skip_invalid_keeps_exactly_the_valid_transactions(tmp_path: Path) -> None:
    path = _xml(
        tmp_path,
        _transaction("1", 1000, ref="a"),
        _transaction("1", "lots", ref="b"),  # type: ignore[arg-type]
        _transaction("1", 2000, ref="c", currency="XYZ"),
        _transaction("1", -50_000, ref="d", provider="Chile", org="XM-DAC-CL"),
    )
    programmes = _programmes(tmp_path, ["FLAG-01"])
    with pytest.raises(ImportFailed) as info:
        load_plan(programmes, [path], options=IATI)
    located = {(e.row, e.column) for e in info.value.report.errors}
    assert len(located) == 3 and all(row and column for row, column in located)
    plan, report = load_plan(programmes, [path], options=IATI, skip_invalid=True)
    assert plan.pledges["amount"].tolist() == [1000.0]
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (4, 1, 3)
