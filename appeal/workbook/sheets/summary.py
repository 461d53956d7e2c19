"""The Summary sheet: the appeal on one sheet.

Title and horizon; requirement / funded / firm / gap / coverage by year (live SUMIFS over
Funding status, whose total row the defined names TotalRequirement ... Coverage point at);
gap by category; the donor base against its targets; the policy targets; the top asks; and two
native charts (requirements vs funding by year, gap by category).
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.series import SeriesLabel

from appeal.workbook import columns
from appeal.workbook.book import Book
from appeal.workbook.layout import Sheet, styles
from appeal.workbook.sheets import funding
from appeal.workbook.sheets.gap_table import gap_rows, write_gap_table
from appeal.workbook.sheets.totals import write_total_row
from appeal.workbook.styles import StyleKey
from appeal.workbook.values import as_float, as_int, horizon, number
from models import donor_base
from models.plan import CATEGORIES

__all__ = ["DEFINED_NAMES", "NAME", "TOP_ASKS", "write"]

NAME = "Summary"
TOP_ASKS = 10
# Workbook-level names for the key totals, with their column in the by-year total row.
DEFINED_NAMES = {
    "TotalRequirement": "B",
    "TotalFunded": "C",
    "TotalFirm": "D",
    "TotalGap": "E",
    "Coverage": "F",
}
EXPORT_COLUMN = 8  # where the "at export" figures start (column H)
WIDTHS = [44, 18, 18, 18, 18, 12, 3, 20, 20, 20, 20, 14]
TOP_ASK_COLUMNS = [
    columns.RANK,
    columns.LINE_ID,
    columns.PROGRAMME,
    columns.PRIORITY,
    columns.GAP,
    columns.COVERAGE,
]


def write(sh: Sheet, book: Book) -> None:
    m = book.model
    sh.summary_setup(WIDTHS)
    sh.title_rows(
        m.plan.title,
        f"Multi-year appeal {horizon(m.years)} · scenario {m.scenario.name!s} · "
        f"generated {m.generated}"
        + (" · ILLUSTRATIVE FIGURES, not actual pledges" if m.plan.illustrative else "")
        + (" · INTERNAL: confidential donors named" if m.reveal else ""),
    )
    _by_year(sh, book)
    _by_category(sh, book)
    _donor_base(sh, book)
    _targets(sh, book)
    _top_asks(sh, book)


def _by_year(sh: Sheet, book: Book) -> None:
    m = book.model
    sh.block("Requirement and funding by year")
    by_year = m.lines.groupby("year")[["requirement_usd", "funded_usd", "firm_usd"]].sum()
    first, last_year_row = write_gap_table(
        sh,
        book,
        columns.YEAR,
        funding.YEAR,
        gap_rows(by_year, m.years),
        firm=True,
        export_column=EXPORT_COLUMN,
    )
    end = max(last_year_row, first)
    r = write_total_row(sh, book, first, end, lead=0, sums="BCDE", requirement="B", funded="C")
    book.defined_names = {name: f"{sh.ref}!${c}${r}" for name, c in DEFINED_NAMES.items()}
    if not m.years:
        return
    chart = BarChart()
    chart.type = "col"
    chart.title = "Requirements vs funding by year (USD)"
    chart.y_axis.title = "USD"
    chart.y_axis.numFmt = "#,##0"
    chart.x_axis.title = "Year"
    # Series titles are given, not read from the header: an HXL row may sit under it.
    chart.add_data(
        Reference(sh.ws, min_col=2, max_col=3, min_row=first, max_row=last_year_row),
        titles_from_data=False,
    )
    for series, title in zip(chart.series, ("Requirement", "Funded"), strict=True):
        series.tx = SeriesLabel(v=title)
    chart.set_categories(Reference(sh.ws, min_col=1, min_row=first, max_row=last_year_row))
    chart.height, chart.width = 7.5, 16
    sh.ws.add_chart(chart, "N3")


def _by_category(sh: Sheet, book: Book) -> None:
    m = book.model
    sh.block("Gap by category")
    by_cat = m.by_category.set_index("category")
    categories = list(CATEGORIES) + sorted(set(map(str, by_cat.index)) - set(CATEGORIES) - {""})
    first, last = write_gap_table(
        sh,
        book,
        columns.CATEGORY,
        funding.CATEGORY,
        gap_rows(by_cat, categories),
        export_column=EXPORT_COLUMN,
    )
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Gap by category (USD)"
    chart.legend = None
    chart.x_axis.title = "Category"
    chart.y_axis.numFmt = "#,##0"
    chart.add_data(Reference(sh.ws, min_col=4, min_row=first, max_row=last), titles_from_data=False)
    chart.set_categories(Reference(sh.ws, min_col=1, min_row=first, max_row=last))
    chart.height, chart.width = 7.5, 16
    sh.ws.add_chart(chart, "N20")


def _donor_base(sh: Sheet, book: Book) -> None:
    b = book.model.breadth
    sh.block("Donor base against targets")
    sh.header(
        ["Figure", "Value", "Target", "Meets target", "Note"],
        ["#indicator+name", "#indicator+value", "#indicator+target", "#status", "#meta"],
    )
    target = float(b.get("grand_bargain_target", donor_base.GRAND_BARGAIN_TARGET))
    flex = float(b.get("flexible_share", 0.0))
    sh.append(
        [
            "Flexible share (unearmarked + softly earmarked)",
            flex,
            target,
            "yes" if flex >= target else "no",
            f"Grand Bargain / Funding Compact aim; gap to target USD "
            f"{float(b.get('flexible_gap_to_target_usd', 0.0)):,.0f}",
        ],
        ["text", "pct", "pct", "text", "note"],
    )
    figures: list[tuple[str, str, StyleKey, str]] = [
        ("Donors", "donor_count", "int", "with programmable money in the horizon"),
        ("Effective donors", "effective_donors", "num", "1 / sum of squared shares"),
        ("Concentration (HHI, 0-10,000)", "hhi", "num", "above 2,500: highly concentrated"),
        ("Largest donor's share", "top1_share", "pct", ""),
        ("Top 3 donors' share", "top3_share", "pct", ""),
        ("Multi-year share", "multiyear_share", "pct", "pledges spanning more than one year"),
    ]
    for label, key, style, note in figures:
        sh.append(
            [label, number(b.get(key)), None, None, note], ["text", style, None, None, "note"]
        )


def _targets(sh: Sheet, book: Book) -> None:
    targets = book.model.result.targets
    if not len(targets):
        return
    sh.block("Policy targets (soft constraints)")
    sh.header(
        ["Target", "Target share", "Achieved", "Shortfall (USD)"],
        ["#indicator+name", "#indicator+target", "#indicator+value", "#value+gap+usd"],
    )
    for t in targets.itertuples(index=False):
        sh.append(
            [
                str(t.name).replace("_", " ").capitalize(),
                number(t.target),
                number(t.achieved),
                number(t.shortfall_usd),
            ],
            ["text", "pct", "pct", "usd"],
        )


def _top_asks(sh: Sheet, book: Book) -> None:
    sh.block(f"Top asks: largest unmet requirements, highest priority first (top {TOP_ASKS})")
    sh.table_header(TOP_ASK_COLUMNS)
    asks = book.model.ranked_gaps.head(TOP_ASKS)
    for rank, a in enumerate(asks.itertuples(index=False), start=1):
        sh.append(
            [
                rank,
                str(a.line_id),
                str(a.name),
                as_int(a.priority),
                as_float(a.gap_usd),
                as_float(a.coverage),
            ],
            styles(TOP_ASK_COLUMNS),
        )
    if not len(asks):
        sh.note("Every requirement is funded.")
