"""Write the illustrative sample data (deterministic: same files on every run).

Usage::

    python sample_data/generate.py          # rewrites the files next to this script

Produces programmes.xlsx (programmes sheet with req_YYYY and score_<criterion> columns and the
illustrative narrative columns summary, case_for_support, expected_results and indicators,
under a title row), donors.csv, fx_rates.csv (UN-operational-rate style), pledges.xlsx (title row,
header, HXL row, explicit amount_YYYY columns for uneven tranches), pledges_entities.csv
(a second, simpler pledge file as entities send them), scenarios/*.toml and the blank
pledge_template.xlsx. All amounts are ILLUSTRATIVE, not real contributions.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from appeal.template import write_template  # noqa: E402
from models import contract  # noqa: E402
from models.scenario import CRITERIA  # noqa: E402

SEED = 20270101
YEARS = (2027, 2028, 2029, 2030)
STAMP = dt.datetime(2026, 11, 1)

# (line_id, name, category, entity, pillars, themes, priority, min_viable_share, usd m/yr)
LINES: list[tuple[str, str, str, str, str, str, int, float, float]] = [
    (
        "LEAD-01",
        "Executive direction and strategic leadership",
        "leadership",
        "UNOCT",
        "I;II;III;IV",
        "human_rights;gender",
        1,
        0.0,
        3.2,
    ),
    (
        "LEAD-02",
        "Resource mobilization and partnerships",
        "leadership",
        "UNOCT",
        "I;II;III;IV",
        "",
        1,
        0.0,
        1.6,
    ),
    (
        "LEAD-03",
        "Results, monitoring and biennial reporting",
        "leadership",
        "UNOCT",
        "I;II;III;IV",
        "human_rights;gender",
        1,
        0.0,
        1.2,
    ),
    (
        "COORD-01",
        "Global CT Coordination Compact secretariat",
        "coordination",
        "UNOCT",
        "I;II;III;IV",
        "",
        1,
        0.0,
        2.4,
    ),
    (
        "COORD-02",
        "Compact working groups and joint programming",
        "coordination",
        "UNOCT",
        "I;II;III;IV",
        "human_rights;gender",
        2,
        0.0,
        1.5,
    ),
    (
        "COORD-03",
        "Field coordination and regional CT hubs",
        "coordination",
        "UNOCT",
        "II;III",
        "",
        2,
        0.0,
        2.0,
    ),
    (
        "COORD-04",
        "Civil society engagement and advisory mechanism",
        "coordination",
        "UNOCT",
        "I;IV",
        "civil_society;human_rights",
        1,
        0.0,
        1.1,
    ),
    (
        "FLAG-01",
        "Countering Terrorist Travel (goTravel)",
        "flagship",
        "UNOCT",
        "II",
        "border",
        1,
        0.4,
        6.5,
    ),
    (
        "FLAG-02",
        "Countering the financing of terrorism",
        "flagship",
        "UNOCT",
        "II",
        "cft",
        1,
        0.4,
        4.8,
    ),
    (
        "FLAG-03",
        "Support to victims of terrorism",
        "flagship",
        "UNOCT",
        "I;IV",
        "victims;human_rights;gender",
        1,
        0.0,
        2.6,
    ),
    ("FLAG-04", "Cybersecurity and new technologies", "flagship", "UNOCT", "II", "", 2, 0.4, 4.2),
    ("FLAG-05", "Protection of vulnerable targets", "flagship", "UNOCT", "II", "", 2, 0.0, 3.1),
    (
        "FLAG-06",
        "CBRN terrorism prevention and response",
        "flagship",
        "UNOCT",
        "II",
        "",
        2,
        0.4,
        3.6,
    ),
    (
        "FLAG-07",
        "Border security and management",
        "flagship",
        "UNOCT",
        "II",
        "border;human_rights",
        2,
        0.0,
        3.8,
    ),
    (
        "FLAG-08",
        "Prosecution, rehabilitation and reintegration",
        "flagship",
        "UNOCT",
        "I;IV",
        "human_rights;gender",
        1,
        0.4,
        4.4,
    ),
    (
        "FLAG-09",
        "Preventing violent extremism and youth",
        "flagship",
        "UNOCT",
        "I",
        "pve;gender;civil_society",
        1,
        0.0,
        3.9,
    ),
    ("FLAG-10", "Strategic communications", "flagship", "UNOCT", "I", "pve", 3, 0.0, 1.8),
    (
        "FLAG-11",
        "Human rights compliance in counter-terrorism",
        "flagship",
        "OHCHR",
        "IV",
        "human_rights",
        1,
        0.0,
        2.2,
    ),
    (
        "FLAG-12",
        "Gender dimensions of counter-terrorism",
        "flagship",
        "UN Women",
        "I;IV",
        "gender;civil_society",
        1,
        0.0,
        1.9,
    ),
    (
        "ENT-01",
        "Legal frameworks and criminal justice capacity",
        "entity",
        "UNODC",
        "II;IV",
        "human_rights",
        2,
        0.0,
        2.6,
    ),
    ("ENT-02", "Terrorist financing investigations", "entity", "UNODC", "II", "cft", 2, 0.0, 1.7),
    ("ENT-03", "Maritime crime and port security", "entity", "UNODC", "II", "border", 3, 0.0, 1.3),
    (
        "ENT-04",
        "Human rights due diligence in CT assistance",
        "entity",
        "OHCHR",
        "IV",
        "human_rights",
        2,
        0.0,
        1.0,
    ),
    (
        "ENT-05",
        "Civic space and human rights defenders",
        "entity",
        "OHCHR",
        "IV",
        "human_rights;civil_society",
        3,
        0.0,
        0.8,
    ),
    (
        "ENT-06",
        "Women's leadership in preventing violent extremism",
        "entity",
        "UN Women",
        "I",
        "gender;pve;civil_society",
        2,
        0.0,
        1.2,
    ),
    (
        "ENT-07",
        "Local PVE and social cohesion",
        "entity",
        "UNDP",
        "I",
        "pve;civil_society",
        2,
        0.0,
        2.3,
    ),
    (
        "ENT-08",
        "Rule of law in conflict-affected areas",
        "entity",
        "UNDP",
        "I;IV",
        "human_rights",
        3,
        0.0,
        1.9,
    ),
    (
        "ENT-09",
        "Children formerly associated with terrorist groups",
        "entity",
        "UNICEF",
        "I;IV",
        "victims;human_rights",
        2,
        0.0,
        1.6,
    ),
    (
        "ENT-10",
        "Repatriation and reintegration of children",
        "entity",
        "UNICEF",
        "I",
        "human_rights;gender",
        2,
        0.0,
        1.4,
    ),
    ("ENT-11", "Misuse of new technologies research", "entity", "UNICRI", "II", "", 3, 0.0, 0.9),
    (
        "ENT-12",
        "Rehabilitation in prisons",
        "entity",
        "UNICRI",
        "I;IV",
        "human_rights",
        4,
        0.0,
        0.7,
    ),
    (
        "ENT-13",
        "Border management and migration data",
        "entity",
        "IOM",
        "II",
        "border;human_rights",
        3,
        0.0,
        1.5,
    ),
    (
        "ENT-14",
        "Community reintegration of returnees",
        "entity",
        "IOM",
        "I",
        "gender;civil_society",
        3,
        0.0,
        1.1,
    ),
    (
        "ENT-15",
        "Watch-list and biometric data sharing",
        "entity",
        "INTERPOL",
        "II",
        "border",
        3,
        0.0,
        1.4,
    ),
    (
        "ENT-16",
        "Battlefield evidence and forensics",
        "entity",
        "INTERPOL",
        "II;IV",
        "",
        4,
        0.0,
        0.8,
    ),
    (
        "ENT-17",
        "Assessment visits and technical assistance needs",
        "entity",
        "CTED",
        "III",
        "human_rights;gender",
        2,
        0.0,
        1.0,
    ),
    ("ENT-18", "Research on emerging trends", "entity", "CTED", "III", "", 4, 0.0, 0.6),
    ("ENT-19", "Maritime security and the ISPS Code", "entity", "IMO", "II", "border", 3, 0.0, 0.9),
    (
        "ENT-20",
        "Capacity-building coordination for Member States",
        "entity",
        "UNOCT",
        "III",
        "",
        3,
        0.0,
        1.3,
    ),
    (
        "ENT-21",
        "Victims' associations and remembrance",
        "entity",
        "UNOCT",
        "I;IV",
        "victims;civil_society;human_rights",
        4,
        0.0,
        0.6,
    ),
]

# (donor, donor_type, region, currency, weight in the total, confidential)
DONORS: list[tuple[str, str, str, str, float, bool]] = [
    ("Saudi Arabia", "member_state", "Asia-Pacific", "SAR", 20.0, False),
    ("Qatar", "member_state", "Asia-Pacific", "QAR", 13.0, False),
    ("European Union", "intergovernmental", "n/a", "EUR", 10.0, False),
    ("United States", "member_state", "WEOG", "USD", 8.0, False),
    ("Germany", "member_state", "WEOG", "EUR", 5.5, False),
    ("Japan", "member_state", "Asia-Pacific", "JPY", 5.0, False),
    ("United Kingdom", "member_state", "WEOG", "GBP", 4.0, False),
    ("Netherlands", "member_state", "WEOG", "EUR", 3.2, False),
    ("Norway", "member_state", "WEOG", "NOK", 3.0, False),
    ("United Arab Emirates", "member_state", "Asia-Pacific", "AED", 2.6, False),
    ("Canada", "member_state", "WEOG", "CAD", 2.2, False),
    ("China", "member_state", "Asia-Pacific", "USD", 2.0, False),
    ("Switzerland", "member_state", "WEOG", "CHF", 1.8, False),
    ("Kuwait", "member_state", "Asia-Pacific", "USD", 1.6, False),
    ("Republic of Korea", "member_state", "Asia-Pacific", "USD", 1.4, False),
    ("Sweden", "member_state", "WEOG", "SEK", 1.3, False),
    ("Spain", "member_state", "WEOG", "EUR", 1.2, False),
    ("Italy", "member_state", "WEOG", "EUR", 1.1, False),
    ("France", "member_state", "WEOG", "EUR", 1.0, False),
    ("Denmark", "member_state", "WEOG", "DKK", 0.9, False),
    ("Australia", "member_state", "WEOG", "AUD", 0.9, False),
    ("India", "member_state", "Asia-Pacific", "USD", 0.7, False),
    ("Kazakhstan", "member_state", "Asia-Pacific", "USD", 0.6, False),
    ("Morocco", "member_state", "African", "USD", 0.5, False),
    ("Nigeria", "member_state", "African", "USD", 0.4, False),
    ("Egypt", "member_state", "African", "USD", 0.4, False),
    ("Kenya", "member_state", "African", "USD", 0.3, False),
    ("Colombia", "member_state", "GRULAC", "USD", 0.3, False),
    ("Mexico", "member_state", "GRULAC", "USD", 0.3, False),
    ("Brazil", "member_state", "GRULAC", "USD", 0.25, False),
    ("Poland", "member_state", "EEG", "EUR", 0.3, False),
    ("Hungary", "member_state", "EEG", "EUR", 0.25, False),
    ("Romania", "member_state", "EEG", "EUR", 0.2, False),
    ("Finland", "member_state", "WEOG", "EUR", 0.5, False),
    ("Belgium", "member_state", "WEOG", "EUR", 0.4, False),
    ("UN Peacebuilding Fund", "un_fund", "n/a", "USD", 0.9, False),
    ("UN Trust Fund for Human Security", "un_fund", "n/a", "USD", 0.4, False),
    ("Meridian Peace Foundation", "private", "n/a", "USD", 0.5, True),
    ("Northbridge Philanthropies", "private", "n/a", "GBP", 0.3, True),
    ("Private donor (Gulf)", "other", "n/a", "USD", 0.6, True),
]

# UN operational rates of exchange style: units of currency per 1 USD (illustrative).
FX = {
    "EUR": 0.92,
    "GBP": 0.79,
    "JPY": 151.2,
    "SAR": 3.75,
    "QAR": 3.64,
    "NOK": 10.62,
    "SEK": 10.48,
    "DKK": 6.87,
    "CHF": 0.88,
    "CAD": 1.37,
    "AUD": 1.53,
    "AED": 3.6725,
    "KWD": 0.307,
}

SOFT_TARGETS = [
    "pillar:I",
    "pillar:II",
    "pillar:IV",
    "theme:human_rights",
    "theme:gender",
    "theme:civil_society",
    "theme:pve",
    "category:flagship",
    "category:coordination",
    "entity:UNODC",
    "entity:UNOCT",
    "pillar:III",
]

# How often each earmarking category and status is drawn (mostly earmarked, like reality).
EARMARKING_WEIGHTS = {
    "unearmarked": 14,
    "softly earmarked": 20,
    "earmarked": 54,
    "tightly earmarked": 12,
}
STATUS_WEIGHTS = {"paid": 30, "committed": 38, "pledged": 32}
assert set(EARMARKING_WEIGHTS) == set(contract.EARMARKING.labels)
assert set(STATUS_WEIGHTS) == set(contract.STATUS.values)

TOTAL_GROSS_USD = 275e6  # pledges, illustrative; requirements are larger (real gaps)
N_PLEDGES = 250


def _save(wb: Workbook, path: Path) -> None:
    wb.properties.creator = "appeal-planner sample generator"
    wb.properties.created = STAMP
    wb.properties.modified = STAMP
    wb.save(path)
    _fix_zip_times(path)


def _fix_zip_times(path: Path) -> None:
    """Rewrite the xlsx zip with fixed entry times so the bytes are reproducible."""
    entries = []
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            data = z.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time here; pin it.
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-11-01T00:00:00Z", data
                )
            entries.append((info.filename, data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(
                zipfile.ZipInfo(name, date_time=(2026, 11, 1, 0, 0, 0)),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )


def _round_amount(x: float) -> float:
    """Round like real pledges: to thousands (or hundreds of thousands when large)."""
    step = 100_000 if x >= 5e6 else 10_000 if x >= 5e5 else 1_000
    return max(step, round(x / step) * step)


# What each category of line does, for the illustrative narratives: (what it does, what the
# money buys now, expected results, indicators as (name, baseline, target-multiplier)).
_NARRATIVE_BY_CATEGORY: dict[str, tuple[str, str, tuple[str, ...], tuple[tuple[str, int], ...]]] = {
    "leadership": (
        "gives the UN counter-terrorism architecture direction, partnerships and results",
        "keeps UNOCT able to lead, plan and report on the whole appeal",
        (
            "A results framework shared by the Compact entities",
            "Biennial reports on results to Member States",
            "A broader, more flexible donor base",
        ),
        (("Compact entities reporting on common indicators", 2), ("Donors giving flexibly", 3)),
    ),
    "coordination": (
        "brings the Compact entities together to plan, programme and report as one",
        "turns coordination into joint programmes in the field",
        (
            "Joint programmes agreed by the working groups",
            "Regional coordination meetings with national counterparts",
            "Civil society voices heard in programme design",
        ),
        (("Joint programmes under way", 2), ("Countries with a coordination mechanism", 2)),
    ),
    "flagship": (
        "delivers one of the appeal's flagship programmes to requesting Member States",
        "extends the programme to the next group of requesting Member States",
        (
            "National capacity built in the beneficiary Member States",
            "Tools and guidance adopted by national authorities",
            "Human rights and gender safeguards applied throughout",
        ),
        (("Member States supported", 2), ("Officials trained", 3)),
    ),
    "entity": (
        "brings a Compact entity's mandate and field presence to the appeal's aims",
        "lets the entity answer requests it cannot meet from its own resources",
        (
            "Technical assistance delivered on request",
            "Policies and practice aligned with international standards",
        ),
        (("Requests answered", 2), ("Practitioners trained", 3)),
    ),
}


def narrative(
    index: int, line: tuple[str, str, str, str, str, str, int, float, float]
) -> list[str]:
    """Illustrative narrative cells for one line (deterministic; draws nothing from the
    random generator, so every other cell of the sample stays as it was)."""
    _line_id, name, cat, entity, pillars, themes, _prio, _mvs, _musd = line
    does, now, results, indicators = _NARRATIVE_BY_CATEGORY[cat]
    tags = [t.replace("_", " ") for t in themes.split(";") if t]
    focus = f", with {' and '.join(tags)} built in" if tags else ""
    summary = (
        f"Illustrative: {name} {does} (lead entity {entity}; Strategy pillar(s) "
        f"{pillars.replace(';', ', ')}){focus}."
    )
    case = (
        f"Illustrative: funding now {now}; every dollar is spent by the appeal's published "
        "rules and reported on every two years."
    )
    base = 3 + index % 5
    cells = [f"{n}: {base * k} -> {base * k * m}" for k, (n, m) in enumerate(indicators, 1)]
    return [summary, case, "; ".join(results), "; ".join(cells)]


def write_programmes(rng: random.Random, out: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "programmes"
    ws.append(["Illustrative Multi-Year Appeal 2027-2030 — budget lines (amounts illustrative)"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    header = [
        *(c.name for c in contract.PROGRAMMES.written),
        *(contract.PROGRAMMES.pattern("req_{}").column_name(y) for y in YEARS),
        *(contract.PROGRAMMES.pattern("score_{}").column_name(c) for c in CRITERIA),
    ]
    ws.append(header)
    for index, line in enumerate(LINES):
        line_id, name, cat, entity, pillars, themes, prio, mvs, musd = line
        # Requirements ramp up a little over the appeal and vary by line.
        base = musd * 1e6
        reqs = [
            round(base * (0.9 + 0.07 * i) * rng.uniform(0.9, 1.1) / 1000) * 1000
            for i in range(len(YEARS))
        ]
        scores = [rng.randint(1, 5) for _ in CRITERIA]
        ws.append(
            [
                line_id,
                name,
                cat,
                entity,
                pillars.replace(";", "; "),
                themes.replace(";", "; "),
                prio,
                mvs if mvs else None,
                *narrative(index, line),  # the contract's column order
                *reqs,
                *scores,
            ]
        )
    _save(wb, out / "programmes.xlsx")


def write_donors(out: Path) -> None:
    with (out / "donors.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([c.name for c in contract.DONORS.written])
        for name, kind, region, *_ in DONORS:
            w.writerow([name, kind, region, ""])


def write_fx(out: Path) -> None:
    with (out / "fx_rates.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([c.name for c in contract.FX.written])
        w.writerow(["USD", 1.0, "2026-11-01"])
        for code, rate in FX.items():
            w.writerow([code, rate, "2026-11-01"])


def _pledges(rng: random.Random) -> list[dict[str, object]]:
    """~250 pledges: donors by weight, mostly earmarked, every status and category."""
    weights = [d[4] for d in DONORS]
    total_w = sum(weights)
    # Every donor pledges at least once; the rest by weight (big donors pledge more often).
    counts = [1] * len(DONORS)
    for i in rng.choices(
        range(len(DONORS)), weights=[w**0.6 for w in weights], k=N_PLEDGES - len(DONORS)
    ):
        counts[i] += 1
    line_ids = [line[0] for line in LINES]
    entity_lines = [line[0] for line in LINES if line[2] in ("entity", "flagship")]
    pledges: list[dict[str, object]] = []
    for (name, _kind, _region, currency, weight, confidential), n in zip(
        DONORS, counts, strict=True
    ):
        donor_usd = TOTAL_GROSS_USD * weight / total_w
        shares = [rng.uniform(0.5, 1.5) for _ in range(n)]
        for share in shares:
            usd = donor_usd * share / sum(shares)
            earmarking = rng.choices(list(EARMARKING_WEIGHTS), list(EARMARKING_WEIGHTS.values()))[0]
            if name in ("Saudi Arabia", "Qatar") and rng.random() < 0.35:
                earmarking = "unearmarked"  # the large Gulf donors give core money too
            if earmarking == "unearmarked":
                target = ""
            elif earmarking == "softly earmarked":
                target = rng.choice(SOFT_TARGETS)
            else:
                target = rng.choice(entity_lines if rng.random() < 0.8 else line_ids)
            first = rng.choices(
                [2026, 2027, 2028, 2029, 2030, 2031], weights=[6, 40, 25, 17, 9, 3]
            )[0]
            years = rng.choices([1, 2, 3, 4], weights=[45, 20, 20, 15])[0]
            years = min(years, max(1, 2031 - first))
            status = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0]
            if first >= 2029 and status == "paid":
                status = "committed"  # money cannot be paid years ahead
            rate = FX.get(currency, 1.0)
            amount = _round_amount(usd * rate)
            p: dict[str, object] = {
                "donor": name,
                "amount": amount,
                "currency": currency,
                "year": first,
                "years": years,
                "earmarking": earmarking,
                "earmark_to": target,
                "status": status,
                "psc_rate": 0.13 if rng.random() < 0.85 else rng.choice([0.07, 0.08, 0.10]),
                "confidential": "yes" if confidential else "no",
            }
            if years >= 2 and rng.random() < 0.3:
                # Uneven tranches, given as explicit amount_YYYY columns.
                parts = [rng.uniform(0.6, 1.6) for _ in range(years)]
                tr = [_round_amount(amount * x / sum(parts)) for x in parts]
                p["tranches"] = {first + k: t for k, t in enumerate(tr)}
                p["amount"] = float(sum(tr))
            pledges.append(p)
    rng.shuffle(pledges)
    return pledges


def write_pledges(rng: random.Random, out: Path) -> None:
    pledges = _pledges(rng)
    # UNOCT-held pledges (most) go to the workbook; entity pledges to a plain csv.
    split = int(len(pledges) * 0.8)
    book, entities = pledges[:split], pledges[split:]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Pledges"
    ws.append(["Pledges to the illustrative Multi-Year Appeal 2027-2030 (amounts illustrative)"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(["Source: UNOCT resource mobilization, pledge tracker export"])
    tranche_years = list(range(2026, 2032))
    per_year = contract.PLEDGES.pattern("amount_{}")
    columns = contract.PLEDGES.written
    # The tracker export: readable headers with the HXL row under them.
    ws.append([c.label for c in columns] + [per_year.column_name(y) for y in tranche_years])
    ws.append([c.hashtag for c in columns] + [per_year.hashtag(y) for y in tranche_years])
    for i, p in enumerate(book, start=1):
        tranches = p.get("tranches")
        values = {
            **p,
            "pledge_id": f"UNOCT-{2026 + (i % 3)}-{i:04d}",
            "years": None if tranches else p["years"],
            "earmark_to": p["earmark_to"] or None,
        }
        row = [values.get(c.name) for c in columns]  # a column the data lacks stays blank
        row += [tranches.get(y) if isinstance(tranches, dict) else None for y in tranche_years]
        ws.append(row)
    _save(wb, out / "pledges.xlsx")
    # Entities send a plain csv with the contract's column names and no pledge ids.
    entity_columns = [c.name for c in columns if c.name != "pledge_id"]
    with (out / "pledges_entities.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(entity_columns)
        for k, p in enumerate(entities):
            total = float(p["amount"])  # type: ignore[arg-type]
            # Entities send amounts as text in several styles; the importer parses them.
            if k % 4 == 0:
                amount: object = f"{total:,.0f}"
            elif k % 4 == 1 and total >= 1e6:
                amount = f"{p['currency']} {total / 1e6:g}m"
            else:
                amount = f"{total:.0f}"
            tranches = p.get("tranches")
            values = {
                **p,
                "amount": amount,
                "years": len(tranches) if isinstance(tranches, dict) else p["years"],
            }
            w.writerow([values.get(name) for name in entity_columns])


SCENARIOS = {
    "baseline.toml": """name = "baseline"
