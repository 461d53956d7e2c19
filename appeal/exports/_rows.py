"""Rows of the plan's tables as attribute records, for the exporters (the tables are validated
by :meth:`models.plan.Plan.build`, so their values are typed as the contract says)."""

from __future__ import annotations

from typing import Any

__all__ = ["Record", "rows"]


class Record:
    """A row as attributes (``row.amount``)."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        return self._values[name]


def rows(frame: Any) -> list[Record]:
    """The frame's rows, in order."""
    return [Record(r) for r in frame.to_dict("records")]
