"""Plotly figures of the dashboard: pure functions from tables to ``go.Figure``.

Every function takes plain DataFrames / dicts (already anonymised by the caller) and returns a
figure with the dashboard's common look (:func:`styled`). No I/O and no Dash here, so the
figures are unit-testable and reusable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from models.plan import CATEGORIES

# One colour per category, used on every page so a category always looks the same.
CATEGORY_COLOURS: dict[str, str] = {
    "leadership": "#1f4e79",
    "coordination": "#2e86ab",
    "flagship": "#f18f01",
    "entity": "#6a994e",
}
EARMARKING_COLOURS: dict[str, str] = {
    "unearmarked": "#1f4e79",
    "softly_earmarked": "#2e86ab",
    "earmarked": "#f18f01",
    "tightly_earmarked": "#c73e1d",
}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
TARGET_COLOUR = "#c73e1d"
GRID = "#e6eaef"
COLOURWAY = ["#1f4e79", "#2e86ab", "#f18f01", "#6a994e", "#c73e1d", "#8e7dbe", "#e9c46a"]


def styled(fig: go.Figure, *, height: int = 380, legend: bool = True) -> go.Figure:
    """The common look: white template, small margins, horizontal legend on top."""
    # A hand-set light look instead of template="plotly_white": assigning a template
    # validates a large object on every figure (~80 ms each), these few properties are cheap.
    fig.update_layout(
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=COLOURWAY,
        xaxis={"gridcolor": GRID, "zerolinecolor": GRID, "linecolor": GRID},
        yaxis={"gridcolor": GRID, "zerolinecolor": GRID, "linecolor": GRID},
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        font={"family": FONT, "size": 12},
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hoverlabel={"font_family": FONT},
    )
    return fig


def empty(message: str, *, height: int = 300) -> go.Figure:
    """A blank figure carrying a message (no data yet, nothing to show)."""
    fig = go.Figure()
    fig.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
        font={"size": 14, "color": "#6c757d"},
    )  # fmt: skip
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return styled(fig, height=height, legend=False)


def _short(text: str, n: int = 38) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def gap_by_category_year(frame: pd.DataFrame) -> go.Figure:
    """Stacked bars of the gap per year, one colour per category.

    ``frame``: the ``("category", "year")`` breakdown of :mod:`models.gaps`.
    """
    if frame.empty:
        return empty("No requirements in the plan")
    fig = go.Figure()
    for category in [c for c in CATEGORIES if c in set(frame["category"])]:
        part = frame[frame["category"] == category]
        fig.add_bar(
            name=category.capitalize(),
            x=part["year"].astype(str),
            y=part["gap_usd"],
            marker_color=CATEGORY_COLOURS.get(category),
            customdata=part[["requirement_usd", "funded_usd", "coverage"]].to_numpy(),
            hovertemplate=(
                "%{x} · " + category + "<br>gap USD %{y:,.0f}<br>requirement USD "
                "%{customdata[0]:,.0f}<br>funded USD %{customdata[1]:,.0f}"
                "<br>coverage %{customdata[2]:.0%}<extra></extra>"
            ),
        )
    fig.update_layout(barmode="stack", yaxis_title="Unmet requirement (USD)", xaxis_title=None)
    fig.update_yaxes(tickformat="~s")
    return styled(fig)


def coverage_heatmap(frame: pd.DataFrame) -> go.Figure:
    """Coverage (funded / requirement) per line and year.

    ``frame``: line-years with line_id, name, year, requirement_usd, funded_usd.
    """
    if frame.empty:
        return empty("No requirements in the plan")
    data = frame.copy()
    data["label"] = data["line_id"].astype(str) + " · " + data["name"].astype(str).map(_short)
    data["coverage"] = (data["funded_usd"] / data["requirement_usd"]).where(
        data["requirement_usd"] > 0
    )
    order = list(dict.fromkeys(data["label"]))
    grid = data.pivot_table(index="label", columns="year", values="coverage", aggfunc="first")
    grid = grid.reindex(order)
    gaps = data.pivot_table(index="label", columns="year", values="gap_usd", aggfunc="first")
    gaps = gaps.reindex(order)
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[str(c) for c in grid.columns],
            y=list(grid.index),
            customdata=gaps.to_numpy(),
            zmin=0,
            zmax=1,
            colorscale=[[0, "#c73e1d"], [0.5, "#f6c85f"], [1, "#2a9d8f"]],
            colorbar={"title": "Coverage", "tickformat": ".0%"},
            hovertemplate="%{y}<br>%{x}: %{z:.0%} covered<br>gap USD %{customdata:,.0f}"
            "<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    fig.update_yaxes(autorange="reversed", tickfont={"size": 10})
    return styled(fig, height=max(360, 18 * len(order) + 80), legend=False)


def line_deltas(frame: pd.DataFrame, *, label_a: str, label_b: str) -> go.Figure:
    """Per-line change in funding between two scenarios (B - A), largest changes first."""
    if frame.empty:
        return empty("Nothing to compare")
    data = frame.copy()
    data = data.reindex(data["funded_delta"].abs().sort_values(ascending=False).index).head(25)
    colours = ["#2a9d8f" if v >= 0 else "#c73e1d" for v in data["funded_delta"]]
    fig = go.Figure(
        go.Bar(
            x=data["funded_delta"],
            y=data["line_id"].astype(str) + " · " + data["name"].astype(str).map(_short),
            orientation="h",
            marker_color=colours,
            hovertemplate="%{y}<br>change USD %{x:,.0f}<extra></extra>",
        )
    )
    fig.update_layout(
        title={"text": f"Funding change per line: {label_b} minus {label_a}", "font_size": 14},
        xaxis_title="USD",
    )
    fig.update_yaxes(autorange="reversed", tickfont={"size": 10})
    fig.update_xaxes(tickformat="~s")
    return styled(fig, height=max(300, 22 * len(data) + 100), legend=False)


def next_million(frame: pd.DataFrame) -> go.Figure:
    """Where the next USD 1m of unearmarked money would go (line_id, name, amount_usd)."""
    if frame.empty:
        return empty("No line could use more unearmarked money")
    data = pd.DataFrame(
        frame.groupby(["line_id", "name"], as_index=False, sort=False)["amount_usd"].sum()
    ).sort_values("amount_usd", ascending=False)
    fig = go.Figure(
        go.Bar(
            x=data["amount_usd"],
            y=data["line_id"].astype(str)
            + " · "
            + data["name"].astype(str).map(lambda t: _short(t, 26)),
            orientation="h",
            marker_color="#2e86ab",
            text=[f"{v / 1e3:,.0f}k" for v in data["amount_usd"]],
            textposition="auto",
            hovertemplate="%{y}<br>USD %{x:,.0f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickformat="~s", title="USD of the next million", nticks=4)
    return styled(fig, height=max(240, 28 * len(data) + 90), legend=False)


def sankey(allocations: pd.DataFrame, programmes: pd.DataFrame, *, top: int = 15) -> go.Figure:
    """Money flow donor -> category -> line. Donors beyond the ``top`` largest are grouped.

    ``allocations``: pledge allocations with (already anonymised) donor, line_id, amount_usd.
    """
    if allocations.empty:
        return empty("Nothing allocated yet", height=520)
    alloc = allocations.groupby(["donor", "line_id"], as_index=False)["amount_usd"].sum()
    ranked = alloc.groupby("donor")["amount_usd"].sum().sort_values(ascending=False)
    keep = set(ranked.index[:top])
    others = len(ranked) - len(keep)
    other_label = f"Other donors ({others})"
    alloc["donor"] = alloc["donor"].where(alloc["donor"].isin(keep), other_label)
    attrs = programmes[["line_id", "name", "category"]].astype({"line_id": str})
    alloc = alloc.merge(attrs, on="line_id", how="left")
    alloc["category"] = alloc["category"].fillna("entity")
    donors = [*[d for d in ranked.index if d in keep], *([other_label] if others else [])]
    cats = [c for c in CATEGORIES if c in set(alloc["category"])]
    line_totals = alloc.groupby("line_id")["amount_usd"].sum().sort_values(ascending=False)
    lines = list(line_totals.index)
    names = dict(zip(attrs["line_id"], attrs["name"].astype(str), strict=False))
    labels = (
        donors
        + [c.capitalize() for c in cats]
        + [f"{lid} {_short(names.get(lid, lid), 28)}" for lid in lines]
    )
    index = {("d", d): i for i, d in enumerate(donors)}
    index.update({("c", c): len(donors) + i for i, c in enumerate(cats)})
    index.update({("l", lid): len(donors) + len(cats) + i for i, lid in enumerate(lines)})
    dc = alloc.groupby(["donor", "category"], as_index=False)["amount_usd"].sum()
    cl = alloc.groupby(["category", "line_id"], as_index=False)["amount_usd"].sum()
    source = [index[("d", d)] for d in dc["donor"]] + [index[("c", c)] for c in cl["category"]]
    target = [index[("c", c)] for c in dc["category"]] + [
        index[("l", lid)] for lid in cl["line_id"]
    ]
    value = list(dc["amount_usd"]) + list(cl["amount_usd"])
    link_colour = [_rgba(CATEGORY_COLOURS.get(c, "#888888"), 0.35) for c in dc["category"]] + [
        _rgba(CATEGORY_COLOURS.get(c, "#888888"), 0.35) for c in cl["category"]
    ]
    node_colour = (
        ["#5b6770"] * len(donors)
        + [CATEGORY_COLOURS.get(c, "#888888") for c in cats]
        + ["#9aa5ad"] * len(lines)
    )
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={"label": labels, "color": node_colour, "pad": 8, "thickness": 14},
            link={
                "source": source,
                "target": target,
                "value": value,
                "color": link_colour,
                "hovertemplate": "%{source.label} → %{target.label}<br>USD %{value:,.0f}"
                "<extra></extra>",
            },
            valueformat=",.0f",
            valuesuffix=" USD",
        )
    )
    return styled(fig, height=max(560, 14 * len(lines) + 120), legend=False)


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    return f"rgba({r},{g},{b},{alpha})"


def lorenz(points: Sequence[Sequence[float]], gini: float) -> go.Figure:
    """Lorenz curve of donors' totals against the line of equality."""
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 1], y=[0, 1], mode="lines", name="Equal giving",
        line={"dash": "dot", "color": "#9aa5ad"},
    )  # fmt: skip
    fig.add_scatter(
        x=xs, y=ys, mode="lines+markers", name=f"Donors (Gini {gini:.2f})",
        line={"color": "#1f4e79"}, marker={"size": 4}, fill="tonexty",
        fillcolor="rgba(31,78,121,0.08)",
        hovertemplate="smallest %{x:.0%} of donors give %{y:.0%} of the money<extra></extra>",
    )  # fmt: skip
    fig.update_xaxes(title="Share of donors (smallest first)", tickformat=".0%", range=[0, 1])
    fig.update_yaxes(title="Share of money", tickformat=".0%", range=[0, 1])
    return styled(fig, height=360)


