"""The one map renderer and the charts: catalogue settings honoured, every region labelled, the
same colours in PNG, SVG and HTML."""

from __future__ import annotations

import doctest
import html
import importlib
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from fairshare import maps, palette
from fairshare.charts import bars_scene, surplus_scene
from fairshare.errors import DataError
from fairshare.reference import load_federation
from fairshare.scene import to_svg


@pytest.mark.parametrize("name", ["fairshare.palette", "fairshare.scene", "fairshare.charts"])
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_german_map_has_16_labelled_regions_matched_by_code() -> None:
    fed = load_federation("germany")
    assert fed.geojson_code_kind == "code" and fed.geojson_code_property == "land"
    lay = maps.layout(fed)
    assert [r.code for r in lay.regions] == list(fed.codes) and lay.missing == ()
    out = to_svg(maps.map_scene(fed, {"BY": 1.2}, title="Länder", value_text={"BY": "1.20"}),
                 element_id="map", css_class="map")
    assert out.count('class="region"') == 16
    labels = re.findall(r'font-weight="bold"[^>]*>([A-Z]{2})</text>', out)
    assert sorted(labels) == sorted(fed.codes)
    # Germany is taller than wide under its conic projection; Canada is wider than tall.
    assert lay.height > lay.width
    canada = maps.layout(load_federation())
    assert canada.height < canada.width * 1.05 and len(canada.regions) == 13


def test_labels_sit_inside_their_region() -> None:
    from matplotlib.path import Path as MplPath

    for fed in (load_federation(), load_federation("germany")):
        for r in maps.layout(fed).regions:
            assert any(MplPath(ring).contains_point(r.label_at) for ring in r.rings), r.code
    berlin = next(r for r in maps.layout(load_federation("germany")).regions if r.code == "BE")
    brandenburg = next(r for r in maps.layout(load_federation("germany")).regions if r.code == "BB")
    assert abs(berlin.label_at[0] - brandenburg.label_at[0]) + abs(
        berlin.label_at[1] - brandenburg.label_at[1]) > 20  # Brandenburg's label avoids Berlin


def _variant(tmp_path: Path, fed: str, name: str, edit: Callable[[str], str]) -> str:
    """A copy of a shipped federation with its catalogue edited (each in its own folder: the
    loaded federations and their layouts are cached by folder)."""
    folder = tmp_path / name
    shutil.copytree(load_federation(fed).folder, folder)
    cat = folder / "catalogue.yaml"
    cat.write_text(edit(cat.read_text(encoding="utf-8")), encoding="utf-8")
    return str(folder)


