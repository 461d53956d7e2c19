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

from dashboards.components import usd
from dashboards.logic import words
from models.plan import CATEGORIES

# Colour-blind-safe (Okabe-Ito) colours. One colour per category and per kind of money, used on
# every page so a category, firm money or the gap always looks the same.
CATEGORY_COLOURS: dict[str, str] = {
    "leadership": "#0072b2",
    "coordination": "#56b4e9",
    "flagship": "#e69f00",
    "entity": "#009e73",
}
EARMARKING_COLOURS: dict[str, str] = {
    "unearmarked": "#0072b2",
    "softly_earmarked": "#56b4e9",
    "earmarked": "#e69f00",
    "tightly_earmarked": "#a6611a",
}
GAP_COLOUR = "#d55e00"  # the gap (unmet requirement), everywhere
FIRM_COLOUR = "#1f4e79"
PLEDGED_COLOUR = "#7fb3d5"
GAIN_COLOUR = "#0072b2"
LOSS_COLOUR = "#cc79a7"
NEUTRAL = "#8a96a0"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
TARGET_COLOUR = "#3d454d"
GRID = "#e6eaef"
COLOURWAY = ["#0072b2", "#e69f00", "#009e73", "#56b4e9", "#cc79a7", "#f0e442", "#a6611a"]
MILLION = 1e6
USD_M = "USD m"


def _m(values: Any) -> Any:
    """Money in USD millions, as the axes show it."""
    return pd.Series(values, dtype=float) / MILLION


def _label(code: str) -> str:
    return words.label("category", code)


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


def _money_axis(fig: go.Figure, axis: str = "y", title: str = USD_M) -> None:
    """Axis in USD millions ("USD m"), the unit the cards use."""
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    update(title=title, tickformat=",.1~f")


def gap_by_category_year(frame: pd.DataFrame) -> go.Figure:
    """Stacked bars of the gap per year, one colour per category (legend in stack order).

    ``frame``: the ``("category", "year")`` breakdown of :mod:`models.gaps`.
    """
    if frame.empty:
        return empty("No requirements in the plan")
    fig = go.Figure()
    for category in [c for c in CATEGORIES if c in set(frame["category"])]:
        part = frame[frame["category"] == category]
        fig.add_bar(
            name=_label(category),
            x=part["year"].astype(str),
            y=_m(part["gap_usd"]),
            marker_color=CATEGORY_COLOURS.get(category),
            customdata=part[["requirement_usd", "funded_usd", "coverage"]].to_numpy(),
            hovertemplate=(
                "%{x} · " + _label(category) + "<br>gap USD %{y:,.2f}m<br>requirement USD "
                "%{customdata[0]:,.0f}<br>funded USD %{customdata[1]:,.0f}"
                "<br>coverage %{customdata[2]:.0%}<extra></extra>"
            ),
        )
    fig.update_layout(barmode="stack", legend_traceorder="reversed", xaxis_title=None)
    _money_axis(fig, title="Gap, " + USD_M)
    return styled(fig)


