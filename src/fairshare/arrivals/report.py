"""The simulation report: one offline HTML page (inline SVG, no script, no CDN) and a PNG.

Three charts from :class:`~fairshare.arrivals.metrics.Metrics`, read at each month end: fill
per destination (cumulative placements as a share of its annual target), cumulative outcome
against the hindsight plan's, and the balance gap per destination against the band.
These functions only build text and figures; the command writes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fairshare.arrivals.simulate import SimulationResult

PALETTE = ("#1b6ca8", "#d1495b", "#edae49", "#00798c", "#30638e", "#6a4c93", "#8ac926",
           "#ff595e", "#1982c4", "#ffca3a", "#6d597a", "#b56576", "#355070")
W, H, PAD = 640, 300, 44


def _chart(series: Mapping[str, Sequence[float]], labels: Sequence[str], *, title: str,
           unit: str, line_at: float | None = None) -> str:
    """A line chart as an SVG element (one polyline per series, a legend on the right)."""
    values = [v for s in series.values() for v in s]
    top = max([*values, line_at or 0.0, 1e-9])
    n = max(len(labels), 2)

    def x(i: int) -> float:
        return PAD + i * (W - 2 * PAD - 90) / (n - 1)

    def y(v: float) -> float:
        return H - PAD - v / top * (H - 2 * PAD)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD - 90}" y2="{H - PAD}" '
             'stroke="#888"/>',
             f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="#888"/>',
             f'<text x="{PAD}" y="{PAD - 10}" font-size="12">{escape(unit)} (max '
             f'{top:,.3g})</text>']
    for i, lab in enumerate(labels):
        if i % max(1, len(labels) // 6) == 0 or i == len(labels) - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{H - PAD + 16}" font-size="10" '
                         f'text-anchor="middle">{escape(lab)}</text>')
    if line_at is not None:
        parts.append(f'<line x1="{PAD}" y1="{y(line_at):.1f}" x2="{W - PAD - 90}" '
                     f'y2="{y(line_at):.1f}" stroke="#444" stroke-dasharray="4 3"/>')
    for k, (name, s) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" '
                     f'points="{pts}"><title>{escape(name)}</title></polyline>')
        parts.append(f'<text x="{W - PAD - 80}" y="{PAD + 12 * k}" font-size="10" '
                     f'fill="{colour}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _fill_shares(result: SimulationResult) -> dict[str, list[float]]:
    m = result.metrics
    return {c: [v / m.target[c] if m.target[c] else 0.0 for v in m.fill[c]] for c in m.fill}


def report_html(result: SimulationResult, *, title: str = "Arrivals over a year") -> str:
    """The offline HTML report of a simulation."""
    m = result.metrics
    labels = [d.strftime("%Y-%m") for d in m.month_ends]
    summary = result.details()
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(_fmt(v))}</td></tr>"
                   for k, v in summary.items() if not isinstance(v, dict | list))
    outcome = {"this policy": m.outcome}
    if m.hindsight_outcome:
        outcome["hindsight"] = m.hindsight_outcome
    band = float(result.options.get("band", 0.0)) if result.policy == "balancing" else None
    dest_rows = "".join(
        f"<tr><td>{escape(c)}</td><td>{result.placements[c]:,}</td><td>{m.target[c]:,.0f}</td>"
        f"<td>{max(m.gap[c], default=0.0):.1%}</td><td>{m.unacceptable[c]:,}</td></tr>"
        for c in m.fill)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:980px;margin:1em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px;text-align:left}}
svg{{width:100%;height:auto;max-width:{W}px;display:block;margin:1em 0}}</style></head><body>
<h1>{escape(title)}: {escape(result.policy)}</h1>
<table>{rows}</table>
<h2>Fill per destination (share of its annual target)</h2>
{_chart(_fill_shares(result), labels, title="Fill per destination", unit="share of target")}
<h2>Cumulative outcome against hindsight</h2>
{_chart(outcome, labels, title="Cumulative outcome", unit="sum of size x score")}
<h2>Balance over time (gap to the target path, share of the annual target)</h2>
{_chart(m.gap, labels, title="Balance gap", unit="gap", line_at=band)}
<h2>Destinations</h2>
<table><tr><th>destination</th><th>persons</th><th>annual target</th><th>largest gap</th>
<th>unacceptable families</th></tr>{dest_rows}</table>
<p>Envy between destinations (unacceptable families, Andersson et al.): {m.envy:,}.</p>
</body></html>
"""


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value)


def report_png(result: SimulationResult) -> bytes:
    """The same three charts as a PNG (matplotlib, Agg backend)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = result.metrics
    labels = [d.strftime("%Y-%m") for d in m.month_ends]
    fig, axes = plt.subplots(3, 1, figsize=(9, 11))
    for c, s in _fill_shares(result).items():
        axes[0].plot(labels, s, label=c)
    axes[0].set_title("Fill per destination (share of annual target)")
    axes[0].legend(fontsize=7, ncol=4)
    axes[1].plot(labels, m.outcome, label="this policy")
    if m.hindsight_outcome:
        axes[1].plot(labels, m.hindsight_outcome, label="hindsight", linestyle="--")
    axes[1].set_title("Cumulative outcome")
    axes[1].legend(fontsize=8)
    for c, s in m.gap.items():
        axes[2].plot(labels, s, label=c)
    axes[2].set_title("Gap to the target path (share of annual target)")
    for ax in axes:
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()