def donor_treemap(donors: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Programmable USD by donor type, region and donor (names already anonymised)."""
    rows = [d for d in donors if float(d.get("programmable_usd", 0.0)) > 0]
    if not rows:
        return empty("No pledges in the horizon", height=420)
    frame = pd.DataFrame(rows)
    ids: list[str] = []
    labels: list[str] = []
    parents: list[str] = []
    values: list[float] = []
    for t, tpart in frame.groupby("donor_type", sort=True):
        ids.append(f"t/{t}")
        labels.append(str(t).replace("_", " "))
        parents.append("")
        values.append(float(tpart["programmable_usd"].sum()))
        for r, rpart in tpart.groupby("region", sort=True):
            ids.append(f"t/{t}/r/{r}")
            labels.append(str(r))
            parents.append(f"t/{t}")
            values.append(float(rpart["programmable_usd"].sum()))
            for rec in rpart.to_dict("records"):
                ids.append(f"t/{t}/r/{r}/d/{rec['donor']}")
                labels.append(str(rec["donor"]))
                parents.append(f"t/{t}/r/{r}")
                values.append(float(rec["programmable_usd"]))
    fig = go.Figure(
        go.Treemap(
            ids=ids,
            labels=labels,
            parents=parents,
            values=values,
            branchvalues="total",
            hovertemplate="%{label}<br>USD %{value:,.0f}<br>%{percentRoot:.1%} of all"
            "<extra></extra>",
            marker={"colorscale": "Blues"},
        )
    )
    fig.update_layout(margin={"l": 0, "r": 0, "t": 30, "b": 0})
    return styled(fig, height=440, legend=False)


def earmarking_mix(shares: Mapping[str, float], flexible_share: float, target: float) -> go.Figure:
    """Share of money per Grand Bargain earmarking category, with the flexible share against
    the 30% aim."""
    cats = [c for c in EARMARKING_COLOURS if c in shares] + [
        c for c in shares if c not in EARMARKING_COLOURS
    ]
    fig = go.Figure()
    for c in cats:
        fig.add_bar(
            name=c.replace("_", " "),
            x=[float(shares[c])],
            y=["Earmarking mix"],
            orientation="h",
            marker_color=EARMARKING_COLOURS.get(c, "#888888"),
            hovertemplate=c.replace("_", " ") + ": %{x:.1%}<extra></extra>",
        )
    fig.add_bar(
        name=f"flexible (unearmarked + softly) {flexible_share:.0%}",
        x=[flexible_share],
        y=["Flexible money"],
        orientation="h",
        marker_color="#2a9d8f" if flexible_share >= target else "#e76f51",
        hovertemplate="flexible: %{x:.1%}<extra></extra>",
    )
    fig.add_vline(
        x=target, line_dash="dash", line_color=TARGET_COLOUR,
        annotation_text=f"{target:.0%} aim", annotation_position="top",
    )  # fmt: skip
    fig.update_layout(barmode="stack")
    fig.update_xaxes(tickformat=".0%", range=[0, 1])
    return styled(fig, height=260)


def stress_lines(frame: pd.DataFrame) -> go.Figure:
    """Gap before and after losing donors, for the lines whose gap grows."""
    hit = frame[frame["gap_change"] > 0.5].sort_values("gap_change", ascending=False).head(20)
    if hit.empty:
        return empty("No line loses funding in this case", height=240)
    labels = hit["line_id"].astype(str) + " · " + hit["name"].astype(str).map(_short)
    fig = go.Figure()
    fig.add_bar(name="Gap before", y=labels, x=hit["gap_before"], orientation="h",
                marker_color="#9aa5ad")  # fmt: skip
    fig.add_bar(name="Gap after", y=labels, x=hit["gap_after"], orientation="h",
                marker_color="#c73e1d")  # fmt: skip
    fig.update_layout(barmode="group")
    fig.update_yaxes(autorange="reversed", tickfont={"size": 10})
    fig.update_xaxes(tickformat="~s", title="USD")
    return styled(fig, height=max(280, 34 * len(hit) + 90))


def risk_bands(by_line: pd.DataFrame) -> go.Figure:
    """P10 / P50 / P90 of funding per line from the pledge-risk simulation."""
    if by_line.empty:
        return empty("No simulation yet")
    data = by_line.sort_values("requirement_usd", ascending=False).head(30)
    labels = data["line_id"].astype(str) + " · " + data["name"].astype(str).map(_short)
    fig = go.Figure()
    fig.add_bar(name="Requirement", y=labels, x=data["requirement_usd"], orientation="h",
                marker_color="rgba(154,165,173,0.35)")  # fmt: skip
    fig.add_scatter(
        name="Funded P50 (P10–P90)",
        y=labels,
        x=data["funded_p50"],
        mode="markers",
        marker={"color": "#1f4e79", "size": 8},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": (data["funded_p90"] - data["funded_p50"]).clip(lower=0),
            "arrayminus": (data["funded_p50"] - data["funded_p10"]).clip(lower=0),
            "color": "#1f4e79",
        },
    )
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(autorange="reversed", tickfont={"size": 10})
    fig.update_xaxes(tickformat="~s", title="USD over the horizon")
    return styled(fig, height=max(320, 20 * len(data) + 100))


def funded_histogram(values: Sequence[float], planned: float) -> go.Figure:
    """Distribution of total funding over the simulated draws, with the plan's figure."""
    if not values:
        return empty("No simulation yet", height=260)
    fig = go.Figure(go.Histogram(x=list(values), marker_color="#2e86ab", nbinsx=30))
    fig.add_vline(
        x=planned, line_dash="dash", line_color=TARGET_COLOUR,
        annotation_text="plan (all pledges honoured)", annotation_position="top left",
    )  # fmt: skip
    fig.update_xaxes(tickformat="~s", title="Total funded (USD)")
    fig.update_yaxes(title="Draws")
    return styled(fig, height=280, legend=False)


def year_totals(frame: pd.DataFrame) -> go.Figure:
    """Requirement vs funded (firm and pledged-only) per year; ``frame``: the year breakdown."""
    if frame.empty:
        return empty("No requirements in the plan")
    years = frame["year"].astype(str)
    fig = go.Figure()
    fig.add_bar(name="Firm (committed + paid)", x=years, y=frame["firm_usd"],
                marker_color="#1f4e79")  # fmt: skip
    fig.add_bar(name="Pledged only", x=years, y=frame["pledged_only_usd"],
                marker_color="#7fb3d5")  # fmt: skip
    fig.add_bar(name="Gap", x=years, y=frame["gap_usd"], marker_color="#e9c46a")
    fig.update_layout(barmode="stack", yaxis_title="USD")
    fig.update_yaxes(tickformat="~s")
    return styled(fig, height=320)


def warm_up() -> None:
    """Build one tiny figure of every trace type used, so plotly's lazy validator imports
    happen at start-up rather than on the first user's page load."""
    fig = go.Figure()
    fig.add_bar(x=[1], y=[1])
    fig.add_scatter(x=[1], y=[1])
    fig.add_heatmap(z=[[1]])
    fig.add_histogram(x=[1])
    fig.add_trace(
        go.Sankey(node={"label": ["a", "b"]}, link={"source": [0], "target": [1], "value": [1]})
    )
    fig.add_trace(go.Treemap(ids=["a"], labels=["a"], parents=[""], values=[1]))
    fig.add_vline(x=0.5)
    fig.add_annotation(text="x", x=0, y=0)
    styled(fig)
    fig.to_plotly_json()
