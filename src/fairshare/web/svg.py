"""The dashboard's map and charts: the scenes of :mod:`fairshare.maps` and :mod:`fairshare.charts`
inlined as SVG (no script, works offline and under a strict CSP).

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

__all__ = ["MIDDLE", "NO_DATA", "choropleth", "fulfilment_colour", "legend_classes", "lines",
           "paired_bars"]


def choropleth(fed: Federation, values: Mapping[str, float | None], value_text: Mapping[str, str],
               tooltips: Mapping[str, str], *, title: str, lang: str) -> str:
    """The fulfilment map; ``values``, ``value_text`` and ``tooltips`` keyed by jurisdiction code."""
    scene = map_scene(fed, values, title=title, lang=lang, value_text=value_text, tooltips=tooltips)
    return to_svg(scene, element_id="map", css_class="map")


def paired_bars(rows: Sequence[tuple[str, float, float]], *, title: str, first: str, second: str,
                fmt: Callable[[float], str]) -> str:
    """Intake against fair share, each bar labelled with its value in the page's language."""
    return to_svg(bars_scene(rows, title=title, first=first, second=second, fmt=fmt),
                  element_id="bars", css_class="chart")


def lines(series: Mapping[str, Sequence[tuple[str, float]]], *, title: str,
          fmt: Callable[[float], str], names: Mapping[str, str] | None = None) -> str:
    """Surplus by year as small multiples, one panel per jurisdiction on a shared scale."""
    return to_svg(surplus_scene(series, title=title, fmt=fmt, names=names),
                  element_id="lines", css_class="chart")
