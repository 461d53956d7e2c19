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
#: What kind of flow a pledge is (FTS's flow types): only new money counts by default;
#: carry-over (money already counted the year before) and pass-through (money passed on from
#: another recipient that reported it) would count a dollar twice.
FLOW_TYPE = Vocabulary(
    ("standard", "carry_over", "pass_through", "parked"),
    {
        "standard": ("new money", "new"),
        "carry_over": ("carryover", "carry-over"),
        "pass_through": ("pass through", "passthrough", "pass-through"),
    },
)
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
#: Flow types (:data:`FLOW_TYPE`) that are new money; the others are left out of an import
#: (reported) unless ``--keep-flows`` names them.
NEW_MONEY_FLOWS: frozenset[str] = frozenset({"standard", "parked"})
#: Separator of several values in one cell (pillars, themes, earmark targets).
LIST_SEPARATOR = ";"

# -- HXL: hashtags matched by meaning ------------------------------------------------------------
#: HXL attributes that answer the same question differently, by question: a file's hashtag
#: matches a column's only when both give the same answers (or neither answers). A funder is
#: never an implementer (``#org+impl`` is not a donor), a start is not an end (``#date+end``
#: is the last year, not the first).
HXL_GROUPS: Mapping[str, frozenset[str]] = {
    "role": frozenset({"funder", "impl", "source", "dest"}),
    "bound": frozenset({"start", "end"}),
}
#: Attributes that make a column hold another facet of the thing tagged (its type, code,
#: percentage, currency ...): a file's hashtag carrying one matches only a column asking for it.
HXL_FACETS: frozenset[str] = frozenset({"type", "code", "id", "pct", "currency", "num"})
#: Active ISO 4217 currency codes. As an HXL attribute (``#value+usd``) one says which
#: currency the column's amounts are in.
CURRENCY_CODES: frozenset[str] = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWL",
    ]
)

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
class ProfileTable:
    """How one table of the contract appears in a foreign layout, declared (the reader and
    :mod:`appeal.profiles` apply it; neither holds a rule of its own):

    - ``headers``: column -> the layout's header spellings. A name that is not a contract
      column is a *profile column* (``amount_usd``, ``donor_type``): read, then used by the
      rules below;
    - ``hxl``: column -> the layout's HXL hashtags (matched by meaning, :data:`HXL_GROUPS`);
    - ``values``: column -> the layout's words -> contract values (``commitment`` ->
      ``committed``), compared ignoring case, spaces and underscores; a word not listed is
      passed on (and the contract's own check names it);
    - ``coalesce``: column -> the columns (contract or profile) whose first non-blank value
      fills it, in order; all read from the row as the file has it;
    - ``units``: column -> the currency its amounts are in (``amount_usd``: USD); when
      ``amount`` comes from such a column, the row's currency is that one and its own
      exchange rate does not apply;
    - ``lists``: column -> the separator the layout writes between several values in one cell
      (rewritten as the contract's ``;``);
    - ``defaults``: contract column -> the value when the layout has none (FTS requirements
      carry no Strategy pillar);
    - ``only_when``: column -> (another column, a contract value): the column keeps its value
      only in rows where the other one has that value (FTS's flow date is the paid date of a
      paid flow only);
    - ``set_aside``: column -> why a row whose cell is blank is not a row of this table ("no
      requirement"): such rows are reported, not refused;
    - ``signature``: headers (or hashtags) that identify the layout: a file showing
      ``signature_min`` of them without ``--format`` is refused with the profile's hint;
    - ``ignored``: headers the layout has that the planner does not use (no warning for them).
    """

    headers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    hxl: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    coalesce: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)
    lists: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, object] = field(default_factory=dict)
    set_aside: Mapping[str, str] = field(default_factory=dict)
    only_when: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    signature: tuple[str, ...] = ()
    signature_min: int = 3
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportProfile:
    """A foreign layout (an FTS or IATI download ...) mapped onto the contract, table by
    table. Selected with ``--format NAME``; the reader then accepts the layout's headers as
    well as the contract's, and :mod:`appeal.profiles` applies the layout's rules.

    ``headers`` may be given as plain mappings (table -> column -> spellings) for a profile
    that only renames columns; ``tables`` holds the full declarations (:class:`ProfileTable`).
    ``looks_like``: how refusals name the layout ("an FTS export").
    ``xml``: for XML layouts (IATI), the contract column -> where in a transaction (or its
    activity) the value is, and ``transaction_status``: transaction type code -> status.
    """

    name: str
    description: str
    headers: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    tables: Mapping[str, ProfileTable] = field(default_factory=dict)
    looks_like: str = ""
    xml: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    transaction_status: Mapping[str, str] = field(default_factory=dict)
    earmarking_codes: Mapping[tuple[str, str], str] = field(default_factory=dict)
    organisation_types: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # One form inside: plain header mappings become ProfileTables, and the other way.
        tables = dict(self.tables)
        for table, headers in self.headers.items():
            if table not in tables:
                tables[table] = ProfileTable(headers=headers)
        object.__setattr__(self, "tables", tables)
        object.__setattr__(self, "headers", {t: dict(p.headers) for t, p in tables.items()})

    def table(self, name: str) -> ProfileTable:
        """The layout of one table (an empty one when the profile does not cover it)."""
        return self.tables.get(name, ProfileTable())


