"""The appeal document's content, built once from a run: every section, table and figure.

:func:`appeal_document` reads one :class:`appeal.pipeline.PlanRun` through the workbook's book
model (:func:`appeal.workbook.model.book_model`, so the document, the workbook and the JSON
show the same figures, computed in one place) and returns a :class:`~appeal.document.blocks.
Document`:

cover           title, horizon, as-at date, scenario, DRAFT when the scenario is not a saved
                one, the illustrative-figures note
At a glance     the headline figures (to the dollar, as in the JSON)
Strategic       UNOCT leadership, Compact coordination, flagships; human rights, gender and
priorities      civil society as cross-cutting commitments, each with what it needs and has
Requirements    by year and by category, tables and charts
and funding
The gaps and    the largest unmet requirements by priority, what USD 1 million of flexible
the asks        money would fund, programmes below minimum viable, money not yet usable
The donor base  breadth, concentration (HHI against the 2010 guidelines' bands), flexible
                share against the 30% aim, multi-year share, the largest donors
Programmes      one page per programme: need, funded, gap by year; the case for it; expected
                results and indicators (from the programmes' narrative columns)
How the         the allocation model in plain words, with this scenario's settings
allocation works
Data annex      every line-year, the scenario's parameters, notes and sources

Confidential donors appear under their aliases everywhere; any text that might quote one
(explanations, narratives) is scrubbed too (:func:`models.privacy.name_scrubber`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from appeal.document import charts
from appeal.document.blocks import (
    Align,
    Block,
    Bullets,
    Cover,
    Document,
    Figure,
    KeyFigures,
    Meta,
    Paragraph,
    Section,
    Table,
    map_text,
)
from appeal.document.charts import Chart
from appeal.workbook.model import SOFTWARE, BookModel, book_model
from appeal.workbook.sheets.assumptions import scenario_parameters
from appeal.workbook.values import as_float, as_int, horizon
from models import donor_base
from models.concentration import HHI_NOTE, hhi_band
from models.formulation import TARGET_THEMES
from models.labels import label, labels, parameter_label, sentence
from models.narrative import Narrative
from models.plan import CATEGORIES, split_list

if TYPE_CHECKING:
    from appeal.pipeline import PlanRun

__all__ = ["SECTION_TITLES", "appeal_document", "long_date", "usd"]

SECTION_TITLES = (
    "The appeal at a glance",
    "Strategic priorities",
    "Requirements and funding",
    "The gaps and the asks",
    "The donor base",
    "Programmes",
    "How the allocation works",
    "Data annex",
)
TOP_GAPS = 15
TOP_DONORS = 10
CROSS_CUTTING = ("human_rights", "gender", "civil_society")


def usd(value: float) -> str:
    """Money as the document prints it: to the dollar."""
    return f"USD {value:,.0f}"


def long_date(day: dt.date) -> str:
    """ "1 December 2026"."""
    return f"{day.day} {day:%B %Y}"


def _pct(value: float) -> str:
    return f"{value:.1%}"


def appeal_document(
    run: PlanRun,
    *,
    as_at: dt.date | None = None,
    draft: bool = False,
    reveal: bool = False,
) -> Document:
    """The appeal document for ``run``. ``draft``: the scenario is not a saved one (the cover
    and every page say so); ``reveal``: name confidential donors (internal use only)."""
    m = book_model(run, reveal=reveal)
    day = as_at or dt.date.today()
    span = horizon(m.years)
    title = m.plan.title
    sections = (
        _glance(m),
        _priorities(m),
        _requirements(m),
        _gaps(m),
        _donor_base(m),
        *_programmes(m),
        _how_it_works(m),
        _annex(m),
    )
    lines = [f"Scenario: {m.scenario.name}", f"Generated {m.generated} by {SOFTWARE} {m.version}"]
    if m.plan.illustrative:
        lines.append("ILLUSTRATIVE FIGURES: sample data, not actual pledges or requirements.")
    if m.reveal:
        lines.append("INTERNAL: confidential donors are named in this copy.")
    else:
        lines.append("Donors who asked for confidentiality appear as 'Anonymous donor N'.")
    cover = Cover(
        title=title,
        subtitle=f"Multi-Year Appeal {span} of the UN counter-terrorism architecture",
        as_at=f"As at {long_date(day)}",
        lines=tuple(lines),
        draft=draft,
    )
    meta = Meta(
        title=title,
        subject=f"Multi-Year Appeal {span}: requirements, funding, gaps and asks",
        author=f"UNOCT resource mobilization ({SOFTWARE})",
        keywords="UNOCT; Global Counter-Terrorism Coordination Compact; multi-year appeal",
    )
    footer = f"{title} · as at {long_date(day)}" + (" · DRAFT" if draft else "")
    doc = Document(meta=meta, cover=cover, sections=sections, footer=footer)
    scrubbed: Document = map_text(doc, m.scrub)
    return scrubbed


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------
def _glance(m: BookModel) -> Section:
    t = m.result.totals()
    b = m.breadth
    aim = as_float(b.get("grand_bargain_target", donor_base.GRAND_BARGAIN_TARGET))
    span = horizon(m.years)
    lead = (
        f"The appeal seeks {usd(t['requirement_usd'])} over {span}. Pledges to date fund "
        f"{usd(t['funded_usd'])} ({_pct(t['coverage'])} of it), of which "
        f"{usd(t['firm_usd'])} is firm (committed or paid). {usd(t['gap_usd'])} remains to "
        "be raised."
    )
    figures = KeyFigures(
        (
            ("Requirement", usd(t["requirement_usd"])),
            ("Funded", usd(t["funded_usd"])),
            ("of which firm", usd(t["firm_usd"])),
            ("Gap", usd(t["gap_usd"])),
            ("Coverage", _pct(t["coverage"])),
            ("Donors", f"{as_int(b.get('donor_count', 0))}"),
            ("Flexible share", f"{_pct(as_float(b.get('flexible_share', 0.0)))} (aim {aim:.0%})"),
        )
    )
    return Section(
        SECTION_TITLES[0],
        (
            Paragraph(lead, "lead"),
            figures,
            Paragraph(
                "Money is shown in programmable US dollars: what reaches programmes after "
                "programme support cost. Funded money includes pledges not yet committed; the "
                "firm part is what has been committed or paid."
            ),
        ),
    )


def _category_figures(m: BookModel) -> pd.DataFrame:
    by_cat = m.by_category.set_index("category")
    codes = [c for c in CATEGORIES if c in by_cat.index]
    codes += sorted(set(map(str, by_cat.index)) - set(CATEGORIES) - {""})
    return by_cat.loc[codes]


def _money_table(
    keys: Sequence[str], frame: pd.DataFrame, first: str, caption: str, *, firm: bool = False
) -> Table:
    """Requirement / funded (/ firm) / gap / coverage per key, with a total row."""
    rows = []
    for key, r in zip(keys, frame.itertuples(index=False), strict=True):
        req, funded = as_float(r.requirement_usd), as_float(r.funded_usd)
        rows.append(
            (
                key,
                usd(req),
                usd(funded),
                *([usd(as_float(r.firm_usd))] if firm else []),
                usd(req - funded),
                _pct(funded / req if req > 0 else 0.0),
            )
        )
    req_t, funded_t = as_float(frame["requirement_usd"].sum()), as_float(frame["funded_usd"].sum())
    firm_t = [usd(as_float(frame["firm_usd"].sum()))] if firm else []
    rows.append(
        (
            "Total",
            usd(req_t),
            usd(funded_t),
            *firm_t,
            usd(req_t - funded_t),
            _pct(funded_t / req_t if req_t else 0.0),
        )
    )
    columns = (first, "Requirement", "Funded", *(["Firm"] if firm else []), "Gap", "Coverage")
    right: list[Align] = ["right"] * (len(columns) - 1)
    align: tuple[Align, ...] = ("left", *right)
    # The key column as wide as its longest key needs (a year is short, a category is not).
    key_width = min(2.6, max(0.8, max((len(k) for k in keys), default=4) / 10))
    widths = (key_width, *([1.6] * (len(columns) - 2)), 1.0)
    return Table(columns, tuple(rows), align, widths, caption, total=True)


def _priorities(m: BookModel) -> Section:
    cats = _category_figures(m)
    blocks: list[Block] = [
        Paragraph(
            "The appeal is organised around the priorities of the Global Counter-Terrorism "
            "Strategy review: mostly unearmarked money to invest in UNOCT's leadership, in the "
            "coordination of the Global Counter-Terrorism Coordination Compact and in a few "
            "flagship programmes, alongside earmarked money for the programmes of the other "
            "Compact entities.",
            "lead",
        )
    ]
    promises = {
        "leadership": "UNOCT leadership sets direction, mobilises resources and reports on "
        "results every two years.",
        "coordination": "Compact coordination lets the 40-odd Compact entities plan, programme "
        "and report as one.",
        "flagship": "Flagship programmes carry the appeal's largest, most strategic work.",
        "entity": "Compact entities' programmes bring each entity's mandate and reach.",
    }
    bullets = []
    for code, r in cats.iterrows():
        req, funded = as_float(r["requirement_usd"]), as_float(r["funded_usd"])
        bullets.append(
            f"{label('category', code)}: {usd(req)} needed, {usd(funded)} funded "
            f"({_pct(funded / req if req else 0.0)}). {promises.get(str(code), '')}".strip()
        )
    blocks.append(Bullets(tuple(bullets)))
    blocks.append(
        _money_table([label("category", c) for c in cats.index], cats, "Category", "By category")
    )
    blocks.append(
        Paragraph(
            "Human rights, gender and civil society are commitments across the whole appeal, "
            "not separate programmes: lines that carry them are tagged, and the scenario can "
            "set a share of all the money they must receive."
        )
    )
    targets = {str(t.name): t for t in m.result.targets.itertuples(index=False)}
    tagged = []
    for theme in CROSS_CUTTING:
        lines = [
            str(p.line_id)
            for p in m.programmes.itertuples(index=False)
            if theme in split_list(p.themes)
        ]
        rows = m.lines.loc[m.lines["line_id"].isin(lines)]
        req, funded = as_float(rows["requirement_usd"].sum()), as_float(rows["funded_usd"].sum())
        target_name = next((k for k, v in TARGET_THEMES.items() if v == theme), "")
        target = targets.get(target_name)
        aim = (
            f"; the scenario's target is {_pct(as_float(target.target))} of all money, achieved "
            f"{_pct(as_float(target.achieved))}"
            if target is not None
            else ""
        )
        tagged.append(
            f"{label('theme', theme)}: {len(lines)} lines tagged, needing {usd(req)} and "
            f"funded {usd(funded)}{aim}."
        )
    blocks.append(Bullets(tuple(tagged)))
    return Section(SECTION_TITLES[1], tuple(blocks))


def _requirements(m: BookModel) -> Section:
    by_year = m.lines.groupby("year")[["requirement_usd", "funded_usd", "firm_usd"]].sum()
    by_year = by_year.reindex(list(m.years), fill_value=0.0)
    years = [str(y) for y in by_year.index]
    year_chart = _figure(
        "Requirements and funding by year",
        "Bar chart of requirements and funding by year in USD million: "
        + _pairs(years, by_year)
        + ".",
        charts.grouped_bars(
            "Requirements and funding by year",
            years,
            [
                ("Requirement", list(by_year["requirement_usd"])),
                ("Funded", list(by_year["funded_usd"])),
            ],
        ),
    )
    cats = _category_figures(m)
    names = [label("category", c) for c in cats.index]
    cat_chart = _figure(
        "Requirements and funding by category",
        "Bar chart of requirements and funding by category in USD million: "
        + _pairs(names, cats)
        + ".",
        charts.grouped_bars(
            "Requirements and funding by category",
            names,
            [
                ("Requirement", list(cats["requirement_usd"])),
                ("Funded", list(cats["funded_usd"])),
            ],
            horizontal=True,
        ),
    )
    return Section(
        SECTION_TITLES[2],
        (
            Paragraph(
                "Requirements are what each budget line needs in each year; funding is what "
                "the plan allocates to it from the pledges, money never spent before it "
                "arrives.",
                "lead",
            ),
            _money_table(years, by_year, "Year", "By year", firm=True),
            year_chart,
            _money_table(names, cats, "Category", "By category"),
            cat_chart,
        ),
    )


def _figure(title: str, alt: str, chart: Chart) -> Figure:
    return Figure(title, alt, chart.png, chart.words)


def _pairs(keys: Sequence[str], frame: pd.DataFrame) -> str:
    """ "key: requirement USD x, funded USD y; ..." (a chart's description)."""
    return "; ".join(
        f"{k}: requirement {usd(as_float(r.requirement_usd))}, funded {usd(as_float(r.funded_usd))}"
        for k, r in zip(keys, frame.itertuples(index=False), strict=True)
    )


def _gaps(m: BookModel) -> Section:
    ranked = m.ranked_gaps.head(TOP_GAPS)
    blocks: list[Block] = [
        Paragraph(
            "The asks, highest priority first: within each priority tier, the largest unmet "
            "requirements. Priority tiers: 1 critical, 2 high, 3 medium, 4 low.",
            "lead",
        ),
        Table(
            ("Programme", "Entity", "Priority", "Gap", "Coverage"),
            tuple(
                (
                    f"{g.name} ({g.line_id})",
                    str(g.entity),
                    f"{as_int(g.priority)} ({label('priority', as_int(g.priority)).lower()})",
                    usd(as_float(g.gap_usd)),
                    _pct(as_float(g.coverage)),
                )
                for g in ranked.itertuples(index=False)
            ),
            ("left", "left", "left", "right", "right"),
            (3.6, 1.1, 1.1, 1.5, 0.9),
            f"The {len(ranked)} largest asks (of {len(m.ranked_gaps)} lines with a gap)",
        ),
    ]
    nm = m.result.next_million
    if len(nm):
        blocks.append(
            Paragraph(
                "Where the next USD 1 million of unearmarked money would go, under this "
                "scenario's priorities (net changes; money can move between lines):"
            )
        )
        blocks.append(
            Table(
                ("Programme", "Year", "Change"),
                tuple(
                    (
                        f"{m.names.get(str(n.line_id), str(n.line_id))} ({n.line_id})",
                        str(as_int(n.year)),
                        usd(as_float(n.amount_usd)),
                    )
                    for n in nm.itertuples(index=False)
                ),
                ("left", "left", "right"),
                (4.0, 0.8, 1.5),
            )
        )
    cut = m.result.min_viable
    cut = cut.loc[cut["status"] == "cut"] if len(cut) else cut
    if len(cut):
        blocks.append(
            Bullets(
                tuple(
                    f"{m.names.get(str(c.line_id), str(c.line_id))}: below its minimum viable "
                    f"{as_float(c.min_viable_share):.0%} of {usd(as_float(c.requirement_usd))}, so "
                    "it receives nothing until enough money is pledged for it."
                    for c in cut.itertuples(index=False)
                )
            )
        )
    un = m.result.unallocated
    if len(un):
        by_reason = un.groupby("reason")["amount_usd"].sum().sort_values(ascending=False)
        blocks.append(Paragraph("Pledged money the plan cannot use yet, and why:"))
        blocks.append(
            Bullets(
                tuple(
                    f"{usd(as_float(v))}: {sentence('unallocated', k)}"
                    for k, v in by_reason.items()
                )
            )
        )
    return Section(SECTION_TITLES[3], tuple(blocks))


def _donor_base(m: BookModel) -> Section:
    b = m.breadth
    aim = as_float(b.get("grand_bargain_target", donor_base.GRAND_BARGAIN_TARGET))
    hhi = as_float(b.get("hhi", 0.0))
    flex = as_float(b.get("flexible_share", 0.0))
    blocks: list[Block] = [
        Paragraph(
            f"{as_int(b.get('donor_count', 0))} donors give to the appeal; their money is worth "
            f"that of {as_float(b.get('effective_donors', 0.0)):.1f} equal donors. The largest "
            f"donor gives {_pct(as_float(b.get('top1_share', 0.0)))} and the top three "
            f"{_pct(as_float(b.get('top3_share', 0.0)))} of the programmable money. Its "
            f"concentration index (HHI) is {hhi:,.0f}: {hhi_band(hhi)} ({HHI_NOTE}).",
            "lead",
        ),
        Paragraph(
            f"Flexible money — unearmarked or softly earmarked — is {_pct(flex)} of the total "
            f"against the Grand Bargain and UN Funding Compact aim of {aim:.0%}"
            + (
                "."
                if flex >= aim
                else f"; {usd(as_float(b.get('flexible_gap_to_target_usd', 0.0)))} more flexible "
                "money would reach it."
            )
            + f" {_pct(as_float(b.get('multiyear_share', 0.0)))} of the money is pledged for more "
            "than one year."
        ),
    ]
    earmarking = dict(b.get("by_earmarking") or {})
    if earmarking:
        names = [label("earmarking", k) for k in earmarking]
        values = [as_float(v) for v in earmarking.values()]
        blocks.append(
            _figure(
                "Money by earmarking",
                "Bar chart of the share of programmable money by earmarking: "
                + "; ".join(f"{n} {v:.1%}" for n, v in zip(names, values, strict=True))
                + f"; the flexible-money aim is {aim:.0%}.",
                charts.shares(
                    "Money by earmarking",
                    names,
                    values,
                    aim=(f"{aim:.0%} flexible-money aim", aim),
                ),
            )
        )
    donors = list(b.get("donors") or [])[:TOP_DONORS]
    if donors:
        blocks.append(
            Table(
                ("Donor", "Type", "Programmable USD", "Share", "Flexible USD"),
                tuple(
                    (
                        str(d["donor"]),
                        label("donor_type", d.get("donor_type") or "other"),
                        usd(as_float(d.get("programmable_usd", 0.0))),
                        _pct(as_float(d.get("share", 0.0))),
                        usd(as_float(d.get("flexible_usd", 0.0))),
                    )
                    for d in donors
                ),
                ("left", "left", "right", "right", "right"),
                (2.6, 1.6, 1.5, 0.8, 1.5),
                f"The {len(donors)} largest donors",
            )
        )
        blocks.append(
            _figure(
                "The largest donors",
                "Bar chart of the largest donors' programmable money: "
                + "; ".join(
                    f"{d['donor']} {usd(as_float(d.get('programmable_usd', 0.0)))}" for d in donors
                )
                + ".",
                charts.bars(
                    "The largest donors (programmable USD)",
                    [str(d["donor"]) for d in donors],
                    [as_float(d.get("programmable_usd", 0.0)) for d in donors],
                ),
            )
        )
    return Section(SECTION_TITLES[4], tuple(blocks))


def _programmes(m: BookModel) -> list[Section]:
    why = {str(e.line_id): str(e.text) for e in m.explanations.itertuples(index=False)}
    intro = Section(
        SECTION_TITLES[5],
        (
            Paragraph(
                f"One page per programme, {len(m.programmes)} in all, by category: what it "
                "needs, what it has, its gap, the case for it, and the results it promises.",
                "lead",
            ),
        ),
    )
    out = [intro]
    order = {c: i for i, c in enumerate(CATEGORIES)}
    progs = sorted(
        m.programmes.itertuples(index=False),
        key=lambda p: (order.get(str(p.category), 9), str(p.line_id)),
    )
    for p in progs:
        out.append(_programme(m, p, m.narratives.get(str(p.line_id), Narrative()), why))
    return out


def _programme(m: BookModel, p: Any, n: Narrative, why: dict[str, str]) -> Section:
    """One programme's page (``p``: its row of the programmes table)."""
    line_id = str(p.line_id)
    rows = m.lines.loc[m.lines["line_id"] == line_id].sort_values("year")
    facts = (
        f"{label('category', p.category)} · {p.entity} · pillars "
        f"{', '.join(split_list(p.pillars)) or '-'} · priority "
        f"{as_int(p.priority)} ({label('priority', as_int(p.priority)).lower()})"
    )
    themes = labels("theme", split_list(p.themes))
    blocks: list[Block] = [Paragraph(facts + (f" · {themes}" if themes else ""), "note")]
    table = _money_table(
        [str(as_int(y)) for y in rows["year"]], rows, "Year", "Need, funding and gap by year"
    )
    blocks.append(table)
    if line_id in why:
        blocks.append(Paragraph(f"Why it is funded as it is: {why[line_id]}"))
    if n.summary:
        blocks.append(Paragraph(n.summary))
    if n.case_for_support:
        blocks.append(Paragraph("The case for support", "lead"))
        blocks.append(Paragraph(n.case_for_support))
    if n.expected_results:
        blocks.append(Paragraph("Expected results", "lead"))
        blocks.append(Bullets(n.expected_results))
    if n.indicators:
        blocks.append(
            Table(
                ("Indicator", "Baseline", "Target"),
                tuple((i.name, i.baseline or "-", i.target or "-") for i in n.indicators),
                ("left", "left", "left"),
                (4.0, 1.2, 1.2),
                "Performance indicators",
            )
        )
    if n.empty:
        blocks.append(
            Paragraph(
                "The narrative for this programme (summary, case for support, expected "
                "results and indicators) has not been provided yet.",
                "note",
            )
        )
    return Section(f"{p.name} ({line_id})", tuple(blocks), level=2)


def _how_it_works(m: BookModel) -> Section:
    s = m.scenario
    tiers = ", ".join(f"tier {k} counts {v:g}" for k, v in sorted(s.weights.tier.items()))
    share = s.weights.tranche_share
    targets = [
        f"{label('target', t.name).lower()}: at least {_pct(as_float(t.target))}"
        for t in m.result.targets.itertuples(index=False)
    ]
    items = [
        "Every pledge is converted to US dollars at the UN operational rate and reduced by "
        "its programme support cost; what remains is programmable money.",
        "Earmarks are always respected: unearmarked money may fund any programme, softly "
        "earmarked money only programmes of its pillar, theme, category or entity, earmarked "
        "money only its programme.",
        "Money is never spent before it arrives; money that arrives early is carried forward "
        "to later years. No programme receives more than it needs in a year.",
        f"Within those rules the plan funds the highest priorities first ({tiers}), and within "
        f"a priority tier every programme receives the first {share:.0%} of each year's need "
        "before any receives the rest.",
    ]
    if s.min_viable:
        items.append(
            "A programme with a minimum viable share receives either nothing or at least that "
            "share of its multi-year need: half a programme that cannot run helps no one."
        )
    if targets:
        items.append(
            "Policy targets guide the plan and are reported when not met: "
            + "; ".join(targets)
            + "."
        )
    return Section(
        SECTION_TITLES[6],
        (
            Paragraph(
                "The plan is computed, not negotiated line by line: an optimisation model "
                "allocates every pledged dollar by the same published rules.",
                "lead",
            ),
            Bullets(tuple(items)),
            Paragraph(
                "Each programme's page says why it is funded as it is. The data annex lists "
                "every figure; the Excel workbook carries the same figures as live formulas."
            ),
        ),
    )


def _annex(m: BookModel) -> Section:
    lines = m.lines.sort_values(["line_id", "year"])
    rows = tuple(
        (
            str(r.line_id),
            str(as_int(r.year)),
            usd(as_float(r.requirement_usd)),
            usd(as_float(r.funded_usd)),
            usd(as_float(r.firm_usd)),
            usd(as_float(r.gap_usd)),
        )
        for r in lines.itertuples(index=False)
    )
    t = m.result.totals()
    total = (
        "Total",
        "",
        usd(t["requirement_usd"]),
        usd(t["funded_usd"]),
        usd(t["firm_usd"]),
        usd(t["gap_usd"]),
    )
    annex = Table(
        ("Line", "Year", "Requirement", "Funded", "Firm", "Gap"),
        (*rows, total),
        ("left", "left", "right", "right", "right", "right"),
        (1.2, 0.6, 1.5, 1.5, 1.5, 1.5),
        "Every budget line by year (programmable USD)",
        total=True,
    )
    params = tuple(
        (parameter_label(k), _word(v))
        for k, v in scenario_parameters(m)
        if not k.startswith(("solver", "time_limit", "mip_gap", "risk."))
    )
    notes = [
        "Amounts are unrounded in the data and shown to the dollar here; totals may differ "
        "from the sum of rounded rows by a dollar.",
        f"Concentration bands: {HHI_NOTE}.",
        "Flexible-money aim: the Grand Bargain and UN Funding Compact's 30% of contributions "
        "unearmarked or softly earmarked.",
        "Donors who asked for confidentiality appear as 'Anonymous donor N' in every table, "
        "chart and sentence."
        if not m.reveal
        else "Confidential donors are named: internal use.",
    ]
    if m.plan.illustrative:
        notes.insert(0, "ILLUSTRATIVE FIGURES: the amounts are sample data.")
    return Section(
        SECTION_TITLES[7],
        (
            annex,
            Table(
                ("Scenario parameter", "Value"),
                params,
                ("left", "left"),
                (3.5, 2.5),
                f"Scenario: {m.scenario.name}",
            ),
            Bullets(tuple(notes)),
        ),
    )


def _word(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
