"""Charts and the choropleth map as scenes, and the files ``balance --plot`` and ``map`` write.

Every figure is built once as a :class:`fairshare.scene.Scene`; .svg files and the dashboard
inline it as SVG, .html files wrap that SVG in a self-contained page with the figures as a table
(nothing is loaded from the network), .png files are drawn from the same scene with matplotlib.
So a bar or a jurisdiction has the same colour in all three.

- :func:`bars_scene`: intake against fair share, two bars per jurisdiction, each labelled with its
  value (no reading off an axis).
- :func:`surplus_scene`: surplus over fair share by year as small multiples, one panel per
  jurisdiction on a shared scale, so 13 series need no 13 colours; each panel names its
  jurisdiction and its last value.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairshare import i18n, palette
from fairshare.errors import InputError
from fairshare.i18n import N_, msg
from fairshare.privatefs import write_private_text
from fairshare.scene import Box, Line, Scene, Text, save_raster, to_svg

if TYPE_CHECKING:
    import pandas as pd

    from fairshare.reference import Federation

FORMATS = (".png", ".svg", ".html")
Formatter = Callable[[float], str]
WIDTH = 800


def _plain(value: float) -> str:
    return i18n.number(value, 0, i18n.DEFAULT)


def _numbers(lang: str) -> Formatter:
    """Whole numbers in ``lang``'s locale (``38,663``, ``38 663``)."""
    return lambda value: i18n.number(value, 0, lang)


