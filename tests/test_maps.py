"""The one map renderer and the charts: catalogue settings honoured, every region labelled, the
same colours in PNG, SVG and HTML."""

from __future__ import annotations

import doctest
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


def test_a_jurisdiction_has_the_same_colour_in_png_svg_and_html(run_cli, tmp_path: Path) -> None:
    outs = {}
    for suffix in ("png", "svg", "html"):
        outs[suffix] = tmp_path / f"map.{suffix}"
        res = run_cli("map", "--key", "canada-population", "--years", "2024", "--out", str(outs[suffix]))
        assert res.exit_code == 0, res
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