def _projection(kind: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        return text[:text.index("map:")] + f"map:\n  projection: {kind}\n" + text[text.index("default_key:"):]
    return edit


def test_the_catalogue_projection_is_used_and_checked(tmp_path: Path) -> None:
    flat = maps.layout(load_federation(_variant(tmp_path, "canada", "flat", _projection("equirectangular"))))
    conic = maps.layout(load_federation())
    assert abs(flat.height - conic.height) > 100  # the same outlines, another shape on the page
    odd = load_federation(_variant(tmp_path, "canada", "odd", _projection("mercator")))
    with pytest.raises(DataError, match=r"catalogue.yaml: map.projection 'mercator' is not known"):
        maps.layout(odd)
    wrong = load_federation(_variant(tmp_path, "germany", "wrong", lambda text: text.replace(
        "geojson_code_property: land", "geojson_code_property: nope")))
    with pytest.raises(DataError, match="no feature's 'nope' property matches"):
        maps.layout(wrong)


def _pixel(png: Path, x: float, y: float) -> str:
    from matplotlib import image

    img = image.imread(str(png))
    r, g, b = (round(c * 255) for c in img[int(y), int(x)][:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _maps(run_cli, stem: Path, *args: str) -> dict[str, Path]:
    """`fairshare map ARGS` written as SVG, HTML and PNG beside ``stem``, by suffix."""
    outs = {}
    for suffix in ("svg", "html", "png"):
        outs[suffix] = stem.with_suffix(f".{suffix}")
        res = run_cli("map", *args, "--out", str(outs[suffix]))
        assert res.exit_code == 0, res
    return outs


def test_a_jurisdiction_has_the_same_colour_in_png_svg_and_html(run_cli, tmp_path: Path) -> None:
    outs = _maps(run_cli, tmp_path / "map", "--key", "canada-population", "--years", "2024")
    svg_text, html_text = (outs[s].read_text(encoding="utf-8") for s in ("svg", "html"))
    by_code = {code: fill for fill, code in
               re.findall(r'fill="(#[0-9a-f]{6})"[^>]*data-jurisdiction="([A-Z]{2})"', svg_text)}
    assert len(by_code) == 13 and by_code["QC"] == palette.fulfilment_colour(1.52)
    assert svg_text.strip() in html_text  # the HTML page inlines the very same SVG
    scene_top = maps.HEADING_H
    lay = maps.layout(load_federation())
    for region in lay.regions:
        if region.room < 20:
            continue  # too small to sample a pixel clear of the outline and the label
        x, y = region.label_at
        probe = (x - region.room * 0.8, y + scene_top)  # left of the label, inside the region
        assert _pixel(outs["png"], *probe) == by_code[region.code], region.code


def test_charts_label_every_bar_and_panel_with_the_readers_numbers() -> None:
    rows = [("QC", 57215.0, 37669.0), ("ON", 90090.0, 66886.0)]
    out = to_svg(bars_scene(rows, title="t", first="Accueil", second="Juste part",
                            fmt=lambda v: f"{v:,.0f}".replace(",", "\u202f")),
                 element_id="bars", css_class="chart")
    assert "57\u202f215" in out and "66\u202f886" in out
    assert out.count(f'fill="{palette.INTAKE}"') == 3 and out.count(f'fill="{palette.FAIR_SHARE}"') == 3
    series = {c: [("2019", -5.0 * i), ("2024", 100.0 * i)] for i, c in enumerate("ABCDEFGHIJKLM")}
    panels = to_svg(surplus_scene(series, title="s"), element_id="lines", css_class="chart")
    assert panels.count("<polyline") == 13 + 13 * 3  # one line per panel, three grid lines each
    assert all(f">{c}</text>" in panels for c in "ABCDEFGHIJKLM")  # every panel named
    assert ">1,200</text>" in panels  # the last value printed beside the line


def _path_points(svg_text: str, code: str) -> list[tuple[float, float]]:
    d = re.search(rf'<path d="([^"]+)"[^>]*data-jurisdiction="{code}"', svg_text)
    assert d, code
    return [(float(x), float(y)) for x, y in re.findall(r"([\d.]+),([\d.]+)", d.group(1).split("Z")[0])]


def test_the_german_map_shows_each_lands_share_under_the_key(run_cli, tmp_path: Path) -> None:
    """Germany ships no intake: `fairshare map` draws its shares, titled as such, in the
    catalogue's Lambert projection, each Land labelled, in SVG, HTML and PNG, English and French."""
    from fairshare import i18n
    from fairshare.analysis import shares_frame

    fed = load_federation("germany")
    shares = dict(zip(*(shares_frame("de-koenigstein-2020")[c] for c in ("code", "share")), strict=True))
    outs = _maps(run_cli, tmp_path / "de", "--data", "germany", "-k", "de-koenigstein-2020")
    svg_text, html_text = (outs[s].read_text(encoding="utf-8") for s in ("svg", "html"))
    assert ('<title id="map-title">Fair share under de-koenigstein-2020, in percent '
            "(no intake data in this federation)</title>") in svg_text
    assert svg_text.strip() in html_text and html_text.count("<tr><td>") == 16
    assert sorted(re.findall(r'font-weight="bold"[^>]*>([A-Z]{2})</text>', svg_text)) == sorted(fed.codes)
    for j in fed.jurisdictions:  # every Land named with its share in its tooltip, and in the table
        share = i18n.percent(shares[j.code], 2, "en")
        assert f"<title>{j.name}: Share under the key {share}</title>" in svg_text, j.code
        assert f"<td>{j.code}</td><td>{j.name}</td><td>{share}</td>" in html_text, j.code
    fills = {c: f for f, c in re.findall(r'fill="(#[0-9a-f]{6})"[^>]*data-jurisdiction="([A-Z]{2})"',
                                         svg_text)}
    assert fills["NW"] == palette.SHARE[-1] and fills["HB"] == palette.SHARE[0]  # 20.96 %, 0.95 %
    assert "BE 5.2% · HB 1.0% · HH 2.6%" in svg_text  # the city states' values, too small to print
    assert ">≥ 20</text>" in svg_text and ">0 – 5</text>" in svg_text  # the legend's classes

    # The outlines are the catalogue's Lambert conic layout, moved down by the heading only;
    # the same outlines under an equirectangular projection are another shape.
    lambert = next(r for r in maps.layout(fed).regions if r.code == "BY").rings[0]
    drawn = _path_points(svg_text, "BY")[:len(lambert)]
    assert {round(d[0] - p[0], 1) for d, p in zip(drawn, lambert, strict=True)} == {0.0}
    assert len({round(d[1] - p[1], 1) for d, p in zip(drawn, lambert, strict=True)}) == 1
    flat_dir = _variant(tmp_path, "germany", "flat", _projection("equirectangular"))
    flat_svg = tmp_path / "flat.svg"
    assert run_cli("map", "--data", flat_dir, "-k", "de-koenigstein-2020", "-o", str(flat_svg)).exit_code == 0
    assert _path_points(flat_svg.read_text(encoding="utf-8"), "BY")[:20] != drawn[:20]

    # PNG: the same colour as the SVG inside North Rhine-Westphalia (left of its label).
    nw = next(r for r in maps.layout(fed).regions if r.code == "NW")
    offset = drawn[0][1] - lambert[0][1]
    assert _pixel(outs["png"], nw.label_at[0] - nw.room * 0.8, nw.label_at[1] + offset) == fills["NW"]

    # French: the German keys pick the German data by themselves; names, numbers and title in French.
    fr = tmp_path / "de-fr.svg"
    assert run_cli("map", "-k", "de-koenigstein-2020", "-o", str(fr), "--lang", "fr").exit_code == 0
    fr_text = html.unescape(fr.read_text(encoding="utf-8"))
    assert ('<title id="map-title">Juste part selon de-koenigstein-2020, en pourcentage '
            "(aucune donnée d'accueil pour cette fédération)</title>") in fr_text
    for j in fed.jurisdictions:
        assert f"<title>{j.name_fr}: Part selon la clé {i18n.percent(shares[j.code], 2, 'fr')}</title>" in fr_text
    assert "Bavière" in fr_text and "Part selon la clé (%)" in fr_text


def test_canada_map_still_shows_fulfilment(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "ca.svg"
    res = run_cli("map", "--key", "canada-population", "--years", "2024", "--out", str(out))
    assert res.exit_code == 0, res
    text = out.read_text(encoding="utf-8")
    assert "Fulfilment (intake ÷ fair share) — key canada-population, 2024" in text
    assert "no intake data" not in text and "<title>Quebec: Fulfilment 1.52</title>" in text
    assert re.search(r">PE \d\.\d\d · NS \d\.\d\d</text>", text)  # too small to print on the map