def nice_step(span: float, ticks: int = 4) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about ``ticks`` intervals.

    >>> nice_step(38663), nice_step(7.2), nice_step(0)
    (10000.0, 2.0, 1.0)
    """
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def bars_scene(rows: Sequence[tuple[str, float, float]], *, title: str, first: str, second: str,
               fmt: Formatter = _plain, heading: bool = False, width: int = WIDTH) -> Scene:
    """Horizontal paired bars: for each (label, first value, second value) two labelled bars."""
    left, right, row_h = 60, 90, 34
    top = 34 + (34 if heading else 0)
    scene = Scene(width, top + row_h * len(rows) + 8, title)
    second_at = left + (width - left) // 2
    width -= left + right
    if heading:
        scene.add(Text(12, 24, title, size=18, bold=True))
    legend_y = top - 22
    scene.add(Box(left, legend_y, 14, 14, palette.INTAKE), Text(left + 20, legend_y + 12, first),
              Box(second_at, legend_y, 14, 14, palette.FAIR_SHARE),
              Text(second_at + 20, legend_y + 12, second))
    high = max([1.0, *(max(a, b) for _, a, b in rows)])
    for i, (label, a, b) in enumerate(rows):
        y = top + i * row_h
        wa, wb = width * max(a, 0) / high, width * max(b, 0) / high
        scene.add(Text(left - 8, y + 20, label, bold=True, anchor="end"),
                  Box(left, y + 3, wa, 13, palette.INTAKE, tooltip=f"{label} {first}: {fmt(a)}"),
                  Text(left + wa + 4, y + 14, fmt(a), size=11),
                  Box(left, y + 17, wb, 13, palette.FAIR_SHARE, tooltip=f"{label} {second}: {fmt(b)}"),
                  Text(left + wb + 4, y + 28, fmt(b), size=11))
    return scene


def surplus_scene(series: Mapping[str, Sequence[tuple[str, float]]], *, title: str,
                  fmt: Formatter = _plain, names: Mapping[str, str] | None = None,
                  heading: bool = False, columns: int = 4, width: int = WIDTH) -> Scene:
    """Small multiples: one panel per series (in the mapping's order) on one shared scale."""
    names = names or {}
    periods = sorted({p for points in series.values() for p, _ in points})
    values = [v for points in series.values() for _, v in points] or [0.0]
    step = nice_step(max([*values, 0.0]) - min([*values, 0.0]))
    lo = step * math.floor(min(0.0, *values) / step)
    hi = step * math.ceil(max(0.0, *values) / step)
    if hi == lo:
        hi = lo + step
    top0 = 34 if heading else 0
    panel_w, panel_h, inner_left, inner_top, inner_h = width / columns, 150, 62, 26, 92
    rows = math.ceil(len(series) / columns)
    scene = Scene(width, top0 + rows * panel_h + 4, title)
    if heading:
        scene.add(Text(12, 24, title, size=18, bold=True))
    inner_w = panel_w - inner_left - 18
    for k, (code, points) in enumerate(series.items()):
        ox = (k % columns) * panel_w
        oy = top0 + (k // columns) * panel_h

        def sx(period: str, ox: float = ox) -> float:
            i = periods.index(period)
            return ox + inner_left + inner_w * i / max(1, len(periods) - 1)

        def sy(v: float, oy: float = oy) -> float:
            return oy + inner_top + inner_h * (hi - v) / (hi - lo)

        label = f"{code} — {names[code]}" if code in names else code
        scene.add(Text(ox + inner_left, oy + 16, label if len(label) <= 24 else code, size=12, bold=True))
        for tick in (lo, 0.0, hi):
            scene.add(Text(ox + inner_left - 4, sy(tick) + 4, fmt(tick), size=10, anchor="end",
                           fill=palette.MUTED),
                      Line(((ox + inner_left, sy(tick)), (ox + inner_left + inner_w, sy(tick))),
                           palette.INK if tick == 0 else palette.GRID, 1.0 if tick == 0 else 0.5))
        for period in (periods[0], periods[-1]):
            scene.add(Text(sx(period), oy + inner_top + inner_h + 16, period, size=10,
                           anchor="middle", fill=palette.MUTED))
        coords = tuple((sx(p), sy(v)) for p, v in points)
        if len(coords) == 1:
            coords = (coords[0], coords[0])
        last = points[-1][1] if points else 0.0
        scene.add(Line(coords, palette.SURPLUS_LINE, 2.0,
                       tooltip=f"{label}: " + ", ".join(f"{p} {fmt(v)}" for p, v in points)),
                  Text(coords[-1][0], coords[-1][1] - 5, fmt(last), size=11, bold=True,
                       anchor="end", halo=True))
    return scene


def _check_path(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(msg("error_chart_format", path=str(path),
                             suffix=suffix or msg("chart_format_none"), formats=", ".join(FORMATS)))
    if not path.parent.exists():
        raise InputError(msg("cli_err_no_folder", where=str(path), folder=str(path.parent)))
    return suffix


def _stack(scenes: Sequence[Scene], title: str) -> Scene:
    """Scenes drawn one under the other (for a single .png or .svg file)."""
    out = Scene(max(s.width for s in scenes), sum(s.height for s in scenes), title)
    dy = 0.0
    for s in scenes:
        for item in s.items:
            out.add(_shift(item, dy))
        dy += s.height
    return out


def _shift(item: Any, dy: float) -> Any:
    from dataclasses import replace

    from fairshare.scene import Area

    if isinstance(item, Box | Text):
        return replace(item, y=item.y + dy)
    if isinstance(item, Line):
        return replace(item, points=tuple((x, y + dy) for x, y in item.points))
    if isinstance(item, Area):
        return replace(item, rings=tuple(tuple((x, y + dy) for x, y in r) for r in item.rings))
    return item


def _page(lang: str, title: str, svgs: Sequence[str], table: str) -> str:
    figures = "\n".join(f'<figure>{s}</figure>' for s in svgs)
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1em auto;max-width:820px;padding:0 1em;color:#1a1a1a}}
figure{{margin:1em 0}}svg{{width:100%;height:auto}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #999;padding:.2em .6em;text-align:right}}td:nth-child(2),th{{text-align:left}}</style>
</head><body><h1>{html.escape(title)}</h1>
{figures}
{table}
</body></html>
"""


def _write(scenes: Sequence[Scene], path: Path, suffix: str, *, lang: str, title: str, table: str,
           ids: Sequence[str], css: str) -> None:
    if suffix == ".html":
        svgs = [to_svg(s, element_id=i, css_class=css) for s, i in zip(scenes, ids, strict=True)]
        write_private_text(path, _page(lang, title, svgs, table))
        return
    one = scenes[0] if len(scenes) == 1 else _stack(scenes, title)
    if suffix == ".svg":
        write_private_text(path, to_svg(one, element_id=ids[0], css_class=css) + "\n")
    else:
        save_raster(one, path)


def _table(lang: str, df: pd.DataFrame, names: Mapping[str, str]) -> str:
    caption, code, name, intake, fair, fulfilment = (html.escape(i18n.gettext(m, lang)) for m in (
        N_("chart_table_caption"), N_("chart_code"), N_("chart_name"), N_("chart_intake"),
        N_("chart_fair"), N_("chart_fulfilment")))
    rows = "\n".join(
        f"<tr><td>{html.escape(str(r['code']))}</td><td>{html.escape(names[str(r['code'])])}</td>"
        f"<td>{i18n.number(int(r['net_intake']), 0, lang)}</td>"
        f"<td>{i18n.number(int(r['fair_share']), 0, lang)}</td>"
        f"<td>{_fmt(r['fulfilment'], lang)}</td></tr>" for r in df.to_dict(orient="records"))
    return (f"<table><caption>{caption}</caption><thead><tr>"
            f"<th>{code}</th><th>{name}</th><th>{intake}</th>"
            f"<th>{fair}</th><th>{fulfilment}</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def plot_balance(df: pd.DataFrame, path: Path, *, lang: str = "en") -> None:
    """Intake vs fair share per jurisdiction; over several years also the surplus per year."""
    suffix = _check_path(path)
    years = sorted(df["year"].astype(str).unique())
    last = df[df["year"].astype(str) == years[-1]]
    title = i18n.gettext("chart_title", lang, year=years[-1], key=df.attrs.get("key"))
    fmt = _numbers(lang)
    scenes = [bars_scene([(str(r["code"]), float(r["net_intake"]), float(r["fair_share"]))
                          for r in last.to_dict(orient="records")], title=title,
                         first=i18n.gettext("chart_intake", lang),
                         second=i18n.gettext("chart_fair", lang), heading=True, fmt=fmt)]
    if len(years) > 1:
        series = {str(code): [(str(y), float(s)) for y, s in zip(g["year"], g["surplus"], strict=True)]
                  for code, g in df.groupby("code", sort=False)}
        scenes.append(surplus_scene(series, title=i18n.gettext("chart_surplus", lang),
                                    heading=True, fmt=fmt))
    _write(scenes, path, suffix, lang=lang, title=title, table=_table(lang, last, _names(df, lang)),
           ids=["bars", "lines"][:len(scenes)], css="chart")


def _names(df: pd.DataFrame, lang: str) -> dict[str, str]:
    """Each jurisdiction's name in ``lang``, from the federation the frame came from."""
    from fairshare.reference import load_federation

    fed = load_federation(df.attrs["folder"])
    return {j.code: (j.name_fr if lang == "fr" else j.name) for j in fed.jurisdictions}


def map_figure_scene(df: pd.DataFrame, *, lang: str = "en", heading: bool = True) -> Scene:
    """The map of a :func:`fairshare.analysis.map_frame`: fulfilment (intake ÷ fair share) when
    the frame has it, else each jurisdiction's share under the key, titled as such."""
    from fairshare.maps import map_scene
    from fairshare.reference import load_federation

    fed = load_federation(df.attrs["folder"])
    decimal = i18n.decimal_separator(lang)
    if "fulfilment" not in df.columns:
        return _share_map_scene(fed, df, lang=lang, heading=heading)
    fulfil = {str(c): (float(v) if v is not None and not math.isnan(float(v)) else None)
              for c, v in zip(df["code"], df["fulfilment"], strict=True)}
    text = {c: _fmt(v, lang) for c, v in fulfil.items() if v is not None}
    title = i18n.gettext("chart_map", lang, key=df.attrs.get("key"), years=df["year"].iloc[0])
    fulfilment = i18n.gettext("chart_fulfilment", lang)
    return map_scene(fed, fulfil, title=title, lang=lang, value_text=text,
                     tooltips={c: f"{fulfilment} {t}" for c, t in text.items()},
                     legend=palette.legend_classes(decimal), legend_title=fulfilment,
                     heading=heading)


def _share_map_scene(fed: Federation, df: pd.DataFrame, *, lang: str, heading: bool) -> Scene:
    """Each jurisdiction's share under the key in percent, on classes of round width (at most 5)."""
    from fairshare.maps import map_scene

    pct = {str(c): 100 * float(v) for c, v in zip(df["code"], df["share"], strict=True)}
    high = max(pct.values())
    step = nice_step(high, 5)
    breaks = tuple(step * i for i in range(1, 5) if step * i < high)
    colours = palette.share_colours(len(breaks) + 1)
    label = i18n.gettext("chart_share", lang)
    return map_scene(
        fed, pct, title=i18n.gettext("chart_map_share", lang, key=df.attrs.get("key")), lang=lang,
        value_text={c: i18n.percent(v / 100, 1, lang) for c, v in pct.items()},
        tooltips={c: f"{label} {i18n.percent(v / 100, 2, lang)}" for c, v in pct.items()},
        colour=lambda v: palette.class_colour(v, breaks, colours),
        legend=palette.class_legend(breaks, colours, i18n.decimal_separator(lang)),
        legend_title=i18n.gettext("chart_share_percent", lang), heading=heading)


def _share_table(lang: str, df: pd.DataFrame, names: Mapping[str, str]) -> str:
    caption, code, name, share = (html.escape(i18n.gettext(m, lang)) for m in (
        N_("chart_share_caption"), N_("chart_code"), N_("chart_name"), N_("chart_share")))
    rows = "\n".join(
        f"<tr><td>{html.escape(str(r['code']))}</td><td>{html.escape(names[str(r['code'])])}</td>"
        f"<td>{i18n.percent(float(r['share']), 2, lang)}</td></tr>" for r in df.to_dict(orient="records"))
    return (f"<table><caption>{caption}</caption><thead><tr>"
            f"<th>{code}</th><th>{name}</th><th>{share}</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def write_map(df: pd.DataFrame, path: Path, *, lang: str = "en") -> None:
    """Write the map of a :func:`fairshare.analysis.map_frame` as PNG, SVG, or a self-contained
    HTML page (inline SVG plus a table of the same figures)."""
    suffix = _check_path(path)
    if lang not in i18n.LANGUAGES:
        raise InputError(msg("cli_err_lang", option="--lang", lang=lang))
    scene = map_figure_scene(df, lang=lang)
    names = _names(df, lang)
    table = _table(lang, df, names) if "fulfilment" in df.columns else _share_table(lang, df, names)
    _write([scene], path, suffix, lang=lang, title=scene.title, table=table, ids=["map"], css="map")


def _fmt(value: Any, lang: str = i18n.DEFAULT) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(v) else i18n.number(v, 2, lang)
