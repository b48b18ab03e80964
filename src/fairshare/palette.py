"""The colours of every map and chart, in one place so PNG, SVG and HTML use the same ones.

Fulfilment (intake ÷ fair share) is drawn on a diverging scale, ColorBrewer RdBu with 7 classes:
blue below a jurisdiction's share, red above, near-white around 1 (light enough for black text).
Bars compare intake with fair share in two colours that differ in lightness as well as hue, so
they stay apart in grey print and for colour-blind readers.
"""

from __future__ import annotations

import math

BELOW = ("#2166ac", "#67a9cf", "#d1e5f0")
MIDDLE = "#f7f7f7"
ABOVE = ("#fddbc7", "#ef8a62", "#b2182b")
NO_DATA = "#bdbdbd"
BREAKS = (0.25, 0.5, 0.9, 1.1, 2.0, 4.0)
FULFILMENT = (*BELOW, MIDDLE, *ABOVE)

INTAKE = "#b2182b"
FAIR_SHARE = "#2166ac"
SURPLUS_LINE = "#0b5394"
INK = "#1a1a1a"
MUTED = "#4a4a4a"
OUTLINE = "#333333"
GRID = "#bbbbbb"
BACKGROUND = "#ffffff"


def fulfilment_colour(value: float | None) -> str:
    """The map colour of a fulfilment ratio (intake ÷ fair share).

    >>> fulfilment_colour(1.0), fulfilment_colour(0.1), fulfilment_colour(5.0), fulfilment_colour(None)
    ('#f7f7f7', '#2166ac', '#b2182b', '#bdbdbd')
    """
    if value is None or math.isnan(value):
        return NO_DATA
    for i, limit in enumerate(BREAKS):
        if value < limit:
            return FULFILMENT[i]
    return FULFILMENT[-1]


def legend_classes(decimal: str = ".") -> list[tuple[str, str]]:
    """(colour, range label) of each fulfilment class, lowest first.

    >>> legend_classes(",")[:2]
    [('#2166ac', '0 – 0,25'), ('#67a9cf', '0,25 – 0,5')]
    """
    bounds = (0.0, *BREAKS, math.inf)
    out = []
    for i, colour in enumerate(FULFILMENT):
        lo, hi = f"{bounds[i]:g}".replace(".", decimal), f"{bounds[i + 1]:g}".replace(".", decimal)
        out.append((colour, f"≥ {lo}" if math.isinf(bounds[i + 1]) else f"{lo} – {hi}"))
    return out
