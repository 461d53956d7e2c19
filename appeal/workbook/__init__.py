"""The multiyear appeal workbook: the document that goes to member states and donors.

:func:`write_appeal_workbook` turns one :class:`models.analytics.PlanRun` into an ``.xlsx``
workbook (openpyxl) with these sheets (one module each in :mod:`appeal.workbook.sheets`):

Summary                   title, horizon, requirement / funded / gap / coverage by year,
                          donor-base figures against targets, policy targets, top asks, and two
                          native charts (requirements vs funding by year; gap by category)
Requirements              every line by year with its attributes; subtotals by category
                          (SUMIFS) and by pillar (SUMPRODUCT over live pillar-share formulas,
                          the even split of :mod:`models.gaps`) as live formulas
Funding status            per line and year: requirement (a reference to Requirements), funded
                          and firm (SUMIFS over Allocation plan), pledged-only, gap, coverage —
                          all formulas, so edits flow through
Allocation plan           pledge -> line -> year amounts; each line's explanation; unallocated
                          money with its reason
Priorities and asks       unmet requirement by priority tier and ranked line by line, where
                          the next USD 1 million of unearmarked money would go, programmes
                          below minimum viable
Donor base                breadth figures, shares by donor type / region / earmarking /
                          status, multi-year share, every donor
Pledges                   the pledges in the input contract's columns (DESIGN.md), so the sheet
                          can be imported again
Scenario and assumptions  every scenario parameter, exchange rates, solver, import report,
                          generation time, software version, illustrative-figures note

Why the workbook is built the way it is:

- *Edits flow through.* Totals and gaps are formulas. openpyxl cannot compute formula results,
  so every formula block has "at export" columns beside it holding the numbers the planner
  computed (unrounded; equal to the JSON result). The defined names TotalRequirement,
  TotalFunded, TotalFirm, TotalGap and Coverage point at the Summary totals.
- *User text is never a formula.* Every string is written as an inline string (never an
  ``<f>``), with the quote-prefix format when it starts with ``= + - @``, tab, CR or LF
  (:mod:`appeal.workbook.xlsx_safety`). Formulas never embed user text: they refer to cells, and
  SUMIFS criteria escape ids holding wildcards or operators (``X*``, ``>5``).
- *Confidential donors stay confidential.* Unless ``reveal_confidential``, every text cell is
  scrubbed so a confidential donor's name appears nowhere (not in explanations or import
  messages either); :func:`models.privacy.donor_aliases` gives the "Anonymous donor N" names.
- *Speed.* openpyxl's write-only mode streams each sheet to disk; styles are NamedStyles
  registered once; rows are rendered straight to sheet XML (repeated texts rendered once) by
  :mod:`appeal.workbook.engine`, with or without lxml installed, because openpyxl's own cell
  serialiser is 7-20x slower (``python -m benchmarks.bench_export``).
- *Atomic.* The workbook is saved to a temporary file in the target folder and renamed, so a
  failure never leaves a half-written file behind.

The package, read top to bottom:

writer          the pipeline: check the target, build the model, write the sheets, save
model           the book model: every input the sheets show, typed, computed once
book            the book being written: model, sheets, cells one sheet publishes to others
sheets/         one module per sheet, in workbook order (sheets.ORDER); gap_table is the one
                writer of the requirement / funded / gap tables summed from Funding status
layout          the house layout: title rows, headers with HXL rows, blocks, page setup
formulas        every formula the workbook writes (SUMIFS, coverage, pillar shares)
styles          the named styles
engine          the streaming XML engine: rows rendered to sheet XML, lxml or not
values          plain cell values from pandas / numpy scalars
xlsx_safety     text never a formula; safe sheet names

Public surface: the names in ``__all__``.
"""

from appeal.workbook.sheets import NAMES as SHEETS
from appeal.workbook.sheets.summary import DEFINED_NAMES as _TOTAL_CELLS
from appeal.workbook.writer import WorkbookError, check_target, write_appeal_workbook

__all__ = ["DEFINED_NAMES", "SHEETS", "WorkbookError", "check_target", "write_appeal_workbook"]

# Workbook-level names of the key totals (cells of the Summary sheet).
DEFINED_NAMES: tuple[str, ...] = tuple(_TOTAL_CELLS)
