"""Where a benchmark's figures go: one JSON file in benchmarks/results/ with what ran where."""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["write_results"]


def write_results(path: Path, benchmark: str, results: list[dict[str, Any]], **extra: Any) -> None:
    """Write ``results`` (and ``extra`` facts: library versions ...) to ``path`` and say so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": benchmark,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        **extra,
        "results": results,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")
