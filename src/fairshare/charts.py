"""Charts and the choropleth map, written to files that open offline.

PNG and SVG are drawn with matplotlib; interactive HTML charts with plotly, with plotly.js
embedded in the file (no CDN). The map is drawn with matplotlib from the federation's GeoJSON and
embedded as inline SVG in a self-contained HTML page.
"""

from __future__ import annotations

import html
import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairshare.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

FORMATS = (".png", ".svg", ".html")
LABELS = {
    "en": {"intake": "Intake (after transfers)", "fair": "Fair share",
           "surplus": "Surplus over fair share",
           "title": "Intake against fair share", "map": "Fulfilment (intake ÷ fair share)",
           "code": "Jurisdiction", "fulfilment": "Fulfilment", "key": "Key", "years": "Years",
           "above": "above its share", "below": "below its share", "persons": "persons"},
    "fr": {"intake": "Accueil (après transferts)", "fair": "Juste part",
           "surplus": "Excédent sur la juste part",
           "title": "Accueil par rapport à la juste part",
           "map": "Taux d'accomplissement (accueil ÷ juste part)",
           "code": "Administration", "fulfilment": "Accomplissement", "key": "Clé", "years": "Années",
           "above": "au-dessus de sa part", "below": "en dessous de sa part", "persons": "personnes"},
}


def _check_path(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: unsupported chart format '{suffix or '(none)'}'; use "
                         f"{', '.join(FORMATS)}.")
    if not path.parent.exists():
        raise InputError(f"{path}: the folder {path.parent} does not exist.")
    return suffix


def _balance_figure(df: pd.DataFrame) -> Figure:
    from matplotlib.figure import Figure

    years = sorted(df["year"].astype(str).unique())
    last = df[df["year"].astype(str) == years[-1]]
    multi = len(years) > 1
    fig = Figure(figsize=(11, 8 if multi else 5), layout="constrained")
    axes = fig.subplots(2 if multi else 1, 1, squeeze=False)[:, 0]
    ax = axes[0]
    x = range(len(last))
    ax.bar([i - 0.2 for i in x], last["net_intake"], width=0.4, label=LABELS["en"]["intake"], color="#c0392b")
    ax.bar([i + 0.2 for i in x], last["fair_share"], width=0.4, label=LABELS["en"]["fair"], color="#2471a3")
    ax.set_xticks(list(x), list(last["code"]))
    ax.set_ylabel("persons")
    ax.set_title(f"Intake against fair share, {years[-1]} (key {df.attrs.get('key')})")
    ax.legend()
    if multi:
        from matplotlib import colormaps

        ax2 = axes[1]
        palette = [colormaps["tab20"](i / 19) for i in range(20)]
        for i, (code, group) in enumerate(df.groupby("code", sort=False)):
            ax2.plot(group["year"].astype(str), group["surplus"], marker="o", label=str(code),
                     color=palette[i % len(palette)])
        ax2.axhline(0, color="black", linewidth=0.8)
        ax2.set_ylabel("surplus (persons)")
        ax2.set_title("Surplus over fair share by year")
        ax2.legend(ncol=7, fontsize="small")
    return fig


def plot_balance(df: pd.DataFrame, path: Path) -> None:
    """Intake vs fair share per jurisdiction; over several years also the surplus per year."""
    suffix = _check_path(path)
    if suffix == ".html":
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        years = sorted(df["year"].astype(str).unique())
        last = df[df["year"].astype(str) == years[-1]]
        rows = 2 if len(years) > 1 else 1
        fig = make_subplots(rows=rows, cols=1, subplot_titles=[
            f"Intake against fair share, {years[-1]}", "Surplus over fair share by year"][:rows])
        fig.add_trace(go.Bar(x=list(last["code"]), y=list(last["net_intake"]), name="Intake"), 1, 1)
        fig.add_trace(go.Bar(x=list(last["code"]), y=list(last["fair_share"]), name="Fair share"), 1, 1)
        if rows == 2:
            for code, group in df.groupby("code", sort=False):
                fig.add_trace(go.Scatter(x=list(group["year"].astype(str)), y=list(group["surplus"]),
                                         mode="lines+markers", name=f"{code} surplus"), 2, 1)
        fig.update_layout(title=f"Balance under {df.attrs.get('key')}", height=450 * rows)
        fig.write_html(str(path), include_plotlyjs=True, full_html=True)
        return
    _balance_figure(df).savefig(path, format=suffix[1:], dpi=110)


