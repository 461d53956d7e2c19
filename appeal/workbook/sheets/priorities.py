"""The Priorities and asks sheet: unmet requirement by priority tier (live formulas over Funding
status), every unmet line ranked, where the next USD 1 million of unearmarked money would go,
and the programmes below their minimum viable funding."""

from __future__ import annotations

from dataclasses import dataclass

from appeal.workbook import columns
from appeal.workbook.book import Book
from appeal.workbook.formulas import sum_of
from appeal.workbook.layout import Column, Sheet, fit_width, styles
from appeal.workbook.model import BookModel
from appeal.workbook.sheets import funding
from appeal.workbook.sheets.gap_table import gap_rows, write_gap_table
from appeal.workbook.values import as_float, as_int, number
from models.labels import label

__all__ = ["NAME", "write"]

NAME = "Priorities and asks"
# Columns shared by tables of different shapes: each wide enough for all it holds.
WIDTHS = [12, 22, 36, 24, 17, 17, 17, 17, 10]

RANKED = [
    columns.RANK,
    columns.LINE_ID,
    columns.PROGRAMME,
    columns.CATEGORY,
    columns.PRIORITY,
    columns.ENTITY,
    columns.REQUIREMENT,
    columns.GAP,
    columns.COVERAGE,
]
NEXT_MILLION = [columns.LINE_ID, columns.YEAR, columns.PROGRAMME, columns.PRIORITY, columns.AMOUNT]
BELOW_MIN_VIABLE = [
    columns.LINE_ID,
    columns.STATUS,
    columns.PROGRAMME,
    columns.MIN_VIABLE,
    columns.REQUIREMENT,
    columns.FUNDED,
    Column("Needed to reach minimum (USD)", "#value+gap+minviable+usd", "usd"),
]


def write(sh: Sheet, book: Book) -> None:
    m = book.model
    widths: list[float] = list(WIDTHS)
    widths[2] = fit_width(list(m.names.values()), minimum=24, maximum=50)
    sh.summary_setup(widths)
    sh.title_rows(
        f"Priorities and asks — {m.plan.title}",
        "Unmet requirement by priority tier (live formulas over Funding status), every unmet "
        "line ranked, where the next USD 1 million of unearmarked money would go, and "
        "programmes below minimum viable funding.",
    )
    _by_tier(sh, book)
    _ranked(sh, m)
    _next_million(sh, m)
    _below_min_viable(sh, m)


def _by_tier(sh: Sheet, book: Book) -> None:
    by_tier = book.model.lines.groupby("priority")[["requirement_usd", "funded_usd"]].sum()
    tiers = sorted({1, 2, 3, 4} | {int(t) for t in by_tier.index if int(t) > 0})
    sh.block("Unmet requirement by priority tier (1 = critical)", rows=len(tiers) + 1)
    write_gap_table(
        sh,
        book,
        "Priorities by tier",
        Column("Tier", "#priority", "int"),
        funding.PRIORITY,
        gap_rows(by_tier, tiers),
    )


def _ranked(sh: Sheet, m: BookModel) -> None:
    sh.block("Unmet requirement, ranked by priority tier then size of gap", rows=6)
    sh.table_header(RANKED)
    row_styles = styles(RANKED)
    for rank, g in enumerate(m.ranked_gaps.itertuples(index=False), start=1):
        sh.append(
            [
                rank,
                str(g.line_id),
                str(g.name),
                label("category", g.category),
                as_int(g.priority),
                str(g.entity),
                as_float(g.requirement_usd),
                as_float(g.gap_usd),
                as_float(g.coverage),
            ],
            row_styles,
        )
    if not len(m.ranked_gaps):
        sh.note("Every requirement is funded.")


def _next_million(sh: Sheet, m: BookModel) -> None:
    result = m.result
    sh.block(
        "What USD 1 million of unearmarked money would fund", rows=len(result.next_million) + 2
    )
    sh.table_header(NEXT_MILLION)
    nm = result.next_million
    prios = m.programmes["priority"].to_dict() if len(m.programmes) else {}
    if len(nm):
        row_styles = styles(NEXT_MILLION)
        first = sh.row + 1
        for n in nm.itertuples(index=False):
            line_id = str(n.line_id)
            sh.append(
                [
                    line_id,
                    number(n.year),
                    m.names.get(line_id, line_id),
                    number(prios.get(line_id)),
                    as_float(n.amount_usd),
                ],
                row_styles,
            )
        last = sh.row
        sh.append(
            ["Total", None, None, None, sum_of(f"E{first}", f"E{last}")],
            ["label", None, None, None, "usd_total"],
        )
    else:
        sh.note("The allocation engine reported no use for more unearmarked money.")


@dataclass(frozen=True)
class _BelowMinimum:
    line_id: str
    status: str
    share: float
    requirement: float
    funded: float
    needed: float


def _below_min_viable(sh: Sheet, m: BookModel) -> None:
    below = _below_minimum(m)
    sh.block("Programmes below minimum viable funding", rows=len(below) + 1)
    sh.table_header(BELOW_MIN_VIABLE)
    row_styles = styles(BELOW_MIN_VIABLE)
    for b in below:
        sh.append(
            [
                b.line_id,
                label("min_viable", b.status),
                m.names.get(b.line_id, b.line_id),
                b.share,
                b.requirement,
                b.funded,
                b.needed,
            ],
            row_styles,
        )
    if not below:
        sh.note("No programme is below its minimum viable funding.")


def _below_minimum(m: BookModel) -> list[_BelowMinimum]:
    """Lines with a minimum viable share whose multi-year funding is below it (or cut to 0).

    The result's own minimum-viable table when it has one; otherwise worked out from the
    programmes' shares and the line-years (an engine that does not report it)."""
    mv = m.result.min_viable
    if len(mv):
        rows = [
            (
                str(r.line_id),
                as_float(r.min_viable_share),
                as_float(r.requirement_usd),
                as_float(r.funded_usd),
                str(r.status),
            )
            for r in mv.itertuples(index=False)
        ]
    else:
        sums = m.lines.groupby("line_id")[["requirement_usd", "funded_usd"]].sum()
        rows = []
        for p in m.programmes.itertuples(index=False):
            share = as_float(p.min_viable_share or 0.0)
            line_id = str(p.line_id)
            if share > 0 and line_id in sums.index:
                req, funded = (as_float(x) for x in sums.loc[line_id])
                rows.append((line_id, share, req, funded, "funded"))
    out: list[_BelowMinimum] = []
    for line_id, share, req, funded, status in rows:
        if share <= 0 or status == "not_applicable":
            continue
        needed = max(0.0, share * req - funded)
        if status == "cut" or needed > 0.005:
            out.append(_BelowMinimum(line_id, status, share, req, funded, needed))
    return out
