"""The README's Layout section names every module of the product, and only modules that exist
(issue 9: "lists every module with its one-line purpose")."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "appeal", "dashboards", "benchmarks", "sample_data")


def _layout_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Layout\n")
    return text[start : text.index("\n## ", start + 1)]


def _modules() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            top_init = path.name == "__init__.py" and path.parent == ROOT / package
            # Alembic revisions are data (one per schema change), listed by `alembic history`.
            if "__pycache__" in path.parts or "/migrations/versions/" in rel or top_init:
                continue
            found.add(rel)
    return found


def test_every_module_is_listed_with_a_purpose() -> None:
    listed = dict(re.findall(r"^\s+(\S+\.py)\s+(.*)$", _layout_section(), flags=re.M))
    missing = sorted(_modules() - set(listed))
    assert not missing, f"README Layout lacks: {missing}"
    assert all(len(purpose.split()) >= 2 for purpose in listed.values()), listed


def test_the_layout_lists_no_module_that_is_gone() -> None:
    listed = set(re.findall(r"^\s+(\S+\.py)\s", _layout_section(), flags=re.M))
    assert not sorted(listed - _modules())
