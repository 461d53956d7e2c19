"""How concentrated the donor base is: the one HHI convention every surface uses.

The Herfindahl-Hirschman Index (HHI, sum of squared percentage shares, 0-10,000) is read
against the bands of the US Department of Justice and Federal Trade Commission's *Horizontal
Merger Guidelines* (19 August 2010), section 5.3 "Market Concentration": below 1,500
unconcentrated, 1,500 to 2,500 moderately concentrated, above 2,500 highly concentrated.
(The agencies' 2023 *Merger Guidelines* call markets above 1,800 highly concentrated; the
product keeps the 2010 bands, which the app has always used, and says so wherever it shows
them.) The workbook, the appeal document and the dashboard all take the thresholds, the band
names and the note from here.
"""

from __future__ import annotations

__all__ = ["HHI_HIGH", "HHI_MODERATE", "HHI_NOTE", "HHI_SOURCE", "hhi_band"]

HHI_MODERATE = 1_500.0  # from here on: moderately concentrated
HHI_HIGH = 2_500.0  # above this: highly concentrated
HHI_SOURCE = "US DoJ/FTC Horizontal Merger Guidelines (2010), section 5.3"
HHI_NOTE = (
    f"0-10,000; below {HHI_MODERATE:,.0f} unconcentrated, {HHI_MODERATE:,.0f}-{HHI_HIGH:,.0f} "
    f"moderately concentrated, above {HHI_HIGH:,.0f} highly concentrated ({HHI_SOURCE})"
)


def hhi_band(hhi: float) -> str:
    """The band of an HHI: "unconcentrated", "moderately concentrated" or "highly
    concentrated"."""
    if hhi > HHI_HIGH:
        return "highly concentrated"
    if hhi >= HHI_MODERATE:
        return "moderately concentrated"
    return "unconcentrated"
