"""The one map renderer: a federation's GeoJSON, projected as its catalogue says, as a scene.

``fairshare map`` (PNG, SVG, HTML) and the dashboard's overview both call :func:`map_scene`. The
catalogue's settings decide everything that differs between federations:

- ``geojson``, ``geojson_code_property``, ``geojson_code_kind``: the file, the feature property
  holding each jurisdiction's code, and whether it holds the ``code`` or the ``iso_3166_2`` of
  ``jurisdictions.csv``;
- ``map.projection``: ``lambert_conformal_conic`` (``standard_parallels``, ``latitude_of_origin``,
  ``central_meridian``) or ``equirectangular`` (``standard_parallel``, ``central_meridian``;
  the default, with the data's middle latitude as its parallel).

Every jurisdiction is labelled with its code (and, when there is room, its value) at the point
of its largest part farthest from any edge; its tooltip carries the full name and value.
"""

from __future__ import annotations

import functools
import json
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairshare import i18n, palette
from fairshare.errors import DataError
from fairshare.i18n import msg
from fairshare.reference import Federation, load_federation
from fairshare.scene import Area, Box, Ring, Scene, Text

WIDTH = 800
MARGIN = 12
MIN_STEP = 1.0  # drop outline points closer than this (pixels) to the previous one
LABEL_ROOM = 16.0  # a region whose inner circle is smaller gets its code only, no value
LEGEND_H = 56
HEADING_H = 34
Projector = Callable[[float, float], tuple[float, float]]


def _number(settings: Mapping[str, Any], name: str, where: i18n.Text, default: float | None = None) -> float:
    value = settings.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(msg("map_not_degrees", where=where, name=name, value=repr(value)))
    return float(value)


def projection(fed: Federation, mid_latitude: float = 0.0) -> Projector:
    """The function (lon, lat) → (x, y), y pointing north, that the catalogue asks for."""
    where = str(fed.folder / "catalogue.yaml")
    settings = fed.map_settings
    kind = settings.get("projection", "equirectangular")
    if kind == "lambert_conformal_conic":
        parallels = settings.get("standard_parallels")
        if not (isinstance(parallels, list) and len(parallels) == 2
                and all(isinstance(p, int | float) for p in parallels)):
            raise DataError(msg("map_parallels", where=where))
        phi1, phi2 = (math.radians(float(p)) for p in parallels)
        phi0 = math.radians(_number(settings, "latitude_of_origin", where))
        lam0 = math.radians(_number(settings, "central_meridian", where))
        if abs(phi1 - phi2) < 1e-9:
            n = math.sin(phi1)
        else:
            n = math.log(math.cos(phi1) / math.cos(phi2)) / math.log(
                math.tan(math.pi / 4 + phi2 / 2) / math.tan(math.pi / 4 + phi1 / 2))
        f = math.cos(phi1) * math.tan(math.pi / 4 + phi1 / 2) ** n / n
        rho0 = f / math.tan(math.pi / 4 + phi0 / 2) ** n

        def lambert(lon: float, lat: float) -> tuple[float, float]:
            rho = f / math.tan(math.pi / 4 + math.radians(lat) / 2) ** n
            theta = n * (math.radians(lon) - lam0)
            return rho * math.sin(theta), rho0 - rho * math.cos(theta)

        return lambert
    if kind == "equirectangular":
        parallel = math.radians(_number(settings, "standard_parallel", where, mid_latitude))
        lam0 = _number(settings, "central_meridian", where, 0.0)
        return lambda lon, lat: (math.radians(lon - lam0) * math.cos(parallel), math.radians(lat))
    raise DataError(msg("map_unknown_projection", where=where, kind=str(kind)))


@dataclass(frozen=True)
class Region:
    """One jurisdiction's outline in map pixels, and where its label goes."""

    code: str
    iso: str
    name: str
    name_fr: str
    rings: tuple[Ring, ...]
    label_at: tuple[float, float]
    room: float


@dataclass(frozen=True)
class Layout:
    """The projected map of a federation: its size and its regions in jurisdictions.csv order."""

    width: float
    height: float
    regions: tuple[Region, ...]
    missing: tuple[str, ...]


def _polygons(geometry: Mapping[str, Any], where: i18n.Text) -> list[list[list[list[float]]]]:
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["coordinates"]]
    if kind == "MultiPolygon":
        return list(geometry["coordinates"])
    raise DataError(msg("map_geometry", where=where, kind=repr(kind)))


