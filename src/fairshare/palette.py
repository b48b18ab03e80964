"""The colours of every map and chart, in one place so PNG, SVG and HTML use the same ones.

Fulfilment (intake ÷ fair share) is drawn on a diverging scale, ColorBrewer RdBu with 7 classes:
blue below a jurisdiction's share, red above, near-white around 1 (light enough for black text).
A federation without intake data gets a map of its shares under the key instead, on a sequential
scale (ColorBrewer Blues, up to 5 classes) whose breaks the chart chooses from the data.
Bars compare intake with fair share in two colours that differ in lightness as well as hue, so
they stay apart in grey print and for colour-blind readers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

BELOW = ("#2166ac", "#67a9cf", "#d1e5f0")
MIDDLE = "#f7f7f7"
ABOVE = ("#fddbc7", "#ef8a62", "#b2182b")
NO_DATA = "#bdbdbd"
BREAKS = (0.25, 0.5, 0.9, 1.1, 2.0, 4.0)
FULFILMENT = (*BELOW, MIDDLE, *ABOVE)
SHARE = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")

INTAKE = "#b2182b"
FAIR_SHARE = "#2166ac"
SURPLUS_LINE = "#0b5394"
INK = "#1a1a1a"
MUTED = "#4a4a4a"
OUTLINE = "#333333"
GRID = "#bbbbbb"
BACKGROUND = "#ffffff"


def class_colour(value: float | None, breaks: Sequence[float], colours: Sequence[str]) -> str:
    """The colour of ``value``'s class: ``colours[i]`` below ``breaks[i]``, the last one above all
    breaks; ``NO_DATA`` for no value.

    >>> class_colour(7.0, (5.0, 10.0), ("#a", "#b", "#c")), class_colour(None, (5.0,), ("#a", "#b"))
    ('#b', '#bdbdbd')
    """
    if value is None or math.isnan(value):
        return NO_DATA
    for limit, colour in zip(breaks, colours, strict=False):
        if value < limit:
            return colour
    return colours[len(breaks)]


def class_legend(breaks: Sequence[float], colours: Sequence[str],
                 decimal: str = ".") -> list[tuple[str, str]]:
    """(colour, range label) of each class, lowest first, the first starting at 0.

    >>> class_legend((2.5, 5.0), ("#a", "#b", "#c"), ",")
    [('#a', '0 – 2,5'), ('#b', '2,5 – 5'), ('#c', '≥ 5')]
    """
    bounds = (0.0, *breaks, math.inf)
    out = []
    for i, colour in enumerate(colours[:len(breaks) + 1]):
        lo, hi = f"{bounds[i]:g}".replace(".", decimal), f"{bounds[i + 1]:g}".replace(".", decimal)
        out.append((colour, f"≥ {lo}" if math.isinf(bounds[i + 1]) else f"{lo} – {hi}"))
    return out


def fulfilment_colour(value: float | None) -> str:
    """The map colour of a fulfilment ratio (intake ÷ fair share).

    >>> fulfilment_colour(1.0), fulfilment_colour(0.1), fulfilment_colour(5.0), fulfilment_colour(None)
    ('#f7f7f7', '#2166ac', '#b2182b', '#bdbdbd')
    """
    return class_colour(value, BREAKS, FULFILMENT)


def legend_classes(decimal: str = ".") -> list[tuple[str, str]]:
    """(colour, range label) of each fulfilment class, lowest first.

    >>> legend_classes(",")[:2]
    [('#2166ac', '0 – 0,25'), ('#67a9cf', '0,25 – 0,5')]
    """
    return class_legend(BREAKS, FULFILMENT, decimal)


def share_colours(classes: int) -> tuple[str, ...]:
    """``classes`` (1 to 5) colours of the share scale, spread from light to dark.

    >>> share_colours(3)
    ('#eff3ff', '#6baed6', '#08519c')
    """
    if classes == 1:
        return SHARE[2:3]
    last = len(SHARE) - 1
    return tuple(SHARE[round(i * last / (classes - 1))] for i in range(classes))
