"""Static charts for the appeal document and the briefs: matplotlib on its Agg back end (no
screen, no browser at run time), each rendered once to PNG and embedded by both renderers.

Money axes are in USD million. Only what the caller passes is drawn: donor names arrive
already anonymised (the content model's aliases), so no image holds a confidential name.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, ParamSpec

import matplotlib
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter

__all__ = ["Chart", "bars", "grouped_bars", "shares"]

BLUE, ORANGE, GREY = "#1F4E79", "#E08A2E", "#9AA5B1"
_DPI = 150
_SIZE = (7.0, 3.4)  # inches: 16 cm wide on the page

# Figures are made without pyplot (no global state: safe in a server's threads) and saved
# through Agg; the house style is applied per figure.
_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
}


class Chart(NamedTuple):
    """A rendered chart and every word drawn in it (title, labels, legend), so what the
    image shows can be checked without reading the pixels."""

    png: bytes
    words: tuple[str, ...]


P = ParamSpec("P")


def _styled(draw: Callable[P, Chart]) -> Callable[P, Chart]:
    """Draw in the house style (matplotlib reads its settings as each element is made)."""

    @functools.wraps(draw)
    def styled(*args: P.args, **kwargs: P.kwargs) -> Chart:
        with matplotlib.rc_context(_STYLE):  # type: ignore[arg-type]
            return draw(*args, **kwargs)

    return styled


def _figure() -> tuple[Figure, Any]:
    fig = Figure(figsize=_SIZE)
    return fig, fig.subplots()


_MILLIONS = FuncFormatter(lambda v, _pos: f"{v / 1e6:,.0f}m")


def _png(fig: Figure) -> Chart:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=_DPI, bbox_inches="tight", metadata={"Software": None})
    words = [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
    return Chart(out.getvalue(), tuple(words))


@_styled
def grouped_bars(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    horizontal: bool = False,
) -> Chart:
    """Bars of USD amounts per category, one colour per series (requirement, funded ...)."""
    fig, ax = _figure()
    n = len(series)
    width = 0.8 / max(n, 1)
    colours = [BLUE, ORANGE, GREY]
    for k, (name, values) in enumerate(series):
        pos = [i - 0.4 + width * (k + 0.5) for i in range(len(categories))]
        if horizontal:
            ax.barh(pos, values, height=width, label=name, color=colours[k % 3])
        else:
            ax.bar(pos, values, width=width, label=name, color=colours[k % 3])
    ticks = list(range(len(categories)))
    if horizontal:
        ax.set_yticks(ticks, list(categories))
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(_MILLIONS)
        ax.set_xlabel("USD million")
    else:
        ax.set_xticks(ticks, list(categories))
        ax.yaxis.set_major_formatter(_MILLIONS)
        ax.set_ylabel("USD million")
    ax.set_title(title)
    if n > 1:
        ax.legend(frameon=False)
    return _png(fig)


@_styled
def bars(title: str, labels: Sequence[str], values: Sequence[float]) -> Chart:
    """Horizontal bars of USD amounts, largest first as given (top donors)."""
    return grouped_bars(title, labels, [("", values)], horizontal=True)


@_styled
def shares(
    title: str, labels: Sequence[str], values: Sequence[float], *, aim: tuple[str, float] | None
) -> Chart:
    """Horizontal bars of shares (0-1) with an optional aim drawn as a line."""
    fig, ax = _figure()
    ax.barh(range(len(labels)), [v * 100 for v in values], color=BLUE)
    ax.set_yticks(range(len(labels)), list(labels))
    ax.invert_yaxis()
    ax.set_xlabel("share of programmable money (%)")
    ax.set_xlim(0, 100)
    if aim is not None:
        ax.axvline(aim[1] * 100, color=ORANGE, linestyle="--", label=aim[0])
        ax.legend(frameon=False, loc="lower right")
    ax.set_title(title)
    return _png(fig)
