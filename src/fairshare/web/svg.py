"""The dashboard's map and charts: the scenes of :mod:`fairshare.maps` and :mod:`fairshare.charts`
inlined as SVG (no script, works offline and under a strict CSP).

Each figure comes in two widths; the stylesheet shows the wide one on desktops and the narrow one
(fewer columns, larger text relative to its size) below 700 px.

The same scenes are what ``fairshare map`` and ``fairshare balance --plot`` write, so the web and
the files show one picture in the same colours. Every shape carries a ``<title>`` (its hover
text); the pages also show the same figures in a table, which is the accessible reading.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from fairshare.charts import bars_scene, surplus_scene
from fairshare.maps import map_scene
from fairshare.palette import MIDDLE, NO_DATA, fulfilment_colour, legend_classes
from fairshare.reference import Federation
from fairshare.scene import to_svg

WIDTH = 800
NARROW = 420  # the phone variant: its text stays about 10 px on a 360 px screen

__all__ = ["MIDDLE", "NO_DATA", "choropleth", "fulfilment_colour", "legend_classes", "lines",
           "paired_bars"]


def choropleth(fed: Federation, values: Mapping[str, float | None], value_text: Mapping[str, str],
               tooltips: Mapping[str, str], *, title: str, lang: str, narrow: bool = False) -> str:
    """The fulfilment map; ``values``, ``value_text`` and ``tooltips`` keyed by jurisdiction code.
    ``narrow`` draws it for phones (fewer pixels, so the labels stay readable when scaled)."""
    scene = map_scene(fed, values, title=title, lang=lang, value_text=value_text, tooltips=tooltips,
                      width=NARROW if narrow else WIDTH)
    return to_svg(scene, element_id="map-narrow" if narrow else "map", css_class="map")


def paired_bars(rows: Sequence[tuple[str, float, float]], *, title: str, first: str, second: str,
                fmt: Callable[[float], str], narrow: bool = False) -> str:
    """Intake against fair share, each bar labelled with its value in the page's language."""
    return to_svg(bars_scene(rows, title=title, first=first, second=second, fmt=fmt,
                             width=NARROW if narrow else WIDTH),
                  element_id="bars-narrow" if narrow else "bars", css_class="chart")


def lines(series: Mapping[str, Sequence[tuple[str, float]]], *, title: str,
          fmt: Callable[[float], str], names: Mapping[str, str] | None = None,
          narrow: bool = False) -> str:
    """Surplus by year as small multiples, one panel per jurisdiction on a shared scale."""
    return to_svg(surplus_scene(series, title=title, fmt=fmt, names=names,
                                columns=2 if narrow else 4, width=NARROW if narrow else WIDTH),
                  element_id="lines-narrow" if narrow else "lines", css_class="chart")
