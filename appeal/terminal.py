"""Small helpers for readable terminal output: aligned text tables and money/percent formats.

Plain text only (no colours, no dependency), so output reads the same in a log file, a pipe
or a terminal. Numbers are right-aligned, text left-aligned.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Number
from typing import Any


def usd(value: float | None, *, precise: bool = False) -> str:
    """USD for people: 1234567 -> "1.23m", 950 -> "950"; ``precise`` -> "1,234,567"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    v = float(value)
    if precise:
        return f"{v:,.0f}"
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.2f}bn"
    if a >= 1e6:
        return f"{v / 1e6:.2f}m"
    if a >= 1e4:
        return f"{v / 1e3:.0f}k"
    return f"{v:,.0f}"


def pct(value: float | None, digits: int = 1) -> str:
    """A fraction as a percentage: 0.253 -> "25.3%"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{float(value) * 100:.{digits}f}%"


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = None,
    max_width: int = 40,
) -> str:
    """An aligned text table. Cells are str()-ed; long text is cut to ``max_width`` with "…"."""
    cells = [[_cell(v, max_width) for v in row] for row in rows]
    numeric = [
        all(_is_number(row[i]) for row in rows if i < len(row) and row[i] is not None)
        and any(i < len(row) for row in rows)
        for i in range(len(headers))
    ]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row[: len(headers)]):
            widths[i] = max(widths[i], len(c))

    def fmt(row: Sequence[str]) -> str:
        parts = []
        for i, w in enumerate(widths):
            c = row[i] if i < len(row) else ""
            parts.append(c.rjust(w) if numeric[i] else c.ljust(w))
        return "  ".join(parts).rstrip()

    lines = []
    if title:
        lines.append(title)
    lines.append(fmt(list(headers)))
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(fmt(r) for r in cells)
    return "\n".join(lines)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, Number):
        return True
    # Pre-formatted money and percentages read as numbers for alignment.
    text = str(value).strip()
    return (bool(text) and (text[0].isdigit() or text[0] in "-+") and text != "-") or text == "-"


def _cell(value: Any, max_width: int) -> str:
    text = "" if value is None else str(value)
    if len(text) > max_width:
        return text[: max_width - 1] + "…"
    return text
