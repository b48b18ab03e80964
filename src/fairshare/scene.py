"""A figure as a list of drawing primitives, written out as SVG or drawn with matplotlib.

Maps and charts are built once as a :class:`Scene` in pixel coordinates (origin top left, y
down). :func:`to_svg` writes it as an SVG element (the dashboard inlines it, ``fairshare map``
and ``balance --plot`` write it to .svg and .html files); :func:`save_raster` draws the very
same primitives with matplotlib for .png. One scene, two backends: a jurisdiction has the same
colour, position and label in every output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from fairshare import palette

Ring = tuple[tuple[float, float], ...]
PX_PER_PT = 100 / 72  # rasters are drawn at 100 dpi


@dataclass(frozen=True)
class Area:
    """A filled outline of one or more rings (holes by the even-odd rule)."""

    rings: tuple[Ring, ...]
    fill: str
    stroke: str = palette.OUTLINE
    stroke_width: float = 0.6
    tooltip: str = ""
    css_class: str = ""
    data: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Line:
    """An open polyline."""

    points: Ring
    stroke: str
    stroke_width: float = 1.0
    tooltip: str = ""


@dataclass(frozen=True)
class Box:
    """A rectangle (bars, legend swatches)."""

    x: float
    y: float
    width: float
    height: float
    fill: str
    stroke: str = ""
    tooltip: str = ""


@dataclass(frozen=True)
class Text:
    """A line of text; ``anchor`` is start, middle or end; ``halo`` draws a white outline."""

    x: float
    y: float
    text: str
    size: float = 12.0
    bold: bool = False
    anchor: str = "start"
    halo: bool = False
    fill: str = palette.INK


Item = Area | Line | Box | Text


@dataclass
class Scene:
    """Everything one figure draws, in order, inside a width × height box."""

    width: float
    height: float
    title: str
    items: list[Item] = field(default_factory=list)

    def add(self, *items: Item) -> None:
        """Append primitives (later ones are drawn on top)."""
        self.items.extend(items)


def _d(rings: Sequence[Ring]) -> str:
    return "".join("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in ring) + "Z" for ring in rings)


def _tip(text: str) -> str:
    return f"<title>{escape(text)}</title>" if text else ""


def to_svg(scene: Scene, *, element_id: str, css_class: str) -> str:
    """The scene as one ``<svg>`` element with a ``<title>`` (its accessible name).

    >>> s = Scene(10, 10, "A & B")
    >>> s.add(Box(0, 0, 5, 5, "#ff0000", tooltip="red"))
    >>> print(to_svg(s, element_id="x", css_class="chart").split('id="x">')[1].replace("><", ">\\n<"))
    <title id="x-title">A &amp; B</title>
    <rect x="0.0" y="0.0" width="5.0" height="5.0" fill="#ff0000">
    <title>red</title>
    </rect>
    </svg>
    """
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {scene.width:g} {scene.height:g}" '
           f'role="img" aria-labelledby="{element_id}-title" class="{css_class}" id="{element_id}">',
           f'<title id="{element_id}-title">{escape(scene.title)}</title>']
    for item in scene.items:
        if isinstance(item, Area):
            data = "".join(f' data-{k}="{escape(v)}"' for k, v in item.data)
            cls = f' class="{item.css_class}"' if item.css_class else ""
            out.append(f'<path d="{_d(item.rings)}" fill="{item.fill}" fill-rule="evenodd" '
                       f'stroke="{item.stroke}" stroke-width="{item.stroke_width:g}"{data}{cls}>'
                       f'{_tip(item.tooltip)}</path>')
        elif isinstance(item, Line):
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in item.points)
            out.append(f'<polyline points="{pts}" fill="none" stroke="{item.stroke}" '
                       f'stroke-width="{item.stroke_width:g}">{_tip(item.tooltip)}</polyline>')
        elif isinstance(item, Box):
            stroke = f' stroke="{item.stroke}"' if item.stroke else ""
            out.append(f'<rect x="{item.x:.1f}" y="{item.y:.1f}" width="{max(item.width, 0):.1f}" '
                       f'height="{item.height:.1f}" fill="{item.fill}"{stroke}>{_tip(item.tooltip)}</rect>')
        else:
            weight = ' font-weight="bold"' if item.bold else ""
            halo = (' stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'
                    if item.halo else "")
            out.append(f'<text x="{item.x:.1f}" y="{item.y:.1f}" font-size="{item.size:g}" '
                       f'text-anchor="{item.anchor}" fill="{item.fill}"{weight}{halo}>'
                       f'{escape(item.text)}</text>')
    out.append("</svg>")
    return "".join(out)


def save_raster(scene: Scene, path: Path) -> None:
    """Draw the scene with matplotlib at 100 dpi, one scene pixel per image pixel."""
    from matplotlib import patheffects
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MplPath

    fig = Figure(figsize=(scene.width / 100, scene.height / 100), dpi=100)
    fig.patch.set_facecolor(palette.BACKGROUND)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, scene.width)
    ax.set_ylim(scene.height, 0)
    ax.axis("off")
    for item in scene.items:
        if isinstance(item, Area):
            verts: list[tuple[float, float]] = []
            codes: list[int] = []
            for ring in item.rings:
                verts.extend([*ring, ring[0]])
                codes.extend([int(MplPath.MOVETO), *[int(MplPath.LINETO)] * (len(ring) - 1),
                              int(MplPath.CLOSEPOLY)])
            ax.add_patch(PathPatch(MplPath(verts, codes), facecolor=item.fill, edgecolor=item.stroke,
                                   linewidth=item.stroke_width / PX_PER_PT))
        elif isinstance(item, Line):
            xs, ys = zip(*item.points, strict=True)
            ax.plot(xs, ys, color=item.stroke, linewidth=item.stroke_width / PX_PER_PT)
        elif isinstance(item, Box):
            ax.add_patch(Rectangle((item.x, item.y), max(item.width, 0), item.height,
                                   facecolor=item.fill, edgecolor=item.stroke or "none",
                                   linewidth=0.8 / PX_PER_PT))
        else:
            text = ax.text(item.x, item.y, item.text, fontsize=item.size / PX_PER_PT,
                           fontweight="bold" if item.bold else "normal", color=item.fill,
                           ha={"start": "left", "middle": "center", "end": "right"}[item.anchor],
                           va="baseline")
            if item.halo:
                text.set_path_effects([patheffects.withStroke(linewidth=3 / PX_PER_PT,
                                                              foreground="#ffffff")])
    import io

    from fairshare.privatefs import write_private_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lower().lstrip("."), dpi=100)
    write_private_bytes(path, buf.getvalue())
