"""A layout's declared rules applied to a table read with its headers: the generic part of
every import profile.

:func:`apply` takes the table :func:`appeal.spreadsheet.read_table` read with a profile's
header spellings (contract columns and the profile's own, such as FTS's ``amount_usd``) and
returns one in the contract's columns, row by row and in the same spreadsheet rows, by the
profile's declarations (:class:`models.contract.ProfileTable`): first values (``coalesce``,
the currency of ``units`` columns, ``only_when``), then separators (``lists``), words
(``values``) and ``defaults``. Rows the layout says are not rows of the table (``set_aside``)
come back apart with their reason. Cells are rewritten as text the contract's parsers read;
nothing is parsed here, so every value error is still reported by the importer, against the
file's own header.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from appeal.spreadsheet import Table, header_key, is_blank
from models import contract

__all__ = ["SetAside", "apply", "mapped"]


@dataclass(frozen=True)
class SetAside:
    """A row read but deliberately not imported, and why (reported, counted apart)."""

    row: int
    reason: str
    column: str | None = None


def mapped(layout: contract.ProfileTable, column: str, value: Any) -> Any:
    """``value`` of ``column`` in the contract's words (the layout's ``values`` map); a word
    the map does not list is returned as it is."""
    words = layout.values.get(column)
    if not words or not isinstance(value, str):
        return value
    table = _word_table(layout, column)
    return table.get(header_key(value), value)


_WORDS: dict[tuple[int, str], dict[str, Any]] = {}


def _word_table(layout: contract.ProfileTable, column: str) -> dict[str, Any]:
    key = (id(layout), column)
    table = _WORDS.get(key)
    if table is None:
        table = {header_key(k): v for k, v in layout.values[column].items()}
        _WORDS[key] = table
    return table


def _blank(value: Any) -> bool:
    return value is None or is_blank(value)


def apply(
    table: Table,
    layout: contract.ProfileTable,
    *,
    row_problem: Callable[[Table, tuple[Any, ...]], str],
) -> tuple[Table, list[SetAside]]:
    """The table in the contract's columns by ``layout``'s rules, and the rows set aside.

    ``row_problem`` says what is wrong with a raw row as a whole (repeated header, field
    count): such rows keep that error for the importer to report."""
    names = list(table.columns)
    for column in (*layout.coalesce, *layout.defaults, "currency", "exchange_rate"):
        if column not in names:
            names.append(column)
    position = {name: i for i, name in enumerate(names)}
    headers = dict(table.headers)
    for column, sources in layout.coalesce.items():
        given = [table.headers[s] for s in sources if s in table.headers]
        if given:
            headers[column] = " / ".join(dict.fromkeys(given))
    set_aside: list[SetAside] = []
    errors: dict[int, str] = {}
    rows: list[tuple[int, tuple[Any, ...]]] = []
    for number, values in table.rows:
        if not values or all(_blank(v) for v in values):
            continue
        problem = row_problem(table, values)
        if problem:
            errors[number] = problem
        raw = {c: (values[i] if i < len(values) else None) for c, i in table.columns.items()}
        row = _row(raw, layout)
        reason = next(
            (
                (why, column)
                for column, why in layout.set_aside.items()
                if column in row and _blank(row[column]) and not problem
            ),
            None,
        )
        if reason is not None:
            set_aside.append(SetAside(number, reason[0], headers.get(reason[1], reason[1])))
            continue
        rows.append((number, tuple(row.get(name) for name in names)))
    out = replace(
        table,
        columns=position,
        headers=headers,
        rows=rows,
        exact_width=False,
        header_values=(),
        row_errors={**table.row_errors, **errors},
        cache={},
    )
    return out, set_aside


def _row(raw: dict[str, Any], layout: contract.ProfileTable) -> dict[str, Any]:
    """One row's values in the contract's columns, by the layout's rules."""
    row = dict(raw)
    for column, sources in layout.coalesce.items():
        chosen = next((s for s in sources if s in raw and not _blank(raw[s])), None)
        row[column] = raw[chosen] if chosen is not None else None
        unit = layout.units.get(chosen or "")
        if unit:
            # The amount is in that currency: the row's own currency and rate describe
            # another figure (FTS: the original amount), not this one.
            row["currency"] = unit
            row["exchange_rate"] = None
    for column, separator in layout.lists.items():
        value = row.get(column)
        if isinstance(value, str) and separator in value:
            parts = [p.strip() for p in value.split(separator) if p.strip()]
            if column in layout.values:
                parts = [str(mapped(layout, column, p)) for p in parts]
                # A list of kinds (an organisation's types) is read as its first.
                row[column] = parts[0] if parts else None
                continue
            row[column] = contract.LIST_SEPARATOR.join(dict.fromkeys(parts))
    for column in layout.values:
        if column in row:
            row[column] = mapped(layout, column, row[column])
    for column, (other, wanted) in layout.only_when.items():
        if row.get(other) != wanted:
            row[column] = None
    for column, default in layout.defaults.items():
        if _blank(row.get(column)):
            row[column] = default
    return row
