"""Plain cell values from the pandas and numpy scalars the plan's tables hold."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pandas as pd

from appeal.workbook.engine import CellValue

__all__ = ["as_float", "as_int", "flatten", "horizon", "number", "plain", "scalar", "strings"]


def as_float(value: Any) -> float:
    """float() of a pandas scalar (typed loosely by pandas-stubs)."""
    return float(value)


def as_int(value: Any) -> int:
    """int() of a pandas scalar (typed loosely by pandas-stubs)."""
    return int(value)


def number(value: object) -> float | int | None:
    """A number cell for an optional figure: None when missing, not a number or not finite;
    integral values as int."""
    if value is None:
        return None
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(x):
        return None
    return int(x) if x.is_integer() and abs(x) < 1e15 else x


def plain(value: object) -> CellValue:
    """A pandas/numpy scalar as a plain Python value (NaN -> empty cell, bool -> yes/no)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if type(value) in (int, float):
        return cast(int | float, value)
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return plain(value.item())
    raise TypeError(f"cannot write {type(value).__name__} {value!r} to a cell")


def scalar(value: object) -> CellValue:
    """A value for a key/value row: numbers stay numbers, everything else becomes text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value if not isinstance(value, float) or math.isfinite(value) else str(value)
    return str(value)


def strings(series: pd.Series) -> list[str]:
    """A column as a list of str, without pandas' slow per-element iteration."""
    return [str(v) for v in series.to_numpy(dtype=object)]


def horizon(years: Sequence[int]) -> str:
    """The appeal's years as text: "2027–2030", "2027" or "no requirements"."""
    if not years:
        return "no requirements"
    return f"{years[0]}–{years[-1]}" if years[0] != years[-1] else str(years[0])


def flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested settings as dotted keys ("weights.tier.1"); lists joined with "; "."""
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            if value:
                out.extend(flatten(value, name + "."))
            else:
                out.append((name, "(none)"))
        elif isinstance(value, list | tuple | set):
            out.append((name, "; ".join(str(v) for v in value) if value else "(none)"))
        else:
            out.append((name, value))
    return out