def coverage_heatmap(frame: pd.DataFrame) -> go.Figure:
    """Coverage (funded / requirement) per line and year, the percentage written in each cell,
    on the colour-blind-safe cividis scale.

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
            colorscale="Cividis",
            texttemplate="%{z:.0%}",
            textfont={"size": 10},
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
    colours = [GAIN_COLOUR if v >= 0 else LOSS_COLOUR for v in data["funded_delta"]]
    fig = go.Figure(
        go.Bar(
            x=_m(data["funded_delta"]),
            y=data["line_id"].astype(str) + " · " + data["name"].astype(str).map(_short),
            orientation="h",
            marker_color=colours,
            customdata=data["funded_delta"].to_numpy(),
            hovertemplate="%{y}<br>change USD %{customdata:,.0f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", tickfont={"size": 10})
    _money_axis(fig, "x", f"Change in funding, {USD_M} ({label_b} minus {label_a})")
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
            x=_m(data["amount_usd"]),
            y=data["line_id"].astype(str)
            + " · "
            + data["name"].astype(str).map(lambda t: _short(t, 26)),
            orientation="h",
            marker_color=GAIN_COLOUR,
            text=[usd(v) for v in data["amount_usd"]],
            textposition="auto",
            hovertemplate="%{y}<br>USD %{x:,.3f}m<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    _money_axis(fig, "x")
    fig.update_xaxes(nticks=4)
    return styled(fig, height=max(240, 28 * len(data) + 90), legend=False)


def sankey(
    allocations: pd.DataFrame,
    programmes: pd.DataFrame,
    *,
    top: int = 8,
    lines: bool = False,
    top_lines: int = 12,
) -> go.Figure:
    """Money flow from the largest donors (the rest grouped) to categories and, with
    ``lines``, on to the largest budget lines (the rest grouped per category); every node is
    labelled with its amount.

    ``allocations``: pledge allocations with (already anonymised) donor, line_id, amount_usd.
    """
    if allocations.empty:
        return empty("Nothing allocated yet", height=420)
    alloc = allocations.groupby(["donor", "line_id"], as_index=False)["amount_usd"].sum()
    ranked = alloc.groupby("donor")["amount_usd"].sum().sort_values(ascending=False)
    keep = list(ranked.index[:top])
    others = len(ranked) - len(keep)
    other_label = f"{others} other donors"
    alloc["donor"] = alloc["donor"].where(alloc["donor"].isin(keep), other_label)
    attrs = programmes[["line_id", "name", "category"]].astype({"line_id": str})
    alloc = alloc.merge(attrs, on="line_id", how="left")
    alloc["category"] = alloc["category"].fillna("entity")
    donors = [*keep, *([other_label] if others else [])]
    cats = [c for c in CATEGORIES if c in set(alloc["category"])]
    dc = alloc.groupby(["donor", "category"], as_index=False)["amount_usd"].sum()
    nodes: list[tuple[str, str]] = [("d", d) for d in donors] + [("c", c) for c in cats]
    totals = {("d", d): v for d, v in alloc.groupby("donor")["amount_usd"].sum().items()}
    totals.update({("c", c): v for c, v in alloc.groupby("category")["amount_usd"].sum().items()})
    names: dict[tuple[str, str], str] = {("d", d): str(d) for d in donors}
    names.update({("c", c): _label(c) for c in cats})
    links: list[tuple[tuple[str, str], tuple[str, str], float, str]] = [
        (("d", r["donor"]), ("c", r["category"]), float(r["amount_usd"]), r["category"])
        for r in dc.to_dict("records")
    ]
    if lines:
        line_totals = alloc.groupby("line_id")["amount_usd"].sum().sort_values(ascending=False)
        shown = set(line_totals.index[:top_lines])
        alloc["node"] = alloc["line_id"].where(alloc["line_id"].isin(shown), "")
        label_of = dict(zip(attrs["line_id"], attrs["name"].astype(str), strict=False))
        cl = alloc.groupby(["category", "node"], as_index=False)["amount_usd"].sum()
        for r in cl.to_dict("records"):
            key = ("l", r["node"]) if r["node"] else ("o", r["category"])
            if key not in names:
                nodes.append(key)
                n_other = int(
                    alloc.loc[
                        (alloc["category"] == r["category"]) & (alloc["node"] == ""), "line_id"
                    ].nunique()
                )
                names[key] = (
                    f"{r['node']} {_short(label_of.get(r['node'], r['node']), 26)}"
                    if r["node"]
                    else f"{n_other} other {_label(r['category']).lower()} lines"
                )
                totals[key] = 0.0
            totals[key] += float(r["amount_usd"])
            links.append((("c", r["category"]), key, float(r["amount_usd"]), r["category"]))
    index = {key: i for i, key in enumerate(nodes)}
    colour = {
        "d": "#4a545e",
        "o": NEUTRAL,
        "l": NEUTRAL,
    }
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": [f"{names[k]} · {usd(totals[k])}" for k in nodes],
                "color": [
                    CATEGORY_COLOURS.get(k[1], NEUTRAL) if k[0] == "c" else colour[k[0]]
                    for k in nodes
                ],
                "pad": 14,
                "thickness": 16,
                "hovertemplate": "%{label}<extra></extra>",
            },
            link={
                "source": [index[s] for s, _, _, _ in links],
                "target": [index[t] for _, t, _, _ in links],
                "value": [v for _, _, v, _ in links],
                "color": [_rgba(CATEGORY_COLOURS.get(c, NEUTRAL), 0.35) for _, _, _, c in links],
                "hovertemplate": "%{source.label} → %{target.label}<br>USD %{value:,.0f}"
                "<extra></extra>",
            },
            valueformat=",.0f",
            valuesuffix=" USD",
            textfont={"size": 12, "color": "#1f2d3d"},
        )
    )
    height = max(420, 34 * max(len(donors), len(nodes) - len(donors) - len(cats)) + 80)
    return styled(fig, height=height, legend=False)


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
        line={"dash": "dot", "color": NEUTRAL},
    )  # fmt: skip
    fig.add_scatter(
        x=xs, y=ys, mode="lines+markers", name=f"Donors (Gini {gini:.2f})",
        line={"color": FIRM_COLOUR}, marker={"size": 4}, fill="tonexty",
        fillcolor="rgba(31,78,121,0.08)",
        hovertemplate="smallest %{x:.0%} of donors give %{y:.0%} of the money<extra></extra>",
    )  # fmt: skip
    fig.update_xaxes(title="Share of donors (smallest first)", tickformat=".0%", range=[0, 1])
    fig.update_yaxes(title="Share of money", tickformat=".0%", range=[0, 1])
    return styled(fig, height=360)


def donor_treemap(donors: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Programmable USD by donor type, region and donor (names already anonymised), every box
    labelled with its amount; a donor with no region sits directly under its type (no "n/a"
    boxes)."""
    rows = [d for d in donors if float(d.get("programmable_usd", 0.0)) > 0]
    if not rows:
        return empty("No pledges in the horizon", height=420)
    frame = pd.DataFrame(rows)
    frame["region"] = frame["region"].fillna("").astype(str)
    frame.loc[frame["region"].str.casefold().isin(("n/a", "na", "none", "")), "region"] = ""
    ids: list[str] = []
    labels: list[str] = []
    parents: list[str] = []
    values: list[float] = []

    def add(ident: str, label: str, parent: str, value: float) -> None:
        ids.append(ident)
        labels.append(label)
        parents.append(parent)
        values.append(value)

    for t, tpart in frame.groupby("donor_type", sort=True):
        tid = f"t/{t}"
        add(tid, words.label("donor_type", t), "", float(tpart["programmable_usd"].sum()))
        for r, rpart in tpart.groupby("region", sort=True):
            parent = tid
            if r:
                parent = f"{tid}/r/{r!s}"
                add(parent, str(r), tid, float(rpart["programmable_usd"].sum()))
            for rec in rpart.to_dict("records"):
                add(f"{parent}/d/{rec['donor']}", str(rec["donor"]), parent,
                    float(rec["programmable_usd"]))  # fmt: skip
    fig = go.Figure(
        go.Treemap(
            ids=ids,
            labels=labels,
            parents=parents,
            values=values,
            text=[usd(v) for v in values],
            texttemplate="%{label}<br>%{text}",
            branchvalues="total",
            hovertemplate="%{label}<br>%{text}<br>%{percentRoot:.1%} of all<extra></extra>",
            marker={"colorscale": "Cividis", "colors": values, "reversescale": True},
            root={"color": "#ffffff"},
        )
    )
    fig.update_layout(margin={"l": 0, "r": 0, "t": 30, "b": 0})
    return styled(fig, height=440, legend=False)


