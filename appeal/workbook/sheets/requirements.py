"""The Requirements sheet: every budget line by year with its attributes, and live subtotals.

Requirements are data; each line's share in each pillar, its total, the column totals and the
subtotals by category (SUMIFS) and by pillar (SUMPRODUCT over the share columns, the even
split of :mod:`models.gaps`) are formulas, checked against the planner's figures on the
Checks sheet. The sheet publishes each requirement cell (``book.requirement_cells``) for
Funding status to refer to.
"""

from __future__ import annotations

from appeal.workbook import columns
from appeal.workbook.book import Book
from appeal.workbook.engine import CellValue, Formula
from appeal.workbook.formulas import col, pillar_share, sum_of, sumifs
from appeal.workbook.layout import Column, Sheet, fit_width, labels, position, repeat, styles
from appeal.workbook.styles import StyleKey
from appeal.workbook.values import as_float, as_int
from models.labels import label
from models.labels import labels as label_list
from models.plan import CATEGORIES, PILLARS, split_list

__all__ = ["NAME", "write"]

NAME = "Requirements"

PILLARS_COLUMN = Column("Pillars", "#sector+pillar", "text")
# The line's attributes, with their column widths.
FIXED: list[tuple[Column, float]] = [
    (columns.LINE_ID, 12),
    (columns.PROGRAMME, 40),
    (columns.CATEGORY, 23),
    (columns.ENTITY, 11),
    (PILLARS_COLUMN, 9),
    (Column("Themes", "#sector+theme", "wrap"), 26),
    (columns.PRIORITY, 9),
    (columns.MIN_VIABLE, 10),
]
CATEGORY_COL = position([c for c, _ in FIXED], columns.CATEGORY)
PILLARS_COL = position([c for c, _ in FIXED], PILLARS_COLUMN)


def write(sh: Sheet, book: Book) -> None:
    m = book.model
    years = m.years
    fixed = [c for c, _ in FIXED]
    table = fixed + [
        Column(f"Share in pillar {p}", f"#indicator+pillar{p.lower()}+pct", "pct") for p in PILLARS
    ]
    table += [Column(f"{y} (USD)", f"#value+required+usd+y{y}", "usd") for y in years]
    table.append(Column("Total (USD)", "#value+required+total+usd", "usd"))
    n_lead = len(fixed) + len(PILLARS)  # columns before the first year column
    share_cols = list(range(len(fixed) + 1, n_lead + 1))
    year_cols = list(range(n_lead + 1, n_lead + 1 + len(years)))
    total_col = n_lead + len(years) + 1
    widths = [w for _, w in FIXED] + [8.0] * len(PILLARS) + [15.0] * len(years) + [16]
    widths[1] = fit_width(list(m.names.values()), minimum=24, maximum=44)
    # The pillar-share columns feed the pillar subtotals; hidden, they do not crowd the page.
    sh.table_setup(widths, freeze_col="C", hidden_columns=share_cols)
    sh.title_rows(
        f"Requirements by budget line and year (USD) — {m.plan.title}",
        "Requirements are data; totals and subtotals are live formulas. A line in k pillars "
        f"counts 1/k in each (hidden columns {col(share_cols[0])}-{col(share_cols[-1])} hold "
        "the shares), so pillar subtotals add up to the total.",
    )
    sh.table_header(table)

    req = m.plan.requirements.copy()
    req["line_id"] = req["line_id"].astype(str)
    req["year"] = req["year"].astype(int)
    req_map = req.groupby(["line_id", "year"])["requirement_usd"].sum().to_dict()
    pillars_col = col(PILLARS_COL)
    row_styles = styles(table)
    data_rows: list[int] = []
    for prog in m.programmes.itertuples(index=False):
        r = sh.row + 1
        line_id = str(prog.line_id)
        values: list[CellValue] = [
            line_id,
            str(prog.name),
            label("category", prog.category),
            str(prog.entity),
            ";".join(split_list(prog.pillars)),
            label_list("theme", split_list(prog.themes)),
            as_int(prog.priority),
            as_float(prog.min_viable_share or 0.0),
        ]
        values += [pillar_share(p, f"{pillars_col}{r}") for p in PILLARS]
        for y, c in zip(years, year_cols, strict=True):
            amount = req_map.get((line_id, y))
            values.append(None if amount is None else float(amount))
            book.requirement_cells[(line_id, y)] = f"{sh.ref}!${col(c)}${r}"
        values.append(
            sum_of(f"{col(year_cols[0])}{r}", f"{col(year_cols[-1])}{r}") if years else 0.0
        )
        sh.append(values, row_styles)
        data_rows.append(r)
    if not data_rows or not years:
        sh.note("No budget lines with requirements in this plan.")
        return

    first, last = data_rows[0], data_rows[-1]
    lead_blank: list[CellValue] = [None] * (n_lead - 1)
    lead_styles: list[StyleKey | None] = [None] * (n_lead - 1)
    total_letter = col(total_col)
    sh.append(
        [
            "Total",
            *lead_blank,
            *[sum_of(f"{col(c)}{first}", f"{col(c)}{last}") for c in [*year_cols, total_col]],
        ],
        ["label", *lead_styles, *repeat("usd_total", len(years) + 1)],
    )
    book.check(
        sh,
        "Requirements",
        "Total",
        {"Total (USD)": (total_letter, float(req["requirement_usd"].sum()))},
    )
    subtotal_styles = ["text", *lead_styles, *repeat("usd", len(years) + 1)]
    head_tail = labels(table[n_lead:])

    def subtotal(table_name: str, key: str, per_year: list[Formula], at_export: float) -> None:
        r = sh.row + 1
        row_total = sum_of(f"{col(year_cols[0])}{r}", f"{col(year_cols[-1])}{r}")
        sh.append([key, *lead_blank, *per_year, row_total], subtotal_styles)
        book.check(sh, table_name, key, {"Total (USD)": (total_letter, at_export)})

    # Category subtotals: SUMIFS on the Category column (criterion: the label cell).
    by_cat = m.by_category.set_index("category")["requirement_usd"]
    cat = col(CATEGORY_COL)
    categories = list(CATEGORIES) + sorted(set(map(str, by_cat.index)) - set(CATEGORIES))
    sh.block("Subtotals by category", rows=len(categories) + 1)
    sh.header(["Category", *[""] * (n_lead - 1), *head_tail], ["#activity+category"])
    for category in categories:
        r = sh.row + 1
        per_year = [
            Formula(
                "="
                + sumifs(
                    f"{col(c)}${first}:{col(c)}${last}", (f"{cat}${first}:{cat}${last}", f"$A{r}")
                )
            )
            for c in year_cols
        ]
        subtotal(
            "Requirements by category",
            label("category", category),
            per_year,
            float(by_cat.get(category, 0.0)),
        )

    # Pillar subtotals: requirement x share in the pillar (SUMPRODUCT over the share column).
    sh.block("Subtotals by pillar", rows=len(PILLARS) + 1)
    sh.header(["Pillar", *[""] * (n_lead - 1), *head_tail], ["#sector+pillar"])
    by_pillar = m.by_pillar.set_index("pillar")["requirement_usd"]
    for pillar, share_col in zip(PILLARS, share_cols, strict=True):
        s = col(share_col)
        per_year = [
            Formula(f"=SUMPRODUCT({col(c)}${first}:{col(c)}${last},{s}${first}:{s}${last})")
            for c in year_cols
        ]
        subtotal("Requirements by pillar", pillar, per_year, float(by_pillar.get(pillar, 0.0)))