def _year(name: str, help: str, **kw: Any) -> Column:
    """A calendar-year column (the contract's year range)."""
    return Column(name, "year", help, minimum=FIRST_YEAR, maximum=LAST_YEAR, width=8, **kw)


#: How dates are stored (ISO 8601 calendar dates); the reader accepts other unambiguous forms.
DATE_PATTERN = r"^(?:\d{4}-\d{2}-\d{2})?$"  # blank allowed: required dates say so


def _date(name: str, help: str, example: str, **kw: Any) -> Column:
    """An optional calendar-date column, stored as ISO text (2027-06-30)."""
    kw.setdefault("default", "")
    return Column(
        name,
        "date",
        help,
        example,
        max_length=10,
        pattern=DATE_PATTERN,
        nullable=True,
        rule=f"{name} must be a date like {example}",
        width=12,
        **kw,
    )


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
        # Long form (a csv cannot hold a requirements sheet): one row per line and year, the
        # line's other columns repeated; appeal.importer gathers them.
        _year(
            "year",
            "Long form: the year of this row's requirement (the line's columns repeat on each "
            "of its rows).",
            example=2027,
            aliases=("year", "requirement year"),
            field=None,
            written=False,
        ),
        Column(
            "requirement_usd",
            "usd",
            "Long form: the line's requirement in that year, in USD.",
            1_500_000,
            aliases=("requirement usd", "requirement", "requirements", "need usd"),
            field=None,
            written=False,
            minimum=0.0,
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
        _date(
            "pledge_date",
            "Date the pledge was made or its agreement signed.",
            "2026-11-15",
            aliases=("pledge date", "date pledged", "decision date", "agreement date", "signed"),
            # HXL: the date something was approved (the donor's decision).
            hxl=("#date+approved",),
        ),
        _date(
            "paid_date",
            "Date the money was received (for a pledge paid in full; instalments have their own).",
            "2027-02-01",
            aliases=("paid date", "date paid", "payment date", "date received", "received on"),
            hxl=("#date+paid",),
        ),
        _date(
            "due_date",
            "Long form of instalments: the row is one instalment of the pledge_id, due on this "
            "date, its amount in the amount column (instead of an instalments sheet).",
            "2027-06-30",
            aliases=("due date", "due", "instalment due", "installment due", "due on"),
            hxl=("#date+due",),
            field=None,
            written=False,
        ),
        Column(
            "in_kind",
            "bool",
            "yes = goods or services, not money (reported apart; still allocated as its value).",
            "no",
            default=False,
            aliases=("in kind", "in-kind", "inkind", "in kind contribution"),
            hxl=("#meta+inkind",),
            label="In kind",
            width=9,
        ),
        Column(
            "exchange_rate",
            "number",
            "Units of the pledge currency per USD for this pledge (the rate of its agreement, "
            "or the one FTS used). Blank: the exchange-rate table's rate.",
            0.824,
            default=0.0,
            aliases=("exchange rate", "fx rate", "rate per usd", "conversion rate"),
            hxl=("#meta+fx", "#financial+fx"),
            minimum=0.0,
            rule="exchange_rate must not be negative (blank: the exchange-rate table)",
            width=10,
        ),
        _choice(
            "flow_type",
            FLOW_TYPE,
            "standard",
            "only standard and parked flows count as new money unless kept with --keep-flows",
            default="standard",
            aliases=("flow type", "flow"),
            hxl=("#meta+flow",),
            max_length=20,
            width=12,
        ),
        Column(
            "adjustment",
            "number",
            "Refunds and reversals already taken off the amount, in the pledge currency "
            "(recorded by the import; the amount is what is left).",
            0.0,
            default=0.0,
            aliases=("adjustment", "adjustments", "refunded", "reversed"),
            hxl=("#value+adjustment",),
            minimum=0.0,
            width=12,
        ),
        Column(
            "overdue",
            "number",
            "Written by the appeal workbook: the pledge's instalments overdue on the day it was "
            "written, in the pledge currency (ignored when read).",
            0.0,
            aliases=("overdue", "amount overdue"),
            field=None,
            written=False,
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

INSTALMENTS = Table(
    "instalments",
    "Instalments",
    "A pledge's schedule: when each part of it is due, and when it was paid. The allocation "
    "takes each instalment's year as the year its money is available.",
    (
        Column(
            "pledge_id",
            "code",
            "The pledge (its pledge_id in the pledges sheet).",
            "QA-2027-1",
            required=True,
            aliases=("pledge id", "pledge ref", "pledge reference", "reference", "ref", "id"),
            hxl=("#meta+id",),
            label="Pledge ID",
            max_length=CODE_LENGTH,
            references="pledges.pledge_id",
        ),
        _date(
            "due_date",
            "When the instalment is due.",
            "2027-06-30",
            required=True,
            aliases=("due date", "due", "date due", "instalment date", "installment date"),
            hxl=("#date+due",),
        ),
        Column(
            "amount",
            "number",
            "The instalment, in the pledge's currency.",
            5_000_000,
            required=True,
            aliases=("amount", "instalment", "installment", "instalment amount", "value"),
            hxl=("#value",),
            minimum=0.0,
            exclusive_minimum=True,
            width=16,
        ),
        _date(
            "paid_date",
            "When it was paid (blank: not yet).",
            "2027-07-02",
            aliases=("paid date", "date paid", "payment date", "paid on", "received"),
            hxl=("#date+paid",),
        ),
    ),
    key=("pledge_id", "due_date"),
    anchors=("pledge_id", "due_date", "amount"),
    key_rule="the same pledge has two instalments due on one date",
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
    t.name: t for t in (PROGRAMMES, REQUIREMENTS, PLEDGES, TRANCHES, INSTALMENTS, DONORS, FX)
}
# -- import profiles -------------------------------------------------------------------------
# Real downloads used as they are. The FTS headers are those of the HDX "FTS Requirements and
# Funding Data" datasets (hdx-scraper-fts), with the HXL row HDX wrote until 2021; the IATI
# paths those of the IATI activity standard (1.0x and 2.0x).
_FTS_STATUS = {"pledge": "pledged", "commitment": "committed", "paid": "paid"}
_FTS_ORG_TYPES = {
    "government": "member_state",
    "inter-governmental": "intergovernmental",
    "private organization/foundation": "private",
    "un agency": "un_fund",
    "pooled fund": "un_fund",
    "ngo": "other",
    "red cross/red crescent": "other",
    "financial institution": "other",
    "other": "other",
}
FTS = ImportProfile(
    "fts",
    "OCHA Financial Tracking Service (FTS) downloads as HDX publishes them: incoming funding "
    "flows (fts_incoming_funding_*.csv) as pledges, requirements by plan or by cluster "
    "(fts_requirements_funding_*.csv) as programmes; csv or xlsx, with or without the HXL row.",
    tables={
        "pledges": ProfileTable(
            headers={
                "pledge_id": ("id",),
                "donor": ("srcOrganization",),
                "original_amount": ("originalAmount",),
                "currency": ("originalCurrency",),
                "exchange_rate": ("exchangeRate",),
                "amount_usd": ("amountUSD",),
                "year": ("destUsageYearStart",),
                "last_year": ("destUsageYearEnd",),
                "status": ("status",),
                "earmark_to": ("destGlobalClusters",),
                "earmarking": ("grandBargainEarmarkingType",),
                "in_kind": ("contributionType",),
                "flow_type": ("flowType",),
                "decision_date": ("decisionDate",),
                "flow_date": ("date",),
                "donor_type": ("srcOrganizationTypes",),
                "parent_id": ("parentFlowId",),
                "reference": ("refCode",),
                "recipient": ("destOrganization",),
                # Not an FTS field: the planner's programme support cost rate, which its FTS
                # reporting sheet adds after FTS's own columns (FTS ignores it).
                "psc_rate": ("pscRate",),
            },
            hxl={
                "pledge_id": ("#activity+id+fts_internal",),
                "donor": ("#org+name+funder",),
                "recipient": ("#org+name+impl",),
                "original_amount": ("#value+funding+total",),
                "amount_usd": ("#value+funding+total+usd",),
                "currency": ("#value+funding+total+currency",),
                "exchange_rate": ("#financial+fx",),
                "year": ("#date+year+start+impl",),
                "last_year": ("#date+year+end+impl",),
                "status": ("#status+text",),
                "earmark_to": ("#sector+cluster+name+list",),
                # FTS tags contributionType and flowType alike: an HXL-only file cannot say
                # which is which, and is refused naming both (keep the header row).
                "in_kind": ("#financial+contribution+type",),
                "flow_type": ("#financial+contribution+type",),
                "decision_date": ("#date+decision",),
                "flow_date": ("#date",),
                "donor_type": ("#org+type+funder+list",),
                "reference": ("#activity+code",),
            },
            values={
                "status": _FTS_STATUS,
                "in_kind": {"financial": "no", "in kind": "yes", "in-kind": "yes"},
                "flow_type": {
                    "standard": "standard",
                    "parked": "parked",
                    "carryover": "carry_over",
                    "pass through": "pass_through",
                },
                "donor_type": _FTS_ORG_TYPES,
            },
            coalesce={
                # The flow's own currency and rate when FTS has them, else its USD value.
                "amount": ("original_amount", "amount_usd"),
                "pledge_date": ("decision_date", "flow_date"),
                "paid_date": ("flow_date",),
            },
            only_when={"paid_date": ("status", "paid")},
            units={"amount_usd": "USD"},
            lists={"earmark_to": ",", "donor_type": ","},
            signature=(
                "srcOrganization",
                "amountUSD",
                "destUsageYearStart",
                "flowType",
                "onBoundary",
                "#org+name+funder",
                "#value+funding+total+usd",
            ),
            ignored=(
                "budgetYear",
                "description",
                "srcLocations",
                "srcUsageYearStart",
                "srcUsageYearEnd",
                "destPlan",
                "destPlanCode",
                "destPlanId",
                "destOrganizationTypes",
                "destLocations",
                "destProject",
                "destProjectCode",
                "destEmergency",
                "method",
                "boundary",
                "onBoundary",
                "firstReportedDate",
                "keywords",
                "createdAt",
                "updatedAt",
                "childFlowIds",
                "newMoney",
                "versionId",
            ),
        ),
        "programmes": ProfileTable(
            headers={
                "line_id": ("code",),
                "cluster_code": ("clusterCode",),
                "cluster_name": ("cluster",),
                "requirement_usd": ("requirements",),
                "plan_id": ("id",),
            },
            hxl={
                "line_id": ("#activity+appeal+id+external",),
                "name": ("#activity+appeal+name",),
                "cluster_code": ("#sector+cluster+code",),
                "cluster_name": ("#sector+cluster+name",),
                "year": ("#date+year",),
                "requirement_usd": ("#value+funding+required+usd",),
            },
            # By cluster when the file has clusters, else by plan; the plan names the entity.
            coalesce={
                "line_id": ("cluster_code", "line_id"),
                "name": ("cluster_name", "name"),
                "entity": ("name",),
            },
            defaults={"category": "entity", "pillar": "I"},
            set_aside={
                "cluster_code": "funding FTS could not attribute to one cluster ('Not "
                "specified', or shared by several)",
                "line_id": "funding FTS could not attribute to a plan ('Not specified')",
            },
            signature=(
                "requirements",
                "funding",
                "percentFunded",
                "#value+funding+required+usd",
                "#value+funding+pct",
            ),
            signature_min=2,
            ignored=(
                "countryCode",
                "startDate",
                "endDate",
                "typeId",
                "typeName",
                "funding",
                "percentFunded",
            ),
        ),
    },
    looks_like="an FTS export",
)

IATI = ImportProfile(
    "iati",
    "IATI activity files (XML, standard 1.0x or 2.0x): the reporting organisation's incoming "
    "pledges (transaction type 13), incoming commitments (11) and incoming funds (1; IF in "
    "1.0x) become pledges, with provider, value, currency, value date and the Grand Bargain "
    "earmarking category where published (aid-type vocabulary 2, or the modality, 3).",
    looks_like="an IATI activity file",
    # Where each value is, relative to the <transaction> (".." is its activity); the first
    # path that gives a value wins.
    xml={
        "type": ("transaction-type/@code",),
        "reference": ("@ref",),
        "donor": ("provider-org/narrative", "provider-org", "provider-org/@ref"),
        "iati_org_id": ("provider-org/@ref",),
        "donor_type": ("provider-org/@type",),
        "receiver": ("receiver-org/@ref",),
        "amount": ("value",),
        "currency": ("value/@currency", "../@default-currency"),
        "year": ("value/@value-date", "transaction-date/@iso-date"),
        "date": ("transaction-date/@iso-date", "value/@value-date"),
        "earmark_category": (
            "aid-type[@vocabulary='2']/@code",
            "../default-aid-type[@vocabulary='2']/@code",
        ),
        "earmark_modality": (
            "aid-type[@vocabulary='3']/@code",
            "../default-aid-type[@vocabulary='3']/@code",
        ),
        # The planner's own note of a soft or list earmark (appeal.exports.iati writes it).
        "earmark_note": ("description/narrative", "description"),
        "activity": ("../iati-identifier",),
        "activity_code": ("../other-identifier/@ref", "../other-identifier"),
        "activity_title": ("../title/narrative", "../title"),
        "reporting_org": ("../reporting-org/@ref",),
        # The planner's own extension attribute (appeal.profiles.iati.EXTENSION_NS): the pledge's
        # programme support cost rate, which IATI has no element for.
        "psc_rate": ("@*[local-name()='psc-rate']",),
    },
    transaction_status={"13": "pledged", "11": "committed", "1": "paid", "IF": "paid"},
    # (aid-type vocabulary, code) -> earmarking: EarmarkingCategory (2) and the Grand Bargain
    # Earmarking Modality (3) it is derived from.
    earmarking_codes={
        ("2", "1"): "unearmarked",
        ("2", "2"): "softly_earmarked",
        ("2", "3"): "earmarked",
        ("2", "4"): "tightly_earmarked",
        **{("3", m): "unearmarked" for m in "ABC"},
        **{("3", m): "softly_earmarked" for m in "DEF"},
        **{("3", m): "earmarked" for m in "GH"},
        **{("3", m): "tightly_earmarked" for m in "IJK"},
    },
    # IATI OrganisationType -> donor type.
    organisation_types={
        "10": "member_state",
        "11": "other",
        "15": "other",
        "21": "other",
        "22": "other",
        "23": "other",
        "24": "other",
        "30": "other",
        "40": "intergovernmental",
        "60": "private",
        "70": "private",
        "71": "private",
        "72": "private",
        "73": "private",
        "80": "other",
        "90": "other",
    },
)

#: Import profiles for foreign layouts, by ``--format`` name.
PROFILES: Mapping[str, ImportProfile] = {p.name: p for p in (FTS, IATI)}
#: The ``--format`` choices: the contract's own layout, then the profiles.
FORMATS: tuple[str, ...] = ("contract", *PROFILES)

# The vocabularies' values, as the rest of the code names them.
CATEGORIES: tuple[str, ...] = CATEGORY.values
PILLARS: tuple[str, ...] = PILLAR.values
EARMARKINGS: tuple[str, ...] = EARMARKING.values
STATUSES: tuple[str, ...] = STATUS.values
DONOR_TYPES: tuple[str, ...] = DONOR_TYPE.values