def earmarking_mix(shares: Mapping[str, float], flexible_share: float, target: float) -> go.Figure:
    """Share of money per Grand Bargain earmarking category (legend in bar order, left to
    right), with the flexible share against the 30% aim."""
    cats = [c for c in EARMARKING_COLOURS if c in shares] + [
        c for c in shares if c not in EARMARKING_COLOURS
    ]
    fig = go.Figure()
    for c in cats:
        fig.add_bar(
            name=words.label("earmarking", c),
            x=[float(shares[c])],
            y=["Earmarking mix"],
            orientation="h",
            marker_color=EARMARKING_COLOURS.get(c, NEUTRAL),
            hovertemplate=words.label("earmarking", c) + ": %{x:.1%}<extra></extra>",
        )
    fig.add_bar(
        name=f"Flexible (unearmarked + softly earmarked) {flexible_share:.0%}",
        x=[flexible_share],
        y=["Flexible money"],
        orientation="h",
        marker_color="#009e73" if flexible_share >= target else "#e69f00",
        hovertemplate="flexible: %{x:.1%}<extra></extra>",
    )
    fig.add_vline(
        x=target, line_dash="dash", line_color=TARGET_COLOUR,
        annotation_text=f"{target:.0%} aim", annotation_position="top",
    )  # fmt: skip
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_xaxes(tickformat=".0%", range=[0, 1], title="Share of all money")
    return styled(fig, height=280)


def stress_lines(frame: pd.DataFrame) -> go.Figure:
    """Gap before and after losing donors, for the lines whose gap grows."""
    hit = frame[frame["gap_change"] > 0.5].sort_values("gap_change", ascending=False).head(20)
    if hit.empty:
        return empty("No line loses funding in this case", height=240)
    labels = hit["line_id"].astype(str) + " · " + hit["name"].astype(str).map(_short)
    fig = go.Figure()
    fig.add_bar(name="Gap before", y=labels, x=_m(hit["gap_before"]), orientation="h",
                marker_color=NEUTRAL)  # fmt: skip
    fig.add_bar(name="Gap after", y=labels, x=_m(hit["gap_after"]), orientation="h",
                marker_color=GAP_COLOUR)  # fmt: skip
    fig.update_layout(barmode="group", legend_traceorder="normal")
    fig.update_yaxes(autorange="reversed", tickfont={"size": 10})
    _money_axis(fig, "x", "Gap, " + USD_M)
    return styled(fig, height=max(280, 34 * len(hit) + 90))