description = "Default priorities: tiers weigh 8/4/2/1; half of each line-year first."
min_viable = true

[weights]
tier = { 1 = 8.0, 2 = 4.0, 3 = 2.0, 4 = 1.0 }
tranche_share = 0.5
tranche_weight = 0.6

[targets]
leadership_coordination_share_of_flexible = 0.10
gender_share = 0.15
""",
    "flexible_first.toml": """name = "flexible_first"
description = "Flexible money to leadership, coordination, flagships; mainstream rights and gender."
min_viable = true
donor_line_cap_share = 0.6

[weights]
tier = { 1 = 10.0, 2 = 4.0, 3 = 1.5, 4 = 0.5 }
tranche_share = 0.5
tranche_weight = 0.6

[targets]
leadership_coordination_share_of_flexible = 0.20
human_rights_share = 0.25
gender_share = 0.15
civil_society_share = 0.05
""",
    "criteria_scored.toml": """name = "criteria_scored"
description = "Line weights from scored criteria (score_<criterion> columns, 0-5)."
min_viable = true

[weights]
tranche_share = 0.5
tranche_weight = 0.6

[weights.criteria]
track_record = 0.25
multi_entity_value = 0.15
ctc_cted_alignment = 0.15
value_for_money = 0.20
innovation = 0.10
human_rights_gender = 0.15

[targets]
leadership_coordination_share_of_flexible = 0.10
gender_share = 0.15
""",
}


def write_scenarios(out: Path) -> None:
    folder = out / "scenarios"
    folder.mkdir(exist_ok=True)
    for name, text in SCENARIOS.items():
        (folder / name).write_text(text, encoding="utf-8")


def main(out: Path = HERE) -> None:
    rng = random.Random(SEED)
    out.mkdir(parents=True, exist_ok=True)
    write_programmes(rng, out)
    write_donors(out)
    write_fx(out)
    write_pledges(rng, out)
    write_scenarios(out)
    write_template(out / "pledge_template.xlsx")
    _fix_zip_times(out / "pledge_template.xlsx")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
