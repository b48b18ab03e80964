"""Map and charts drawn on the server as SVG (no script, works offline and under a strict CSP).

The map projects the federation's GeoJSON with a Lambert conformal conic projection (the one
Statistics Canada uses for national maps) and colours each jurisdiction by fulfilment on a
diverging scale (blue below its share, red above). Every shape carries a ``<title>``; the pages
also show the same figures in a table, which is the accessible reading of the chart.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

WIDTH = 640
HEIGHT = 520
# Diverging palette (ColorBrewer RdBu, 7 classes), light enough in the middle for black text.
BELOW = ("#2166ac", "#67a9cf", "#d1e5f0")
MIDDLE = "#f7f7f7"
ABOVE = ("#fddbc7", "#ef8a62", "#b2182b")
NO_DATA = "#bdbdbd"
MIN_STEP = 1.0  # drop outline points closer than this (in map pixels) to the previous one
BREAKS = (0.25, 0.5, 0.9, 1.1, 2.0, 4.0)
SERIES = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
          "#666666", "#1f78b4", "#b15928", "#6a3d9a", "#33a02c", "#e31a1c")


def fulfilment_colour(value: float | None) -> str:
    """The map colour of a fulfilment ratio (intake ÷ fair share).

    >>> fulfilment_colour(1.0), fulfilment_colour(0.1), fulfilment_colour(5.0)
    ('#f7f7f7', '#2166ac', '#b2182b')
    """
    if value is None or math.isnan(value):
        return NO_DATA
    palette = (*BELOW, MIDDLE, *ABOVE)
    for i, limit in enumerate(BREAKS):
        if value < limit:
            return palette[i]
    return palette[-1]


def legend_classes() -> list[tuple[str, str]]:
    """(colour, range label) for the legend."""
    palette = (*BELOW, MIDDLE, *ABOVE)
    bounds = (0.0, *BREAKS, math.inf)
    out = []
    for i, colour in enumerate(palette):
        lo, hi = bounds[i], bounds[i + 1]
        label = f"≥ {lo:g}" if math.isinf(hi) else f"{lo:g} – {hi:g}"
        out.append((colour, label))
    return out


def _lambert(lon: float, lat: float) -> tuple[float, float]:
    """Lambert conformal conic, standard parallels 49° and 77°, centred on 91°52' W."""
    phi1, phi2, phi0, lam0 = map(math.radians, (49.0, 77.0, 63.390675, -91.866667))
    n = math.log(math.cos(phi1) / math.cos(phi2)) / math.log(
        math.tan(math.pi / 4 + phi2 / 2) / math.tan(math.pi / 4 + phi1 / 2))
    f = math.cos(phi1) * math.tan(math.pi / 4 + phi1 / 2) ** n / n
    phi, lam = math.radians(lat), math.radians(lon)
    rho = f / math.tan(math.pi / 4 + phi / 2) ** n
    rho0 = f / math.tan(math.pi / 4 + phi0 / 2) ** n
    theta = n * (lam - lam0)
    return rho * math.sin(theta), rho0 - rho * math.cos(theta)


@dataclass(frozen=True)
class Shape:
    """One jurisdiction's outline as an SVG path."""

    iso: str
    name: str
    name_fr: str
    path: str


def _rings(geometry: Mapping[str, object]) -> list[list[list[float]]]:
    coords: Any = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        return list(coords)
    return [ring for polygon in coords for ring in polygon]


@functools.lru_cache(maxsize=4)
def shapes(geojson: Path) -> tuple[Shape, ...]:
    """The outlines of ``geojson`` projected into a WIDTH × HEIGHT box."""
    data = json.loads(geojson.read_text(encoding="utf-8"))
    projected = []
    for feature in data["features"]:
        rings = [[_lambert(x, y) for x, y, *_ in ring] for ring in _rings(feature["geometry"])]
        projected.append((feature["properties"], rings))
    xs = [x for _, rings in projected for ring in rings for x, _ in ring]
    ys = [y for _, rings in projected for ring in rings for _, y in ring]
    scale = min((WIDTH - 20) / (max(xs) - min(xs)), (HEIGHT - 20) / (max(ys) - min(ys)))
    x0, y1 = min(xs), max(ys)
    out = []
    for props, rings in projected:
        parts = []
        for ring in rings:
            points: list[str] = []
            last = (math.inf, math.inf)
            for x, y in ring:
                px, py = 10 + (x - x0) * scale, 10 + (y1 - y) * scale
                if abs(px - last[0]) + abs(py - last[1]) < MIN_STEP:
                    continue  # thinner than a pixel: invisible at this size
                last = (px, py)
                points.append(f"{px:.1f},{py:.1f}")
            if len(points) >= 3:
                parts.append("M" + "L".join(points) + "Z")
        out.append(Shape(iso=str(props.get("code")), name=str(props.get("name")),
                         name_fr=str(props.get("name_fr", props.get("name"))), path="".join(parts)))
    return tuple(sorted(out, key=lambda s: s.iso))


