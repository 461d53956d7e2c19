"""Earmark eligibility: which budget lines a pledge's money may fund.

- unearmarked: every line;
- softly earmarked: lines matching a target ``pillar:II``, ``theme:gender``,
  ``category:flagship`` or ``entity:UNODC`` (several targets separated by ``;`` widen the set);
- earmarked / tightly earmarked: exactly the named ``line_id`` — or, for a list of line_ids
  separated by ``;`` ("any of these lines", as FTS reports a flow shared across clusters),
  exactly those lines: the money may fund any of them and no other.

A target that matches no line is an error (:class:`UnknownEarmarkTarget`), never an empty set:
the import reports it as a row error so money is not silently stranded. The error carries the
unknown target and the known values, so the importer can suggest the closest.
"""

from __future__ import annotations

import pandas as pd

from models.contract import EARMARK_TARGET_KINDS as TARGET_KINDS
from models.plan import split_list


class UnknownEarmarkTarget(ValueError):
    """The earmark target matches nothing in the programmes; ``unknown`` is the part that
    matched nothing and ``known`` the values it could have been (for "did you mean")."""

    def __init__(self, message: str, unknown: str = "", known: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.unknown = unknown
        self.known = known


class EligibilityIndex:
    """Precomputed lookups from earmark targets to the lines they cover."""

    def __init__(self, programmes: pd.DataFrame) -> None:
        self.all_lines: frozenset[str] = frozenset(str(x) for x in programmes["line_id"])
        self._by_kind: dict[str, dict[str, set[str]]] = {k: {} for k in TARGET_KINDS}
        self._line_case: dict[str, str] = {x.casefold(): x for x in self.all_lines}
        for row in programmes.itertuples(index=False):
            line = str(row.line_id)
            for pillar in split_list(row.pillars):
                self._by_kind["pillar"].setdefault(pillar.upper(), set()).add(line)
            for theme in split_list(row.themes):
                self._by_kind["theme"].setdefault(normalise_theme(theme), set()).add(line)
            self._by_kind["category"].setdefault(str(row.category).casefold(), set()).add(line)
            self._by_kind["entity"].setdefault(str(row.entity).casefold(), set()).add(line)

    def lines_for(self, earmarking: str, earmark_to: str) -> frozenset[str]:
        """Eligible line ids for one pledge; raises UnknownEarmarkTarget with the reason."""
        target = (earmark_to or "").strip()
        if earmarking == "unearmarked":
            if target:
                raise UnknownEarmarkTarget(
                    f"unearmarked pledge has an earmark target {target!r}; leave it empty"
                )
            return self.all_lines
        if not target:
            raise UnknownEarmarkTarget(f"{earmarking.replace('_', ' ')} pledge needs an earmark_to")
        if earmarking == "softly_earmarked":
            lines: set[str] = set()
            for part in split_list(target):
                lines |= self._soft_target(part)
            return frozenset(lines)
        return frozenset(self._line(part) for part in split_list(target))

    def _line(self, part: str) -> str:
        """The line_id ``part`` names (case-insensitively), or UnknownEarmarkTarget."""
        line = self._line_case.get(part.casefold())
        if line is None:
            hint = " (softly earmarked targets look like pillar:II)" if ":" in part else ""
            raise UnknownEarmarkTarget(
                f"earmark target {part!r} is not a line_id in the programmes{hint}",
                part,
                tuple(sorted(self.all_lines)),
            )
        return line

    def _soft_target(self, part: str) -> set[str]:
        if ":" not in part:
            line = self._line_case.get(part.casefold())
            if line is not None:
                return {line}
            raise UnknownEarmarkTarget(
                f"soft earmark target {part!r} must look like pillar:II, theme:gender, "
                "category:flagship or entity:UNODC, or be a line_id",
                part,
                tuple(sorted(self.all_lines)),
            )
        kind, _, value = part.partition(":")
        kind = kind.strip().casefold()
        value = value.strip()
        if kind not in TARGET_KINDS:
            raise UnknownEarmarkTarget(
                f"soft earmark kind {kind!r} is not one of {', '.join(TARGET_KINDS)}",
                kind,
                TARGET_KINDS,
            )
        key = (
            value.upper()
            if kind == "pillar"
            else normalise_theme(value)
            if kind == "theme"
            else value.casefold()
        )
        found = self._by_kind[kind].get(key)
        if not found:
            raise UnknownEarmarkTarget(
                f"no programme matches earmark target {kind}:{value}",
                value,
                tuple(sorted(self._by_kind[kind])),
            )
        return set(found)


def normalise_theme(theme: str) -> str:
    """ "Human Rights" / "human-rights" / "human_rights" -> "human_rights"."""
    return "_".join(theme.strip().casefold().replace("-", " ").split())


def eligible_lines(programmes: pd.DataFrame, pledges: pd.DataFrame) -> pd.Series:
    """Eligible line set (frozenset) per pledge_id."""
    index = EligibilityIndex(programmes)
    return pd.Series(
        [
            index.lines_for(e, t)
            for e, t in zip(pledges["earmarking"], pledges["earmark_to"], strict=True)
        ],
        index=pledges["pledge_id"].to_numpy(),
        dtype=object,
    )