def risk_bands(by_line: pd.DataFrame) -> go.Figure:
    """P10 / P50 / P90 of funding per line from the pledge-risk simulation."""
    if by_line.empty:
        return empty("No simulation yet")
    data = by_line.sort_values("requirement_usd", ascending=False).head(30)
    labels = data["line_id"].astype(str) + " · " + data["name"].astype(str).map(_short)
    fig = go.Figure()
    fig.add_bar(name="Requirement", y=labels, x=_m(data["requirement_usd"]), orientation="h",
                marker_color="rgba(138,150,160,0.35)")  # fmt: skip
    fig.add_scatter(
        name="Funded P50 (P10–P90)",
        y=labels,
        x=_m(data["funded_p50"]),
        mode="markers",
        marker={"color": FIRM_COLOUR, "size": 8},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": _m((data["funded_p90"] - data["funded_p50"]).clip(lower=0)),
            "arrayminus": _m((data["funded_p50"] - data["funded_p10"]).clip(lower=0)),
            "color": FIRM_COLOUR,
        },
    )
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(autorange="reversed", tickfont={"size": 10})
    _money_axis(fig, "x", "Over the horizon, " + USD_M)
    return styled(fig, height=max(320, 20 * len(data) + 100))


def funded_histogram(values: Sequence[float], planned: float) -> go.Figure:
    """Distribution of total funding over the simulated draws, with the plan's figure."""
    if not values:
        return empty("No simulation yet", height=260)
    fig = go.Figure(go.Histogram(x=_m(list(values)), marker_color=FIRM_COLOUR, nbinsx=30))
    fig.add_vline(
        x=planned / MILLION, line_dash="dash", line_color=TARGET_COLOUR,
        annotation_text="plan (all pledges honoured)", annotation_position="top left",
    )  # fmt: skip
    _money_axis(fig, "x", "Total funded, " + USD_M)
    fig.update_yaxes(title="Draws")
    return styled(fig, height=280, legend=False)


def year_totals(frame: pd.DataFrame) -> go.Figure:
    """Firm money, pledged-only money and the gap per year (stacked to the requirement; the
    legend lists them top of the stack first)."""
    if frame.empty:
        return empty("No requirements in the plan")
    years = frame["year"].astype(str)
    fig = go.Figure()
    fig.add_bar(name="Firm (committed + paid)", x=years, y=_m(frame["firm_usd"]),
                marker_color=FIRM_COLOUR)  # fmt: skip
    fig.add_bar(name="Pledged only", x=years, y=_m(frame["pledged_only_usd"]),
                marker_color=PLEDGED_COLOUR)  # fmt: skip
    fig.add_bar(name="Gap", x=years, y=_m(frame["gap_usd"]), marker_color=GAP_COLOUR)
    fig.update_layout(barmode="stack", legend_traceorder="reversed")
    _money_axis(fig)
    return styled(fig, height=320)


def entity_bars(frame: pd.DataFrame) -> go.Figure:
    """Per entity: firm money, pledged-only money and the gap (horizontal stacks to the
    requirement; legend left to right in bar order). ``frame``: the entity breakdown."""
    if frame.empty:
        return empty("No entity matches the filters")
    data = frame.sort_values("requirement_usd", ascending=True)
    fig = go.Figure()
    for column, name, colour in (
        ("firm_usd", "Firm (committed + paid)", FIRM_COLOUR),
        ("pledged_only_usd", "Pledged only", PLEDGED_COLOUR),
        ("gap_usd", "Gap", GAP_COLOUR),
    ):
        fig.add_bar(name=name, y=data["entity"].astype(str), x=_m(data[column]),
                    orientation="h", marker_color=colour,
                    hovertemplate="%{y}: USD %{x:,.2f}m<extra>" + name + "</extra>")  # fmt: skip
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    _money_axis(fig, "x")
    return styled(fig, height=max(300, 26 * len(data) + 100))


def donor_years(frame: pd.DataFrame) -> go.Figure:
    """One donor's programmable money per year, stacked by earmarking (legend in stack order).
    ``frame``: year, earmarking, programmable_usd."""
    if frame.empty:
        return empty("No pledges in the horizon", height=280)
    fig = go.Figure()
    for code in [c for c in EARMARKING_COLOURS if c in set(frame["earmarking"])]:
        part = frame[frame["earmarking"] == code]
        fig.add_bar(name=words.label("earmarking", code), x=part["year"].astype(str),
                    y=_m(part["programmable_usd"]),
                    marker_color=EARMARKING_COLOURS[code])  # fmt: skip
    fig.update_layout(barmode="stack", legend_traceorder="reversed")
    _money_axis(fig)
    return styled(fig, height=300)


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