Shape = tuple[str, list[list[list[float]]]]


def _features(fed_data: str | Path | None) -> tuple[list[Shape], dict[str, str]]:
    from fairshare.reference import load_federation

    fed = load_federation(fed_data)
    if fed.geojson is None or not fed.geojson.is_file():
        raise InputError(f"{fed.label} ships no GeoJSON; add `geojson:` to its catalogue.yaml.")
    geo = json.loads(fed.geojson.read_text(encoding="utf-8"))
    by_iso = {j.iso_3166_2: j.code for j in fed.jurisdictions}
    by_code = {j.code: j.code for j in fed.jurisdictions}
    lookup = by_iso if fed.geojson_code_kind == "iso_3166_2" else by_code
    shapes = []
    for feat in geo["features"]:
        code = lookup.get(str(feat["properties"].get(fed.geojson_code_property)))
        if code is None:
            continue
        geom = feat["geometry"]
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        shapes.append((code, [ring for poly in polys for ring in poly[:1]]))
    names = {j.code: j.name for j in fed.jurisdictions}
    return shapes, names


def map_figure(df: pd.DataFrame, *, lang: str = "en", data: str | Path | None = None) -> Figure:
    """A matplotlib figure of fulfilment by jurisdiction (diverging colours around 1)."""
    from matplotlib import colormaps
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure

    labels = LABELS.get(lang, LABELS["en"])
    shapes, _ = _features(data)
    fulfil = {str(c): (float(v) if v is not None and not math.isnan(float(v)) else None)
              for c, v in zip(df["code"], df["fulfilment"], strict=True)}
    values = [v for v in fulfil.values() if v is not None and v > 0]
    vmax = max([2.0, *values])
    norm = TwoSlopeNorm(vmin=0.0, vcenter=1.0, vmax=vmax)
    cmap = colormaps["RdBu_r"]
    lat0 = math.radians(60)
    polys, colors = [], []
    for code, rings in shapes:
        v = fulfil.get(code)
        for ring in rings:
            polys.append([(lon * math.cos(lat0), lat) for lon, lat in ring])
            colors.append(cmap(norm(v)) if v is not None else (0.85, 0.85, 0.85, 1))
    fig = Figure(figsize=(9, 7), layout="constrained")
    ax = fig.subplots()
    ax.add_collection(PolyCollection(polys, facecolors=colors, edgecolors="white", linewidths=0.4))
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"{labels['map']} - {labels['key']} {df.attrs.get('key')}, "
                 f"{labels['years']} {df['year'].iloc[0]}")
    from matplotlib import cm

    fig.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.6,
                 label=labels["fulfilment"])
    return fig


def write_map(df: pd.DataFrame, path: Path, *, lang: str = "en", data: str | Path | None = None) -> None:
    """Write the map as PNG, SVG, or a self-contained HTML page (inline SVG plus a table)."""
    suffix = _check_path(path)
    if lang not in LABELS:
        raise InputError(f"--lang {lang}: use en or fr.")
    fig = map_figure(df, lang=lang, data=data)
    if suffix != ".html":
        fig.savefig(path, format=suffix[1:], dpi=110)
        return
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    labels = LABELS[lang]
    rows = "\n".join(
        f"<tr><td>{html.escape(str(r['code']))}</td><td>{html.escape(str(r['name']))}</td>"
        f"<td>{int(r['net_intake']):,}</td><td>{int(r['fair_share']):,}</td>"
        f"<td>{_fmt(r['fulfilment'])}</td></tr>" for r in df.to_dict(orient="records"))
    page = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(labels['map'])}</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:.2em .6em;text-align:right}}td:nth-child(2){{text-align:left}}</style>
</head><body><h1>{html.escape(labels['map'])}</h1>
<figure role="img" aria-label="{html.escape(labels['map'])}">{svg}</figure>
<table><caption>{html.escape(labels['title'])}</caption><thead><tr><th>{labels['code']}</th><th></th>
<th>{labels['intake']}</th><th>{labels['fair']}</th><th>{labels['fulfilment']}</th></tr></thead>
<tbody>{rows}</tbody></table></body></html>
"""
    path.write_text(page, encoding="utf-8")


def _fmt(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(v) else f"{v:.2f}"
