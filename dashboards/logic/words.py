"""Words for codes on the dashboard's pages: the dashboard's door to :mod:`models.labels`,
the product's one home of every code -> label / sentence mapping (``lower_tier``,
``softly_earmarked``, ``member_state`` ...), plus how the pages say money in millions.

JSON and downloads keep the codes; only what a page shows goes through here.
"""

from __future__ import annotations

from models.labels import label, labels, parameter_label, sentence

__all__ = ["label", "labels", "parameter_label", "sentence", "usd_m"]


def usd_m(value: float) -> str:
    """Money in millions, as the sentences under the charts say it ("USD 12.3m")."""
    return f"USD {value / 1e6:,.1f}m"
