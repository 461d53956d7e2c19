"""The programmes' narrative columns, read from a programmes file.

The programmes contract does not carry the narrative columns yet (``summary``,
``case_for_support``, ``expected_results``, ``indicators``: :mod:`models.narrative`), so the
importer leaves them out of the plan. :func:`with_narratives` reads them from the same file
and adds them to the plan's programmes table, where :func:`models.narrative.line_narratives`
(the one reader the document and the workbook use) finds them. Once the contract declares the
columns and the importer keeps them, this module goes and the plan carries them already.
"""

from __future__ import annotations

from pathlib import Path

from appeal import spreadsheet as ss
from models.narrative import NARRATIVE_COLUMNS
from models.plan import Plan

__all__ = ["with_narratives"]

MAX_LENGTH = 4_000  # characters per narrative cell


def with_narratives(plan: Plan, programmes_file: str | Path) -> Plan:
    """``plan`` with the narrative columns of ``programmes_file`` added to its programmes
    (by line_id; lines the file does not describe get empty text)."""
    if all(c in plan.programmes.columns for c in NARRATIVE_COLUMNS):
        return plan
    table = ss.read_table(programmes_file, "programmes")
    assert table is not None  # read_table raises when the file has no programmes table
    present = [c for c in NARRATIVE_COLUMNS if c in table.columns]
    if not present:
        return plan
    rows: dict[str, dict[str, str]] = {}
    for _number, values in table.rows:
        line = table.get(values, "line_id")
        if line is None or ss.is_blank(line):
            continue
        rows[ss.clean_text(line)] = {
            c: ss.clean_text(table.get(values, c))[:MAX_LENGTH]
            if not ss.is_blank(table.get(values, c))
            else ""
            for c in present
        }
    programmes = plan.programmes.copy()
    ids = programmes["line_id"].astype(str)
    for column in present:
        programmes[column] = [rows.get(i, {}).get(column, "") for i in ids]
    return plan.replace(programmes=programmes.reset_index(drop=True))
