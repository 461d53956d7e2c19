"""The plan's pledges and allocation in the formats others read: HXL-tagged csv, IATI
activity XML and the FTS reporting sheet — so the working group reports without retyping, and
every file imports again with the same money (``--format contract`` / ``iati`` / ``fts``).

:func:`export` is the one entry (``appeal export --to hxl|iati|fts``); each format is a module
of its own (:mod:`appeal.exports.hxl`, :mod:`appeal.exports.iati`, :mod:`appeal.exports.fts`).
Confidential donors appear as "Anonymous donor N" unless ``reveal_confidential``; text from
users never becomes a formula (:mod:`appeal.inert`, :mod:`appeal.workbook.xlsx_safety`).
"""

from __future__ import annotations

from pathlib import Path

from models.analytics import PlanRun

__all__ = ["FORMATS", "SUFFIX", "export"]

#: Export formats and the file suffix each writes.
SUFFIX: dict[str, str] = {"hxl": ".csv", "iati": ".xml", "fts": ".xlsx"}
FORMATS: tuple[str, ...] = tuple(SUFFIX)


def export(
    fmt: str,
    path: str | Path,
    run: PlanRun,
    *,
    reveal_confidential: bool = False,
    reporting_org: str = "",
) -> list[Path]:
    """Write ``run`` as ``fmt`` to ``path``; the files written (HXL: pledges and allocation)."""
    target = Path(path)
    if fmt == "hxl":
        from appeal.exports import hxl

        return hxl.write(target, run, reveal_confidential=reveal_confidential)
    if fmt == "iati":
        from appeal.exports import iati

        return [
            iati.write(
                target,
                run,
                reveal_confidential=reveal_confidential,
                reporting_org=reporting_org or iati.DEFAULT_REPORTING_ORG,
            )
        ]
    if fmt == "fts":
        from appeal.exports import fts

        return [fts.write(target, run, reveal_confidential=reveal_confidential)]
    raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
