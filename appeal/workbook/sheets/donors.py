"""The Donor base sheet: breadth figures against their targets, shares by donor type, region,
earmarking and status, and every donor (confidential ones as "Anonymous donor N")."""

from __future__ import annotations

from appeal.workbook import columns
from appeal.workbook.book import Book
from appeal.workbook.layout import Column, Sheet, styles
from appeal.workbook.styles import StyleKey
from appeal.workbook.values import number
from models import donor_base
from models.concentration import HHI_NOTE, hhi_band
from models.labels import Kind, label

__all__ = ["NAME", "write"]

NAME = "Donor base"
WIDTHS = [48, 17, 17, 17, 17, 17, 12]

# (label, key in the donor-base figures, style); the flexible share also shows its target.
FIGURES: list[tuple[str, str, StyleKey]] = [
    ("Donors", "donor_count", "int"),
    ("Donors giving flexible money", "flexible_donor_count", "int"),
    ("Confidential donors", "confidential_donor_count", "int"),
    ("Programmable total (USD)", "total_usd", "usd"),
    ("Flexible money (USD)", "flexible_usd", "usd"),
    ("Flexible share", "flexible_share", "pct"),
    ("Flexible money still needed for the target (USD)", "flexible_gap_to_target_usd", "usd"),
    ("Concentration (HHI, 0-10,000)", "hhi", "num"),
    ("Effective donors", "effective_donors", "num"),
    ("Largest donor's share", "top1_share", "pct"),
    ("Top 3 donors' share", "top3_share", "pct"),
    ("Top 5 donors' share", "top5_share", "pct"),
    ("Gini coefficient", "gini", "num"),
    ("Multi-year share", "multiyear_share", "pct"),
]
# (title, key in the donor-base figures, header, the kind of code its groups are)
SHARES: list[tuple[str, str, str, Kind | None]] = [
    ("Shares by donor type", "by_donor_type", "Donor type", "donor_type"),
    ("Shares by region", "by_region", "Region", None),
    (
        "Shares by earmarking (Grand Bargain categories)",
        "by_earmarking",
        "Earmarking",
        "earmarking",
    ),
    ("Shares by pledge status", "by_status", "Status", "status"),
]
DONORS = [
    columns.DONOR,
    Column("Donor type", "#org+type", "text"),
    Column("Region", "#region", "text"),
    Column("Programmable USD", "#value+usd", "usd"),
    Column("Share", "#indicator+share+pct", "pct"),
    Column("Flexible USD", "#value+flexible+usd", "usd"),
    Column("Confidential", "#meta+confidential", "text"),
]


def write(sh: Sheet, book: Book) -> None:
    m = book.model
    b = m.breadth
    sh.summary_setup(WIDTHS)
    sh.title_rows(
        f"Donor base — {m.plan.title}",
        "Programmable USD of pledges in the horizon. Confidential donors are shown as "
        "'Anonymous donor N'" + (" (names revealed: internal use only)." if m.reveal else "."),
    )
    sh.block("Breadth", rows=len(FIGURES) + 1)
    sh.header(
        ["Figure", "Value", "Target"], ["#indicator+name", "#indicator+value", "#indicator+target"]
    )
    flexible_target = float(b.get("grand_bargain_target", donor_base.GRAND_BARGAIN_TARGET))
    for name, key, style in FIGURES:
        if key in b:
            target = flexible_target if key == "flexible_share" else None
            sh.append([name, number(b.get(key)), target], ["text", style, "pct"])
    if b.get("new_donor_count") is not None:
        sh.append(["New donors", number(b["new_donor_count"])], ["text", "int"])
        sh.append(["New donors' share", number(b.get("new_donor_share"))], ["text", "pct"])
    hhi = float(b.get("hhi", 0.0))
    sh.note(f"An HHI of {hhi:,.0f} is {hhi_band(hhi)}. HHI bands: {HHI_NOTE}.")

    total = float(b.get("total_usd", 0.0))
    for title, key, header, kind in SHARES:
        shares = b.get(key) or {}
        sh.block(title, rows=len(shares) + 1)
        sh.header(
            [header, "Share", "Programmable USD"], ["#group", "#indicator+share+pct", "#value+usd"]
        )
        for name, share in shares.items():
            sh.append(
                [label(kind, name) if kind else str(name), float(share), float(share) * total],
                ["text", "pct", "usd"],
            )

    sh.block("Donors (largest first)", rows=6)
    sh.table_header(DONORS)
    row_styles = styles(DONORS)
    for d in b.get("donors", []):
        sh.append(
            [
                str(d["donor"]),
                label("donor_type", d.get("donor_type") or "other"),
                str(d.get("region", "")),
                float(d.get("programmable_usd", 0.0)),
                float(d.get("share", 0.0)),
                float(d.get("flexible_usd", 0.0)),
                "yes" if d.get("confidential") else "no",
            ],
            row_styles,
        )
