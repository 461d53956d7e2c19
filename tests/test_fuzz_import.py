"""Fuzzing the importer and the scenario loader (hypothesis, a fixed budget, run in CI).

Whatever bytes arrive — csv text with stray quotes, delimiters and control characters, xlsx
workbooks whose sheet XML is generated cell by cell with any type and reference or whose zip is
cut and flipped, TOML with any key and any value — the importer gives a plan or an
:class:`~appeal.importer.ImportFailed` whose every error names the file and says what is
wrong in words, and the scenario loader gives a scenario or a :class:`ScenarioError`; never
another exception. Examples are derandomised and counted (``max_examples``), so the budget is
the same on every run.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appeal.importer import ImportFailed, read_pledges
from models.plan import make_plan
from models.scenario import Scenario, ScenarioError
from tests.hostile import files

BUDGET = settings(
    max_examples=150,
    deadline=None,  # time is bounded by the limits, asserted in tests/test_hostile_corpus.py
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RAW_EXCEPTION = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(?:Error|Exception)\b")
PLAN = make_plan(
    [
        {"line_id": "L1", "requirements": {2027: 1e6, 2028: 1e6}, "themes": "gender"},
        {"line_id": "L2", "requirements": {2027: 5e5}, "category": "flagship"},
    ],
    [],
    fx={"EUR": 0.9},
)


def _import(data: bytes, name: str) -> None:
    try:
        pledges, _, report = read_pledges(
            data, filename=name, programmes=PLAN.programmes, fx=PLAN.fx, skip_invalid=True
        )
    except ImportFailed as exc:
        report = exc.report
        assert report.errors
    else:
        assert isinstance(pledges, pd.DataFrame)
        assert report.rows_read == report.rows_imported + report.rows_rejected
        assert len(pledges) == report.rows_imported
    for error in report.errors:
        assert error.file == name
        assert error.message.strip()
        assert not RAW_EXCEPTION.search(error.message), error.message


# -- csv ------------------------------------------------------------------------------------
_HEADERS = [*files.PLEDGE_HEADER, "pledge_id", "years", "earmark_to", "psc_rate", "amount_2027"]
_CELL = st.one_of(
    st.sampled_from(
        [
            "",
            "Norway",
            "USD",
            "EUR",
            "2027",
            "unearmarked",
            "paid",
            "1,000",
            "USD 2m",
            "=1+1",
            "#N/A",
            "nan",
            "inf",
            "1e308",
            "-5",
            "0.13",
            "13%",
            "L1",
            "theme:gender",
            '"',
            "\x00",
            "\u202e",
            "\u200b",
            "９",
            "２０２７",
        ]
    ),
    st.text(max_size=30),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@BUDGET
@given(
    header=st.lists(st.sampled_from(_HEADERS), min_size=1, max_size=8),
    rows=st.lists(st.lists(_CELL, max_size=9), max_size=8),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252", "latin-1"]),
)
def test_csv_of_anything_imports_or_is_refused_clearly(
    header: list[str], rows: list[list[str]], delimiter: str, encoding: str
) -> None:
    lines = [delimiter.join(header), *(delimiter.join(r) for r in rows)]
    data = "\n".join(lines).encode(encoding, errors="replace")
    _import(data, "fuzz.csv")


@BUDGET
@given(st.binary(max_size=2000))
def test_csv_of_random_bytes_is_refused_clearly(data: bytes) -> None:
    _import(data, "bytes.csv")


# -- xlsx -----------------------------------------------------------------------------------
_REF = st.one_of(
    st.builds(
        lambda c, r: f"{c}{r}",
        st.sampled_from(["A", "B", "C", "F", "Z", "AA", "XFD", "ZZZZ"]),
        st.integers(-2, 2_000_000),
    ),
    st.sampled_from(["", "1", "a1", "A", "$A$1", "A1A", "\u0661"]),
)
_TYPES = st.sampled_from([None, "s", "e", "str", "n", "b", "d", "inlineStr", "zz"])


@st.composite
def _cells(draw: Any) -> str:
    out = []
    for _ in range(draw(st.integers(0, 8))):
        ref, kind = draw(_REF), draw(_TYPES)
        value = draw(_CELL)
        attrs = (f' r="{ref}"' if ref else "") + (f' t="{kind}"' if kind else "")
        if draw(st.booleans()):
            attrs += f' s="{draw(st.sampled_from(["0", "1", "2", "-1", "x", "99999"]))}"'
        text = escape(value) if isinstance(value, str) else str(value)
        if kind == "inlineStr":
            out.append(f"<c{attrs}><is><t>{text}</t></is></c>")
        elif draw(st.booleans()):
            out.append(f"<c{attrs}><f>{text}</f><v>{text}</v></c>")
        else:
            out.append(f"<c{attrs}><v>{text}</v></c>")
    return "".join(out)


@st.composite
def _sheet(draw: Any) -> str:
    rows = [files.row(1, files.PLEDGE_HEADER)]
    for _ in range(draw(st.integers(0, 6))):
        number = draw(st.one_of(st.integers(-1, 40), st.sampled_from([10**6, 10**9, 2**40])))
        r = f' r="{number}"' if draw(st.booleans()) else ""
        rows.append(f"<row{r}>{draw(_cells())}</row>")
    return files.sheet(rows)


_STYLES = (
    f'<styleSheet xmlns="{files.NS}"><numFmts><numFmt numFmtId="164" formatCode="yyyy"/>'
    '</numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs>'
    "</styleSheet>"
)


def _workbook(sheet_xml: str, shared: list[str], state: str | None) -> bytes:
    sst = "".join(f"<si><t>{escape(s)}</t></si>" for s in shared)
    parts = files.workbook_parts(
        [("Pledges", sheet_xml, state), ("Other", files.pledge_sheet(), None)],
        shared=f'<sst xmlns="{files.NS}">{sst}</sst>',
        styles=_STYLES,
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            assert not callable(content)
            z.writestr(name, content)
    return buffer.getvalue()


@BUDGET
@given(
    sheet_xml=_sheet(),
    shared=st.lists(_CELL, max_size=5),
    state=st.sampled_from([None, "hidden", "veryHidden", "visible"]),
)
def test_xlsx_with_any_cells_imports_or_is_refused_clearly(
    sheet_xml: str, shared: list[str], state: str | None
) -> None:
    _import(_workbook(sheet_xml, shared, state), "fuzz.xlsx")


_VALID = _workbook(
    files.pledge_sheet(["Japan", 5, "EUR", 2028, "unearmarked", "pledged"]), [], None
)


@BUDGET
@given(
    cut=st.integers(0, len(_VALID)),
    flips=st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), max_size=6),
)
def test_a_damaged_xlsx_is_refused_clearly(cut: int, flips: list[tuple[int, int]]) -> None:
    data = bytearray(_VALID[:cut] if cut < len(_VALID) else _VALID)
    for at, byte in flips:
        if at < len(data):
            data[at] = byte
    _import(bytes(data), "damaged.xlsx")


# -- the scenario loader --------------------------------------------------------------------
_KEYS = [
    *Scenario.model_fields,
    "weights.tier",
    "weights.criteria",
    "weights.tranche_share",
    "weights.early_year_preference",
    "targets.gender_share",
    "risk.draws",
    "risk.seed",
    "risk.status_probability",
    "risk.donor_probability",
    "bogus",
]
_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.one_of(st.text(max_size=8), st.integers()), max_size=3),
    st.dictionaries(
        st.sampled_from(["1", "2", "3", "4", "paid", "x", "Norway"]), st.floats(-2, 10), max_size=4
    ),
)


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *sections, last = path.split(".")
    for section in sections:
        data = data.setdefault(section, {}) if isinstance(data.get(section, {}), dict) else {}
    data[last] = value


@BUDGET
@given(st.lists(st.tuples(st.sampled_from(_KEYS), _LEAF), max_size=6))
def test_any_scenario_toml_gives_a_scenario_or_a_clear_error(pairs: list[tuple[str, Any]]) -> None:
    data: dict[str, Any] = {}
    for path, value in pairs:
        if value is not None:  # TOML has no null
            _put(data, path, value)
    try:
        text = tomli_w.dumps(data)
    except (TypeError, ValueError):
        return  # not expressible in TOML (e.g. a list of mixed tables): nothing to load
    try:
        scenario = Scenario.from_toml(text)
    except ScenarioError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
        assert not RAW_EXCEPTION.search(str(exc)), str(exc)
    else:
        assert Scenario.from_toml(scenario.to_toml()) == scenario


@BUDGET
@given(st.text(max_size=200))
def test_any_text_as_a_scenario_gives_a_scenario_or_a_clear_error(text: str) -> None:
    try:
        Scenario.from_toml(text)
    except ScenarioError as exc:
        assert str(exc)


def test_the_budget_is_fixed() -> None:
    # A fixed number of derandomised examples per property: the same work on every CI run.
    assert BUDGET.max_examples == 150 and BUDGET.derandomize
    with pytest.raises(ImportFailed):
        read_pledges(b"", filename="empty.csv", programmes=PLAN.programmes, fx=PLAN.fx)
