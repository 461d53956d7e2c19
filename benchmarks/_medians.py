"""What the median-timing benchmarks share: the table they print and the JSON file they write.

Each result is a mapping with ``median_s``, ``min_s``, ``max_s``, optionally ``iqr_s`` (the
spread between the quartiles) and ``cpu_median_s`` (CPU seconds), and ``target_s`` (None when
the figure has no target).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def print_table(results: Mapping[str, Mapping[str, Any]], *, label: str) -> None:
    """One line per figure: median, min, max (IQR and CPU when every figure has them), target
    and whether the median meets it."""
    width = max(len(label), *(len(name) for name in results))
    optional = [
        (key, head)
        for key, head in (("iqr_s", "IQR s"), ("cpu_median_s", "CPU s"))
        if all(key in r for r in results.values())
    ]
    columns = ["median s", "min s", "max s", *(head for _, head in optional), "target s"]
    print(f"{label:<{width}} " + " ".join(f"{c:>9}" for c in columns) + "  ok")
    for name, r in results.items():
        target = r.get("target_s")
        ok = "" if target is None else ("yes" if r["median_s"] < target else "NO")
        figures = [r["median_s"], r["min_s"], r["max_s"], *(r[key] for key, _ in optional)]
        cells = [f"{v:>9.3f}" for v in figures] + ["" if target is None else f"{target:>9.1f}"]
        print(f"{name:<{width}} " + " ".join(f"{c:>9}" for c in cells) + f"  {ok}")


def write_report(report: Mapping[str, Any], out: Path) -> None:
    """The whole report as indented JSON at ``out`` (folders created), and where it went."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"written to {out}")
