"""The public table contract: every column of every table the planner reads, holds or writes.

This module is the one home of the input contract (DESIGN.md "Input contract"). Each
:class:`Table` lists its :class:`Column` declarations — name, kind, required or optional,
default, aliases, HXL hashtags, help text, an example, allowed values — and everything else is
derived from them:

- the pandera schemas of the plan's tables (:mod:`models.schemas`);
- the plan's in-memory column lists (:mod:`models.plan`);
- the reader's header aliases, HXL map, header anchors and year/criterion patterns
  (:mod:`appeal.spreadsheet`) and the importer's per-column parsing (:mod:`appeal.importer`);
- the blank pledge template's columns, help and drop-downs (:mod:`appeal.template`);
- the appeal workbook's Pledges header and HXL row (:mod:`appeal._workbook_pledges`);
- the register's SQL columns (:mod:`appeal.register`) and the ``appeal pledges`` listing;
- the headers of the sample-data generator and of the import benchmark.

Adding a column is a declaration here: a new optional column of an existing kind (a
``pledge_date``, ``in_kind`` flag, programme narrative fields ...) is then read, validated,
stored, listed and written without further code. A new table is a new :class:`Table`; an
import profile for a foreign layout (``--format fts``) is an :class:`ImportProfile` mapping
that layout's headers onto these columns.

Two names per column: ``name`` is what files call it (``year``, ``pillar``), ``field`` the
plan's column it fills (``first_year``, ``pillars``); most columns use one name for both.
Columns with ``in_files=False`` exist only in the plan (where a pledge row came from) and
tables with ``in_files=False`` are derived by the planner (tranches).

Vocabularies (earmarking, status, category, donor type, pillar, priority words) live here too,
with the spellings users write and the readable labels files show. Pure: no I/O, no pandas.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

#: Programme support cost when a pledge does not say (UN trust funds: 13%).
DEFAULT_PSC_RATE = 0.13
#: Calendar years accepted anywhere in the contract.
FIRST_YEAR, LAST_YEAR = 2000, 2100
#: Longest pledge (years over which one pledge may be spread).
MAX_YEARS = 20
#: Longest code (line_id, pledge_id, iati_org_id) and name (donor, programme name).
CODE_LENGTH, NAME_LENGTH = 64, 200
#: Largest sum of money in US dollars one pledge, tranche or requirement may hold: far above
#: any real appeal, far below what breaks the arithmetic of the model (1e308 does).
MAX_USD = 1e12
#: Smallest pledge in US dollars: a cent (smaller amounts are typos or attacks on the solver's
#: tolerances, never money).
MIN_USD = 0.01
#: Exchange rates accepted, in units of the currency per US dollar (real ones are between
#: about 0.3 and 100,000; 1e-320 would turn a pledge into infinite dollars).
MIN_UNITS_PER_USD, MAX_UNITS_PER_USD = 1e-6, 1e6
#: Largest tranche in a pledge's own currency: MAX_USD at the weakest accepted rate. (A
#: pledge's total is checked in US dollars, against MAX_USD, where its rate is known.)
MAX_AMOUNT = MAX_USD * MAX_UNITS_PER_USD

#: How a column's cells are read and its values typed. ``code``/``text``/``choice``/
#: ``pillars``/``themes``/``currency``/``date`` hold text; ``int``/``year``/``priority`` whole
#: numbers; ``number``/``share``/``usd``/``money`` real numbers (``usd``: in US dollars,
#: ``money``: in the row's currency, possibly written with it: "EUR 1.5m"); ``bool`` yes/no.
Kind = Literal[
    "code",
    "text",
    "choice",
    "pillars",
    "themes",
    "currency",
    "date",
    "int",
    "year",
    "priority",
    "number",
    "share",
    "usd",
    "money",
    "bool",
]
TEXT_KINDS: frozenset[str] = frozenset(
    {"code", "text", "choice", "pillars", "themes", "currency", "date"}
)
INT_KINDS: frozenset[str] = frozenset({"int", "year", "priority"})
FLOAT_KINDS: frozenset[str] = frozenset({"number", "share", "usd", "money"})


def python_type(kind: str) -> type:
    """The type of a kind's values in the plan's tables."""
    if kind in INT_KINDS:
        return int
    if kind in FLOAT_KINDS:
        return float
    if kind == "bool":
        return bool
    return str


@dataclass(frozen=True)
class Vocabulary:
    """The allowed values of a column, with the other spellings users write for them.

    ``values`` are canonical and in display order; ``aliases`` maps a value to further accepted
    spellings (compared ignoring case, spaces and underscores by the reader). Files show a
    value by its :meth:`label` ("softly earmarked" for ``softly_earmarked``).
    """

    values: tuple[str, ...]
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def label(self, value: str) -> str:
        return value.replace("_", " ")

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.label(v) for v in self.values)

    def spellings(self) -> Iterator[tuple[str, str]]:
        """(spelling, canonical value): every value first (in order), then the aliases."""
        for value in self.values:
            yield value, value
        for value in self.values:
            for alias in self.aliases.get(value, ()):
                yield alias, value


CATEGORY = Vocabulary(("leadership", "coordination", "flagship", "entity"))
PILLAR = Vocabulary(
    ("I", "II", "III", "IV"),
    {"I": ("1",), "II": ("2",), "III": ("3",), "IV": ("4",)},
)
EARMARKING = Vocabulary(
    ("unearmarked", "softly_earmarked", "earmarked", "tightly_earmarked"),
    {"softly_earmarked": ("soft", "soft earmarked"), "tightly_earmarked": ("tight",)},
)
STATUS = Vocabulary(("pledged", "committed", "paid"))
DONOR_TYPE = Vocabulary(
    ("member_state", "intergovernmental", "private", "un_fund", "other"),
    {
        "member_state": ("government", "state"),
        "intergovernmental": (
            "igo",
            "intergovernmental organisation",
            "intergovernmental organization",
        ),
        "private": ("foundation", "private sector"),
    },
)
#: Priority tiers 1-4 may be written as words.
PRIORITY_WORDS: Mapping[str, int] = {"critical": 1, "high": 2, "medium": 3, "low": 4}
#: What a soft earmark may name (``pillar:II``, ``theme:gender`` ...).
EARMARK_TARGET_KINDS: tuple[str, ...] = ("pillar", "theme", "category", "entity")
#: Earmarking categories whose money is flexible (Grand Bargain), and firm pledge statuses.
FLEXIBLE_EARMARKING: frozenset[str] = frozenset({"unearmarked", "softly_earmarked"})
FIRM_STATUSES: frozenset[str] = frozenset({"committed", "paid"})

_SAME = "\x00same"  # sentinel: the plan column has the file column's name


@dataclass(frozen=True)
class Column:
    """One column: how files name it, what it holds, how it is checked and shown.

    ``required``: every row must give a value. ``conditional``: required in some rows only
    (the help says when), so the reader and template treat it as optional. ``default``: the
    value of a blank optional cell. ``rule``: the message for a broken value rule when the
    generated one ("amount must be greater than 0") reads badly. ``width``: characters shown
    in the template and the workbook. ``written=False``: accepted when read but not part of
    the layout the tool writes (another column carries the same information).
    """

    name: str
    kind: Kind
    help: str
    example: object = None
    required: bool = False
    conditional: bool = False
    default: object = None
    aliases: tuple[str, ...] = ()
    hxl: tuple[str, ...] = ()
    label: str = ""
    field: str | None = _SAME
    in_files: bool = True
    written: bool = True
    vocabulary: Vocabulary | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    max_length: int | None = None
    pattern: str | None = None
    unique: bool = False
    nullable: bool = False
    references: str | None = None  # "table.field" every value must appear in
    rule: str | None = None
    width: float = 14.0

    def __post_init__(self) -> None:
        if self.field == _SAME:
            object.__setattr__(self, "field", self.name)
        if not self.label:
            object.__setattr__(self, "label", self.name.replace("_", " ").capitalize())

    @property
    def stored(self) -> bool:
        """True when the column fills a plan column."""
        return self.field is not None

    @property
    def plan_name(self) -> str:
        """The plan column this fills (for columns that fill one)."""
        assert self.field is not None, f"{self.name} fills no plan column"
        return self.field

    @property
    def hashtag(self) -> str:
        """The HXL hashtag written for this column ("" when it has none)."""
        return self.hxl[0] if self.hxl else ""

    def help_text(self) -> str:
        """The help with its "Required." / "Optional (default ...)." prefix, as users read it."""
        if self.required:
            return f"Required. {self.help}"
        if self.conditional:
            return self.help
        if self.default is None or self.default == "":
            return f"Optional. {self.help}"
        shown = ("yes" if self.default else "no") if self.kind == "bool" else self.default
        return f"Optional (default {shown}). {self.help}"


@dataclass(frozen=True)
class ColumnPattern:
    """A family of columns named with a year or a word: ``amount_2027``, ``req_2028``,
    ``score_innovation``. ``regexes`` match header spellings (already lower-cased and stripped
    of spaces, underscores and hyphens) and capture the year or word; ``name``, ``label`` and
    ``hxl`` are templates with ``{}`` for it."""

    name: str
    kind: Kind
    help: str
    regexes: tuple[str, ...]
    label: str = ""
    hxl: str = ""
    minimum: float | None = None
    maximum: float | None = None

    def column_name(self, part: object) -> str:
        return self.name.format(part)

    def column_label(self, part: object) -> str:
        return (self.label or self.name).format(part)

    def hashtag(self, part: object) -> str:
        return self.hxl.format(part) if self.hxl else ""

    @property
    def prefix(self) -> str:
        """What every column of the family starts with ("amount_")."""
        return self.name.split("{}")[0]


@dataclass(frozen=True)
class Table:
    """One public table: its columns in file order (then plan-only ones) and its rules.

    ``anchors``: file columns a header row must contain to be recognised as this table's.
    ``key``: plan columns identifying a row (unique; the register's primary key).
    ``key_rule``: the message when the key repeats (composite keys). ``in_files=False``:
    derived by the planner, never read from a file.
    """

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    anchors: tuple[str, ...] = ()
    patterns: tuple[ColumnPattern, ...] = ()
    key_rule: str = ""
    in_files: bool = True

    @cached_property
    def file_columns(self) -> tuple[Column, ...]:
        """Columns files may carry, in file order (none for tables the planner derives)."""
        return tuple(c for c in self.columns if c.in_files) if self.in_files else ()

    @cached_property
    def written(self) -> tuple[Column, ...]:
        """Columns of the layout the tool writes (template, workbook, samples), in order."""
        return tuple(c for c in self.file_columns if c.written)

    @cached_property
    def plan_columns(self) -> tuple[Column, ...]:
        """Columns of the plan's table, in order (one per plan column)."""
        return tuple(c for c in self.columns if c.stored)

    @cached_property
    def fields(self) -> list[str]:
        """Names of the plan's table columns, in order."""
        return [c.plan_name for c in self.plan_columns]

    def column(self, name: str) -> Column:
        """The column with this file name (or, failing that, this plan name)."""
        for c in self.columns:
            if c.name == name:
                return c
        for c in self.columns:
            if c.field == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    def pattern(self, name: str) -> ColumnPattern:
        for p in self.patterns:
            if p.name == name:
                return p
        raise KeyError(f"{self.name} has no column pattern {name!r}")


@dataclass(frozen=True)
class ImportProfile:
    """A foreign layout (an FTS or IATI download ...) mapped onto the contract: per table,
    contract column name -> the header spellings that layout uses for it. Selected with
    ``--format NAME``; the reader then accepts those headers as well as the contract's."""

    name: str
    description: str
    headers: Mapping[str, Mapping[str, tuple[str, ...]]]


def _year(name: str, help: str, **kw: Any) -> Column:
    """A calendar-year column (the contract's year range)."""
    return Column(name, "year", help, minimum=FIRST_YEAR, maximum=LAST_YEAR, width=8, **kw)


def _currency(help: str, example: str, aliases: tuple[str, ...], **kw: Any) -> Column:
    """An ISO 4217 currency code column."""
    return Column(
        "currency",
        "currency",
        help,
        example,
        required=True,
        aliases=aliases,
        hxl=("#currency",),
        max_length=3,
        pattern=r"^[A-Z]{3}$",
        rule="currency must be a 3-letter ISO code",
        **kw,
    )


def _name_column(name: str, help: str, example: str, **kw: Any) -> Column:
    """A required name (donor, programme) of at most NAME_LENGTH characters."""
    return Column(name, "text", help, example, required=True, max_length=NAME_LENGTH, **kw)


def _choice(name: str, vocabulary: Vocabulary, example: str, note: str = "", **kw: Any) -> Column:
    """A column holding one of a vocabulary's values; its help lists them as files write them."""
    help = " | ".join(vocabulary.labels) + (f" ({note})." if note else ".")
    return Column(name, "choice", help, example, vocabulary=vocabulary, **kw)


#: Longest narrative text of a budget line (summary, case for support ...).
NARRATIVE_LENGTH = 4_000


def _narrative(name: str, help: str, example: str, **kw: Any) -> Column:
    """An optional free-text narrative column of a budget line."""
    return Column(
        name,
        "text",
        help,
        example,
        default="",
        max_length=NARRATIVE_LENGTH,
        nullable=True,
        width=40,
        **kw,
    )


PROGRAMMES = Table(
    "programmes",
    "Programmes",
    "Budget lines of the appeal, one per row, with their requirement per year.",
    (
        Column(
            "line_id",
            "code",
            "Unique code of the budget line; pledges earmarked to the line name it.",
            "FLAG-01",
            required=True,
            aliases=("line id", "line", "budget line", "programme id", "project id", "code"),
            hxl=("#activity+code", "#activity+id"),
            label="Line ID",
            max_length=CODE_LENGTH,
            unique=True,
        ),
        _name_column(
            "name",
            "Name of the programme or project.",
            "Countering Terrorist Travel (goTravel)",
            aliases=("name", "programme", "programme name", "project", "title", "line name"),
            hxl=("#activity+name", "#activity"),
            width=40,
        ),
        _choice(
            "category",
            CATEGORY,
            "flagship",
            required=True,
            aliases=("category", "line category", "type"),
            hxl=("#sector",),
            max_length=20,
        ),
        Column(
            "entity",
            "text",
            "Implementing Compact entity (UNOCT, UNODC, OHCHR, UN Women ...).",
            "UNOCT",
            required=True,
            aliases=("entity", "implementing entity", "agency", "lead entity"),
            hxl=("#org+impl", "#org"),
            max_length=100,
        ),
        Column(
            "pillar",
            "pillars",
            "Pillar(s) I-IV of the Global Counter-Terrorism Strategy, several separated by ;.",
            "I; IV",
            required=True,
            aliases=("pillar", "pillars", "strategy pillar", "strategy pillars"),
            field="pillars",
            vocabulary=PILLAR,
            max_length=40,
            rule="at least one Strategy pillar (I-IV) is needed",
        ),
        Column(
            "themes",
            "themes",
            "Cross-cutting themes separated by ; (human_rights, gender, civil_society, cft, "
            "border, victims, pve ...).",
            "human_rights; gender",
            default="",
            aliases=("themes", "theme", "tags", "cross-cutting themes"),
            max_length=400,
            nullable=True,
            width=24,
        ),
        Column(
            "priority",
            "priority",
            "Tier 1-4, or critical / high / medium / low.",
            1,
            default=2,
            aliases=("priority", "tier", "priority tier"),
            hxl=("#priority",),
            minimum=1,
            maximum=4,
            width=8,
        ),
        Column(
            "min_viable_share",
            "share",
            "Share 0-1 of the multi-year requirement below which the line is not worth funding.",
            0.4,
            default=0.0,
            aliases=("min viable share", "minimum viable share", "min viable"),
            minimum=0.0,
            maximum=1.0,
        ),
        # The line's narrative (models.narrative reads it for the appeal document, the
        # workbook's Programmes sheet and the focal points' editor).
        _narrative("summary", "One paragraph: what the programme does.", "Illustrative: ..."),
        _narrative(
            "case_for_support",
            "One paragraph: why a donor should fund it now.",
            "Illustrative: ...",
            aliases=("case for support", "case"),
        ),
        _narrative(
            "expected_results",
            "The results it promises, separated by ;.",
            "12 States trained; 3 regional hubs",
        ),
        _narrative(
            "indicators",
            "Performance indicators separated by ;, each 'name: baseline -> target'.",
            "States with API/PNR systems: 9 -> 21",
        ),
    ),
    key=("line_id",),
    anchors=("line_id",),
    patterns=(
        ColumnPattern(
            "req_{}",
            "usd",
            "Requirement of the line in that year, in USD.",
            (
                r"^(?:req|requirement|requirementusd|req usd|need)(\d{4})$",
                r"^(?:requsd|requirement)(\d{4})usd$",
            ),
            minimum=0.0,
            maximum=MAX_USD,
        ),
        ColumnPattern(
            "score_{}",
            "number",
            "Score 0-5 of the line on a scenario criterion (track_record, innovation ...).",
            (r"^score([a-z]+)$",),
            minimum=0.0,
            maximum=5.0,
        ),
    ),
)

REQUIREMENTS = Table(
    "requirements",
    "Requirements",
    "Requirement of each line per year, as a long sheet (instead of req_YYYY columns).",
    (
        Column(
            "line_id",
            "code",
            "The budget line (a line_id of the programmes).",
            "FLAG-01",
            required=True,
            aliases=("line id", "line", "budget line", "programme id"),
            max_length=CODE_LENGTH,
            references="programmes.line_id",
        ),
        _year(
            "year", "The year of the requirement.", example=2027, required=True, aliases=("year",)
        ),
        Column(
            "requirement_usd",
            "usd",
            "Money the line needs in that year, in USD.",
            1_500_000,
            required=True,
            aliases=("requirement usd", "requirement", "amount usd", "need usd"),
            minimum=0.0,
            maximum=MAX_USD,
            rule=f"requirement must not be negative nor above {MAX_USD:g} USD",
        ),
    ),
    key=("line_id", "year"),
    anchors=("line_id", "year", "requirement_usd"),
    key_rule="the same line and year has a requirement twice",
)

PLEDGES = Table(
    "pledges",
    "Pledges",
    "Donor pledges, one per row.",
    (
        Column(
            "pledge_id",
            "code",
            "Your own reference. Left blank, a stable id is made from the row's content.",
            "QA-2027-1",
            default="",
            aliases=("pledge id", "pledge ref", "pledge reference", "reference", "ref", "id"),
            hxl=("#meta+id",),
            label="Pledge ID",
            max_length=CODE_LENGTH,
            unique=True,
        ),
        _name_column(
            "donor",
            "Donor name (member state, organisation, foundation).",
            "Qatar",
            aliases=("donor", "donor name", "funder", "contributor", "partner", "source"),
            hxl=("#org+funder", "#org+donor", "#org"),
            width=30,
        ),
        Column(
            "amount",
            "money",
            "Total gross amount in the pledge currency. Numbers or text such as "
            "1,250,000 / 2m / 2.5k. If text names a currency it must match the currency column.",
            15_000_000,
            required=True,
            aliases=("amount", "pledge amount", "amount pledged", "value", "contribution"),
            hxl=("#value",),
            minimum=0.0,
            exclusive_minimum=True,
            width=16,
        ),
        _currency(
            "ISO 4217 code: USD, EUR, GBP, JPY, SAR, QAR, NOK ...",
            "USD",
            ("currency", "ccy", "currency code", "cur"),
            width=10,
        ),
        _year(
            "year",
            "First year the money is available, e.g. 2027.",
            example=2027,
            required=True,
            aliases=("year", "first year", "start year", "from year", "available from"),
            # #date+start is the HXL dictionary's "when something starts"; #date+year is not
            # an HXL attribute but older appeal workbooks wrote it, so it is still read.
            hxl=("#date+start", "#date+year"),
            field="first_year",
        ),
        Column(
            "years",
            "int",
            "The amount is spread evenly over this many years. "
            "For uneven tranches add columns amount_2027, amount_2028 ... instead.",
            3,
            default=1,
            aliases=("years", "number of years", "duration years", "duration", "n years"),
            hxl=("#meta+years",),
            field=None,
            minimum=1,
            maximum=MAX_YEARS,
            width=8,
        ),
        _year(
            "last_year",
            "Last year the money is available (instead of years).",
            example=2029,
            aliases=("last year", "end year", "to year", "until"),
            hxl=("#date+end",),
            written=False,
        ),
        _choice(
            "earmarking",
            EARMARKING,
            "unearmarked",
            "Grand Bargain categories",
            required=True,
            aliases=("earmarking", "earmarking level", "earmarking category", "modality"),
            hxl=("#meta+earmarking",),
            max_length=20,
            width=18,
        ),
        Column(
            "earmark_to",
            "text",
            "Empty for unearmarked. Softly earmarked: pillar:II, theme:gender, category:flagship "
            "or entity:UNODC (several separated by ;). Earmarked / tightly earmarked: a line_id.",
            "theme:gender",
            conditional=True,
            default="",
            aliases=("earmark to", "earmarked to", "earmark target", "target", "earmark"),
            hxl=("#meta+earmark",),
            max_length=NAME_LENGTH,
            nullable=True,
            width=22,
        ),
        _choice(
            "status",
            STATUS,
            "committed",
            required=True,
            aliases=("status", "pledge status", "stage"),
            hxl=("#status",),
            max_length=12,
            width=12,
        ),
        Column(
            "psc_rate",
            "share",
            "Programme support cost as a fraction (0.13) or percentage (13%).",
            0.13,
            default=DEFAULT_PSC_RATE,
            aliases=("psc rate", "psc", "programme support cost", "support cost rate"),
            hxl=("#meta+psc",),
            label="PSC rate",
            minimum=0.0,
            maximum=1.0,
            exclusive_maximum=True,
            rule="psc_rate must be a fraction from 0 to < 1",
            width=10,
        ),
        Column(
            "confidential",
            "bool",
            "yes = the donor appears as 'Anonymous donor N' in shared outputs.",
            "no",
            default=False,
            aliases=("confidential", "anonymous", "anonymise", "anonymize"),
            hxl=("#meta+confidential",),
            width=12,
        ),
        Column(
            "source_file",
            "text",
            "The file the pledge was read from.",
            "pledges.xlsx",
            default="",
            in_files=False,
            max_length=400,
        ),
        Column(
            "source_sheet",
            "text",
            "The sheet the pledge was read from (empty for csv).",
            "Pledges",
            default="",
            in_files=False,
            max_length=NAME_LENGTH,
        ),
        Column(
            "source_row",
            "int",
            "The spreadsheet row the pledge was read from (0 when not from a file).",
            4,
            default=0,
            in_files=False,
        ),
    ),
    key=("pledge_id",),
    anchors=("donor",),
    patterns=(
        ColumnPattern(
            "amount_{}",
            "money",
            "Amount available in that year, in the pledge currency (uneven tranches).",
            (r"^(?:amount|usd|value)(\d{4})$",),
            label="Amount {}",
            hxl="#value+y{}",
            minimum=0.0,
        ),
    ),
)

TRANCHES = Table(
    "tranches",
    "Tranches",
    "The money of each pledge per year, in pledge currency and in USD (derived on import).",
    (
        Column(
            "pledge_id",
            "code",
            "The pledge.",
            "QA-2027-1",
            required=True,
            max_length=CODE_LENGTH,
            references="pledges.pledge_id",
        ),
        Column(
            "year",
            "int",
            "The year the money is available.",
            2027,
            required=True,
            minimum=FIRST_YEAR,
            maximum=LAST_YEAR,
        ),
        Column(
            "amount",
            "number",
            "Gross amount in the pledge currency.",
            5_000_000,
            required=True,
            minimum=0.0,
            maximum=MAX_AMOUNT,
            rule=f"tranche must not be negative nor above {MAX_AMOUNT:g} in the pledge currency",
        ),
        Column(
            "gross_usd",
            "usd",
            "Gross amount in USD.",
            5_000_000,
            required=True,
            minimum=0.0,
            maximum=MAX_USD,
        ),
        Column(
            "programmable_usd",
            "usd",
            "Amount in USD after programme support cost: gross / (1 + psc_rate).",
            4_424_778.76,
            required=True,
            minimum=0.0,
            maximum=MAX_USD,
        ),
    ),
    key=("pledge_id", "year"),
    key_rule="the same pledge and year has two tranches",
    in_files=False,
)

DONORS = Table(
    "donors",
    "Donors",
    "Who the donors are (optional): type and UN regional group.",
    (
        _name_column(
            "donor",
            "Donor name, spelled as in the pledges.",
            "Norway",
            aliases=("donor", "donor name", "funder", "name"),
            hxl=("#org+funder", "#org"),
            unique=True,
            width=30,
        ),
        _choice(
            "donor_type",
            DONOR_TYPE,
            "member_state",
            default="other",
            aliases=("donor type", "type", "kind"),
            hxl=("#org+type",),
            max_length=40,
        ),
        Column(
            "region",
            "text",
            "UN regional group (African, Asia-Pacific, EEG, GRULAC, WEOG) or n/a.",
            "WEOG",
            default="n/a",
            aliases=("region", "regional group", "un regional group"),
            hxl=("#region",),
            max_length=100,
        ),
        Column(
            "iati_org_id",
            "code",
            "IATI organisation identifier.",
            "XM-DAC-8-1",
            default="",
            aliases=("iati org id", "iati id", "iati identifier", "iati organisation id"),
            label="IATI org ID",
            max_length=CODE_LENGTH,
            nullable=True,
        ),
    ),
    key=("donor",),
    anchors=("donor",),
)

FX = Table(
    "fx",
    "Exchange rates",
    "Units of each currency per US dollar (UN operational rates of exchange).",
    (
        _currency(
            "ISO 4217 code.", "EUR", ("currency", "ccy", "currency code", "code"), unique=True
        ),
        Column(
            "units_per_usd",
            "number",
            "Units of the currency per 1 USD (1 for USD).",
            0.92,
            required=True,
            aliases=("units per usd", "rate", "un operational rate", "rate per usd"),
            hxl=("#value",),
            minimum=MIN_UNITS_PER_USD,
            maximum=MAX_UNITS_PER_USD,
            rule=f"units_per_usd must be greater than 0, from {MIN_UNITS_PER_USD:g} to "
            f"{MAX_UNITS_PER_USD:g} units of the currency per USD",
        ),
        Column(
            "as_of",
            "date",
            "Date of the rate.",
            "2026-11-01",
            default="",
            aliases=("as of", "date", "effective date", "rate date", "as at"),
            hxl=("#date",),
            max_length=40,
            nullable=True,
        ),
    ),
    key=("currency",),
    anchors=("currency", "units_per_usd"),
)

#: Every table, by name, in the order a plan is read.
TABLES: Mapping[str, Table] = {
    t.name: t for t in (PROGRAMMES, REQUIREMENTS, PLEDGES, TRANCHES, DONORS, FX)
}
#: Import profiles for foreign layouts, by ``--format`` name (none declared yet).
PROFILES: Mapping[str, ImportProfile] = {}

# The vocabularies' values, as the rest of the code names them.
CATEGORIES: tuple[str, ...] = CATEGORY.values
PILLARS: tuple[str, ...] = PILLAR.values
EARMARKINGS: tuple[str, ...] = EARMARKING.values
STATUSES: tuple[str, ...] = STATUS.values
DONOR_TYPES: tuple[str, ...] = DONOR_TYPE.values