def _area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def _inner_point(rings: Sequence[np.ndarray]) -> tuple[float, float, float]:
    """The point inside the polygon (outer ring, then holes) farthest from its edges, by a grid
    search refined twice around the best cell; also that distance."""
    a = np.concatenate(list(rings))
    b = np.concatenate([np.roll(r, -1, axis=0) for r in rings])
    lo, hi = rings[0].min(axis=0), rings[0].max(axis=0)
    best = ((lo + hi) / 2, -1.0)
    span = hi - lo
    centre = (lo + hi) / 2
    for _ in range(3):
        gx = np.linspace(centre[0] - span[0] / 2, centre[0] + span[0] / 2, 25)
        gy = np.linspace(centre[1] - span[1] / 2, centre[1] + span[1] / 2, 25)
        pts = np.array(np.meshgrid(gx, gy)).reshape(2, -1).T
        px, py = pts[:, :1], pts[:, 1:]
        ax, ay, bx, by = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
        crosses = (ay > py) != (by > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = ax + (py - ay) * (bx - ax) / (by - ay)
        inside = np.sum(crosses & (px < x_at), axis=1) % 2 == 1
        dx, dy = bx - ax, by - ay
        seg = dx * dx + dy * dy
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.clip(np.where(seg > 0, ((px - ax) * dx + (py - ay) * dy) / seg, 0.0), 0, 1)
        dist = np.sqrt(((ax + t * dx - px) ** 2 + (ay + t * dy - py) ** 2).min(axis=1))
        dist = np.where(inside, dist, -1.0)
        i = int(np.argmax(dist))
        if dist[i] > best[1]:
            best = (pts[i], float(dist[i]))
        centre, span = best[0], span / 6
    point, room = best
    if room < 0:  # a sliver thinner than the grid: fall back to the ring's mean point
        point, room = rings[0].mean(axis=0), 0.0
    return float(point[0]), float(point[1]), room


@functools.lru_cache(maxsize=8)
def _layout(folder: str, width: int) -> Layout:
    fed = load_federation(folder)
    if fed.geojson is None:
        raise DataError(msg("map_no_geojson", federation=fed.label,
                            catalogue=str(fed.folder / "catalogue.yaml")))
    where = str(fed.geojson)
    try:
        data = json.loads(fed.geojson.read_text(encoding="utf-8"))
        features = list(data["features"])
    except FileNotFoundError:
        raise DataError(msg("map_geojson_missing", where=where)) from None
    except (ValueError, KeyError, TypeError):
        raise DataError(msg("map_not_feature_collection", where=where)) from None
    by_iso = fed.geojson_code_kind == "iso_3166_2"
    by_key = {(j.iso_3166_2 if by_iso else j.code): j for j in fed.jurisdictions}
    found: dict[str, list[list[list[list[float]]]]] = {}
    for n, feature in enumerate(features):
        value = str((feature.get("properties") or {}).get(fed.geojson_code_property))
        if value in by_key:
            found.setdefault(by_key[value].code, []).extend(
                _polygons(feature.get("geometry") or {},
                          msg("map_feature_at", path=where, n=n)))
    if not found:
        raise DataError(msg("map_no_match", where=where, property=fed.geojson_code_property,
                            kind=fed.geojson_code_kind))
    lats = [pt[1] for polys in found.values() for poly in polys for ring in poly for pt in ring]
    project = projection(fed, (min(lats) + max(lats)) / 2)
    projected = {code: [[np.array([project(pt[0], pt[1]) for pt in ring]) for ring in poly]
                        for poly in polys] for code, polys in found.items()}
    allpts = np.concatenate([ring for polys in projected.values() for poly in polys for ring in poly])
    (x0, y0), (x1, y1) = allpts.min(axis=0), allpts.max(axis=0)
    scale = (width - 2 * MARGIN) / (x1 - x0)
    scale = min(scale, (1.25 * width - 2 * MARGIN) / (y1 - y0))  # tall federations stay on a screen
    height = math.ceil((y1 - y0) * scale + 2 * MARGIN)
    regions = []
    for j in fed.jurisdictions:
        if j.code not in projected:
            continue
        polys_px = []
        for poly in projected[j.code]:
            rings_px = []
            for ring in poly:
                px = np.column_stack((MARGIN + (ring[:, 0] - x0) * scale, MARGIN + (y1 - ring[:, 1]) * scale))
                keep = [0]
                for i in range(1, len(px)):
                    if abs(px[i, 0] - px[keep[-1], 0]) + abs(px[i, 1] - px[keep[-1], 1]) >= MIN_STEP:
                        keep.append(i)
                if len(keep) >= 3:
                    rings_px.append(px[keep])
            if rings_px:
                polys_px.append(rings_px)
        if not polys_px:
            continue
        biggest = max(polys_px, key=lambda p: _area(p[0]))
        lx, ly, room = _inner_point(biggest)
        rings = tuple(tuple((round(float(x), 1), round(float(y), 1)) for x, y in ring)
                      for poly in polys_px for ring in poly)
        regions.append(Region(code=j.code, iso=j.iso_3166_2, name=j.name, name_fr=j.name_fr,
                              rings=rings, label_at=(round(lx, 1), round(ly, 1)), room=room))
    missing = tuple(j.code for j in fed.jurisdictions if j.code not in {r.code for r in regions})
    return Layout(width=width, height=height, regions=tuple(regions), missing=missing)


def layout(fed: Federation, width: int = WIDTH) -> Layout:
    """The federation's projected map (cached per folder and width)."""
    return _layout(str(fed.folder), width)


def _wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` broken into lines that fit ``width`` pixels at font ``size`` (a conservative
    average glyph width of 0.6 em, so nothing runs off the page).

    >>> _wrap("Fair share under de-koenigstein-2020 (no intake data)", 300, 18)
    ['Fair share under de-', 'koenigstein-2020 (no intake', 'data)']
    """
    return textwrap.wrap(text, max(8, int(width / (0.6 * size)))) or [""]


def map_scene(fed: Federation, values: Mapping[str, float | None], *, title: str, lang: str = "en",
              value_text: Mapping[str, str] | None = None, tooltips: Mapping[str, str] | None = None,
              colour: Callable[[float | None], str] = palette.fulfilment_colour,
              legend: Sequence[tuple[str, str]] = (), legend_title: str = "",
              heading: bool = False, width: int = WIDTH) -> Scene:
    """The map as a scene: ``values`` (colour), ``value_text`` (printed under each code) and
    ``tooltips`` keyed by jurisdiction code. With ``heading`` the title is drawn above the map
    (on as many lines as it needs); a ``legend`` of (colour, label) pairs is drawn below it. The
    values of regions too small to print theirs are listed under the legend (``PE 0.30``), so a
    PNG, which has no tooltips, still shows every value."""
    lay = layout(fed, width)
    value_text = value_text or {}
    tooltips = tooltips or {}
    heading_lines = _wrap(title, lay.width - 2 * MARGIN, 18) if heading else []
    top = HEADING_H + 22 * (len(heading_lines) - 1) if heading else 0
    unprinted = " · ".join(f"{r.code} {value_text[r.code]}" for r in lay.regions
                           if value_text.get(r.code) and r.room < LABEL_ROOM)
    footer = _wrap(unprinted, lay.width - 2 * MARGIN, 12) if unprinted else []
    bottom = (LEGEND_H if legend else 0) + ((0 if legend else 8) + 18 * len(footer) if footer else 0)
    scene = Scene(lay.width, lay.height + top + bottom, title)
    for i, line in enumerate(heading_lines):
        scene.add(Text(MARGIN, 24 + 22 * i, line, size=18, bold=True))
    for r in lay.regions:
        name = r.name_fr if lang == "fr" else r.name
        tip = f"{name}: {tooltips[r.code]}" if tooltips.get(r.code) else name
        scene.add(Area(tuple(tuple((x, y + top) for x, y in ring) for ring in r.rings),
                       fill=colour(values.get(r.code)), tooltip=tip, css_class="region",
                       data=(("code", r.iso), ("jurisdiction", r.code))))
    for r in lay.regions:
        x, y = r.label_at[0], r.label_at[1] + top
        text = value_text.get(r.code, "")
        if text and r.room >= LABEL_ROOM:
            scene.add(Text(x, y - 2, r.code, size=13, bold=True, anchor="middle", halo=True),
                      Text(x, y + 12, text, size=12, anchor="middle", halo=True))
        else:
            scene.add(Text(x, y + 4, r.code, size=12 if r.room >= 6 else 10, bold=True,
                           anchor="middle", halo=True))
    y = lay.height + top + 8
    if legend:
        if legend_title:
            scene.add(Text(MARGIN, y + 12, legend_title, size=13, bold=True))
            y += 18
        step = (lay.width - 2 * MARGIN) / len(legend)
        for i, (fill, label) in enumerate(legend):
            x = MARGIN + i * step
            scene.add(Box(x, y, 14, 14, fill, stroke=palette.OUTLINE),
                      Text(x + 20, y + 12, label, size=12))
        y += 22
    for i, line in enumerate(footer):
        scene.add(Text(MARGIN, y + 12 + 18 * i, line, size=12))
    return scene
