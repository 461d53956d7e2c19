"""The columns the workbook's tables share: header label, HXL hashtag and cell style, once.

A table is a list of these (plus columns of its own); a column that means the same thing on
two sheets is the same object, so its label, hashtag and format cannot drift apart.
"""

from __future__ import annotations

from appeal.workbook.layout import Column

__all__ = [
    "AMOUNT",
    "CATEGORY",
    "COVERAGE",
    "DONOR",
    "ENTITY",
    "FUNDED",
    "GAP",
    "LINE_ID",
    "MIN_VIABLE",
    "PRIORITY",
    "PROGRAMME",
    "RANK",
    "REQUIREMENT",
    "STATUS",
    "YEAR",
]

LINE_ID = Column("Line ID", "#activity+code", "text")
PROGRAMME = Column("Programme", "#activity+name", "wrap")  # names wrap, never cut
CATEGORY = Column("Category", "#activity+category", "text")
ENTITY = Column("Entity", "#org+impl", "text")
PRIORITY = Column("Priority", "#priority", "int")
MIN_VIABLE = Column("Min viable share", "#indicator+minviable+pct", "pct")
YEAR = Column("Year", "#date+year", "int")
RANK = Column("Rank", "#rank", "int")
DONOR = Column("Donor", "#org+funder", "text")
STATUS = Column("Status", "#status", "text")
AMOUNT = Column("Amount (USD)", "#value+usd", "usd")
REQUIREMENT = Column("Requirement (USD)", "#value+required+usd", "usd")
FUNDED = Column("Funded (USD)", "#value+funding+usd", "usd")
GAP = Column("Gap (USD)", "#value+gap+usd", "usd")
COVERAGE = Column("Coverage", "#indicator+coverage+pct", "pct")