def choropleth(geojson: Path, values: Mapping[str, float | None], labels: Mapping[str, str], *,
               title: str, lang: str) -> str:
    """An SVG map: ``values`` and ``labels`` keyed by ISO 3166-2 code (e.g. CA-QC)."""
    items = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" aria-labelledby="map-title" class="map" id="map">'
             f'<title id="map-title">{escape(title)}</title>']
    for shape in shapes(geojson):
        name = shape.name_fr if lang == "fr" else shape.name
        value = values.get(shape.iso)
        label = labels.get(shape.iso, "")
        items.append(f'<path d="{shape.path}" fill="{fulfilment_colour(value)}" stroke="#333" '
                     f'stroke-width="0.6" data-code="{escape(shape.iso)}" class="region">'
                     f'<title>{escape(name)}: {escape(label)}</title></path>')
    items.append("</svg>")
    return "".join(items)


def paired_bars(rows: Sequence[tuple[str, float, float]], *, title: str, first: str,
                second: str) -> str:
    """Horizontal bars: for each (label, first value, second value) two bars side by side."""
    row_h, left, width = 30, 70, 560
    height = 40 + row_h * len(rows)
    top = max([1.0, *(max(a, b) for _, a, b in rows)])
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 20} {height}" '
           f'role="img" aria-labelledby="bars-title" class="chart" id="bars">'
           f'<title id="bars-title">{escape(title)}</title>',
           f'<rect x="{left}" y="6" width="12" height="12" fill="#b2182b"/>'
           f'<text x="{left + 16}" y="16" class="legend">{escape(first)}</text>'
           f'<rect x="{left + 260}" y="6" width="12" height="12" fill="#2166ac"/>'
           f'<text x="{left + 276}" y="16" class="legend">{escape(second)}</text>']
    for i, (label, a, b) in enumerate(rows):
        y = 30 + i * row_h
        wa, wb = width * max(a, 0) / top, width * max(b, 0) / top
        out.append(f'<text x="{left - 6}" y="{y + 16}" text-anchor="end">{escape(label)}</text>'
                   f'<rect x="{left}" y="{y + 2}" width="{wa:.1f}" height="11" fill="#b2182b">'
                   f'<title>{escape(label)} {escape(first)}: {a:,.0f}</title></rect>'
                   f'<rect x="{left}" y="{y + 14}" width="{wb:.1f}" height="11" fill="#2166ac">'
                   f'<title>{escape(label)} {escape(second)}: {b:,.0f}</title></rect>')
    out.append("</svg>")
    return "".join(out)


def lines(series: Mapping[str, Sequence[tuple[str, float]]], *, title: str) -> str:
    """A line chart of several series over the same periods, with a zero line and a legend."""
    periods = sorted({p for points in series.values() for p, _ in points})
    values = [v for points in series.values() for _, v in points] or [0.0]
    lo, hi = min(0.0, *values), max(0.0, *values)
    span = (hi - lo) or 1.0
    left, top, width, height = 80, 20, 520, 260
    legend_h = 20 * math.ceil(len(series) / 5)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 30} '
           f'{top + height + 40 + legend_h}" role="img" aria-labelledby="lines-title" '
           f'class="chart" id="lines"><title id="lines-title">{escape(title)}</title>']

    def sx(i: int) -> float:
        return left + (width * i / max(1, len(periods) - 1))

    def sy(v: float) -> float:
        return top + height * (hi - v) / span

    for tick in (lo, 0.0, hi):
        out.append(f'<text x="{left - 6}" y="{sy(tick) + 4:.1f}" text-anchor="end">{tick:,.0f}</text>')
    out.append(f'<line x1="{left}" x2="{left + width}" y1="{sy(0):.1f}" y2="{sy(0):.1f}" '
               f'stroke="#000" stroke-width="1"/>')
    for i, p in enumerate(periods):
        out.append(f'<text x="{sx(i):.1f}" y="{top + height + 18}" text-anchor="middle">{escape(p)}</text>')
    for k, (name, points) in enumerate(sorted(series.items())):
        colour = SERIES[k % len(SERIES)]
        index = {p: i for i, p in enumerate(periods)}
        coords = " ".join(f"{sx(index[p]):.1f},{sy(v):.1f}" for p, v in points)
        out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2">'
                   f'<title>{escape(name)}</title></polyline>')
        lx = left + (k % 5) * 110
        ly = top + height + 36 + 20 * (k // 5)
        out.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{lx + 16}" y="{ly}" class="legend">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)
