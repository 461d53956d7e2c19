"""The Summary sheet: the appeal on one landscape page.

Title and horizon; requirement / funded / firm / gap / coverage by year (live SUMIFS over
Funding status, whose total row the defined names TotalRequirement ... Coverage point at);
gap by category; the donor base against its targets; the policy targets; the top asks; and two
native charts in USD million (requirements vs funding by year, gap by category). Only what a
reader needs: the planner's own figures for the live cells are on the hidden Checks sheet.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.series import SeriesLabel

from appeal.workbook import columns
from appeal.workbook.book import Book
from appeal.workbook.layout import Sheet, fit_width, styles
from appeal.workbook.sheets import funding
from appeal.workbook.sheets.gap_table import gap_rows, write_gap_table
from appeal.workbook.sheets.totals import write_total_row
from appeal.workbook.styles import StyleKey
from appeal.workbook.values import as_float, as_int, horizon, number
from models import donor_base
from models.concentration import HHI_NOTE, hhi_band
from models.labels import label
from models.plan import CATEGORIES

__all__ = ["CHART_AXIS_FORMAT", "DEFINED_NAMES", "NAME", "TOP_ASKS", "category_labels", "write"]

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
# Chart axes in USD million: the trailing commas of a number format divide by 1,000 each.
CHART_AXIS_FORMAT = '#,##0,,"m"'
# Columns A-F hold the tables; G is a gutter; H-N sit under the charts.
CHART_COLUMNS = 7
CHART_ANCHOR_COLUMN = "H"
# Programme first: column A is the wide one.
TOP_ASK_COLUMNS = [
    columns.PROGRAMME,
    columns.LINE_ID,
    columns.PRIORITY,
    columns.GAP,
    columns.COVERAGE,
]
TABLE_COLUMNS = 6  # notes wrap across A-F, clear of the charts


def category_labels(codes: list[str]) -> dict[str, str]:
    """Category code -> the label every sheet shows (and SUMIFS matches on)."""
    return {c: label("category", c) for c in codes}


def write(sh: Sheet, book: Book) -> None:
    m = book.model
    asks = m.ranked_gaps.head(TOP_ASKS)
    first_width = fit_width(
        [
            "Flexible share (unearmarked + softly earmarked)",
            *map(str, asks["name"]),
            *category_labels(list(CATEGORIES)).values(),
            *(label("target", t) for t in m.result.targets.get("name", [])),
        ],
        minimum=30,
        maximum=52,
    )
    sh.summary_setup([first_width, 17, 17, 17, 17, 11, 2, *[12] * CHART_COLUMNS], one_page=True)
    sh.note_columns = TABLE_COLUMNS
    sh.title_rows(
        m.plan.title,
        f"Multi-year appeal {horizon(m.years)} · scenario {m.scenario.name!s} · "
        f"generated {m.generated}"
        + (" · ILLUSTRATIVE FIGURES, not actual pledges" if m.plan.illustrative else "")
        + (" · INTERNAL: confidential donors named" if m.reveal else "")
        + (" · DRAFT — UNSAVED CHANGES" if m.draft else ""),
    )
    if m.draft:
        sh.note(
            f"Draft — unsaved changes: scenario {m.scenario.name!s} as edited, not as saved. "
            "Settings that differ from the saved version: " + "; ".join(m.draft)
        )
    _by_year(sh, book)
    _by_category(sh, book)
    _donor_base(sh, book)
    _targets(sh, book)
    _top_asks(sh, book)


def _by_year(sh: Sheet, book: Book) -> None:
    m = book.model
    sh.block("Requirement and funding by year", rows=len(m.years) + 2)
    by_year = m.lines.groupby("year")[["requirement_usd", "funded_usd", "firm_usd"]].sum()
    first, last_year_row = write_gap_table(
        sh,
        book,
        "Summary by year",
        columns.YEAR,
        funding.YEAR,
        gap_rows(by_year, m.years),
        firm=True,
    )
    end = max(last_year_row, first)
    sums = {"B": "requirement_usd", "C": "funded_usd", "D": "firm_usd", "E": "gap_usd"}
    r = write_total_row(
        sh, book, "Summary by year", first, end, lead=0, sums=sums, requirement="B", funded="C"
    )
    book.defined_names = {name: f"{sh.ref}!${c}${r}" for name, c in DEFINED_NAMES.items()}
    if not m.years:
        return
    chart = BarChart()
    chart.type = "col"
    chart.title = "Requirements vs funding by year (USD million)"
    chart.y_axis.title = "USD million"
    chart.y_axis.numFmt = CHART_AXIS_FORMAT
    chart.x_axis.title = "Year"
    # Series titles are given, not read from the header: an HXL row may sit under it.
    chart.add_data(
        Reference(sh.ws, min_col=2, max_col=3, min_row=first, max_row=last_year_row),
        titles_from_data=False,
    )
    for series, title in zip(chart.series, ("Requirement", "Funded"), strict=True):
        series.tx = SeriesLabel(v=title)
    chart.set_categories(Reference(sh.ws, min_col=1, min_row=first, max_row=last_year_row))
    chart.height, chart.width = 7.0, 15.5
    sh.ws.add_chart(chart, f"{CHART_ANCHOR_COLUMN}3")


def _by_category(sh: Sheet, book: Book) -> None:
    m = book.model
    by_cat = m.by_category.set_index("category")
    codes = list(CATEGORIES) + sorted(set(map(str, by_cat.index)) - set(CATEGORIES) - {""})
    sh.block("Gap by category", rows=len(codes) + 1)
    first, last = write_gap_table(
        sh,
        book,
        "Summary by category",
        columns.CATEGORY,
        funding.CATEGORY,
        gap_rows(by_cat, codes, category_labels(codes)),
    )
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Gap by category (USD million)"
    chart.legend = None
    chart.x_axis.title = "Category"
    chart.y_axis.title = "USD million"
    chart.y_axis.numFmt = CHART_AXIS_FORMAT
    chart.add_data(Reference(sh.ws, min_col=4, min_row=first, max_row=last), titles_from_data=False)
    chart.set_categories(Reference(sh.ws, min_col=1, min_row=first, max_row=last))
    chart.height, chart.width = 7.0, 15.5
    sh.ws.add_chart(chart, f"{CHART_ANCHOR_COLUMN}21")


def _donor_base(sh: Sheet, book: Book) -> None:
    b = book.model.breadth
    sh.block("Donor base against targets", rows=9)
    sh.header(
        ["Figure", "Value", "Target", "Meets target"],
        ["#indicator+name", "#indicator+value", "#indicator+target", "#status"],
    )
    target = float(b.get("grand_bargain_target", donor_base.GRAND_BARGAIN_TARGET))
    flex = float(b.get("flexible_share", 0.0))
    sh.append(
        [
            "Flexible share (unearmarked + softly earmarked)",
            flex,
            target,
            "yes" if flex >= target else "no",
        ],
        ["text", "pct", "pct", "text"],
    )
    figures: list[tuple[str, str, StyleKey]] = [
        ("Flexible money still needed for the aim (USD)", "flexible_gap_to_target_usd", "usd"),
        ("Donors", "donor_count", "int"),
        ("Effective donors (1 / sum of squared shares)", "effective_donors", "num"),
        ("Concentration (HHI, 0-10,000)", "hhi", "num"),
        ("Largest donor's share", "top1_share", "pct"),
        ("Top 3 donors' share", "top3_share", "pct"),
        ("Multi-year share (pledges over more than one year)", "multiyear_share", "pct"),
    ]
    for name, key, style in figures:
        sh.append([name, number(b.get(key))], ["text", style])
    hhi = float(b.get("hhi", 0.0))
    sh.note(
        f"The flexible-share aim is the Grand Bargain / UN Funding Compact's. An HHI of "
        f"{hhi:,.0f} is {hhi_band(hhi)}: {HHI_NOTE}."
    )


def _targets(sh: Sheet, book: Book) -> None:
    targets = book.model.result.targets
    if not len(targets):
        return
    sh.block("Policy targets", rows=len(targets) + 1)
    sh.header(
        ["Target", "Target share", "Achieved", "Shortfall (USD)"],
        ["#indicator+name", "#indicator+target", "#indicator+value", "#value+gap+usd"],
    )
    for t in targets.itertuples(index=False):
        sh.append(
            [
                label("target", t.name),
                number(t.target),
                number(t.achieved),
                number(t.shortfall_usd),
            ],
            ["text", "pct", "pct", "usd"],
        )


def _top_asks(sh: Sheet, book: Book) -> None:
    asks = book.model.ranked_gaps.head(TOP_ASKS)
    sh.block(
        f"Top asks: largest unmet requirements, highest priority first (top {TOP_ASKS})",
        rows=len(asks) + 1,
    )
    sh.table_header(TOP_ASK_COLUMNS)
    for a in asks.itertuples(index=False):
        sh.append(
            [
                str(a.name),
                str(a.line_id),
                as_int(a.priority),
                as_float(a.gap_usd),
                as_float(a.coverage),
            ],
            styles(TOP_ASK_COLUMNS),
        )
    if not len(asks):
        sh.note("Every requirement is funded.")
