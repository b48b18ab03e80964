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

from fairshare.i18n import LOCALES, N_, Translator, normalise

if TYPE_CHECKING:
    import datetime as dt

    from fairshare.arrivals.simulate import SimulationResult

PALETTE = ("#1b6ca8", "#d1495b", "#edae49", "#00798c", "#30638e", "#6a4c93", "#8ac926",
           "#ff595e", "#1982c4", "#ffca3a", "#6d597a", "#b56576", "#355070")
W, H, PAD = 640, 300, 44

# The summary's rows (keys of SimulationResult.details()) and how each value is shown:
# (label, kind) with kind "int", "number" (3 decimals), "percent", "seconds", "policy", "cadence".
ROWS = {
    "policy": (N_("sim_row_policy"), "policy"),
    "persons_placed": (N_("sim_row_persons_placed"), "int"),
    "outcome": (N_("sim_row_outcome"), "number"),
    "hindsight_outcome": (N_("sim_row_hindsight_outcome"), "number"),
    "hindsight_fraction": (N_("sim_row_hindsight_fraction"), "percent"),
    "max_balance_gap": (N_("sim_row_max_balance_gap"), "percent"),
    "batches": (N_("sim_row_batches"), "int"),
    "seconds": (N_("sim_row_seconds"), "seconds"),
    "cadence": (N_("sim_row_cadence"), "cadence"),
    "seed": (N_("sim_row_seed"), "int"),
    "hindsight_persons": (N_("sim_row_hindsight_persons"), "int"),
    "hindsight_bound": (N_("sim_row_hindsight_bound"), "number"),
    "max_batch_seconds": (N_("sim_row_max_batch_seconds"), "seconds"),
    "mean_batch_seconds": (N_("sim_row_mean_batch_seconds"), "seconds"),
    "hindsight_seconds": (N_("sim_row_hindsight_seconds"), "seconds"),
}
# The online policies and cadences by name (shown through t.label("online_policy_", name)).
NAMES = (N_("online_policy_myopic"), N_("online_policy_greedy"), N_("online_policy_dual-prices"),
         N_("online_policy_balancing"), N_("online_policy_rotation"),
         N_("online_policy_hindsight"), N_("cadence_day"), N_("cadence_week"),
         N_("cadence_month"))


def _month(d: dt.date, t: Translator) -> str:
    """A month end as the locale writes a month (``Jan 2024``, ``janv. 2024``)."""
    from babel.dates import format_date

    return str(format_date(d, format="MMM y", locale=LOCALES[t.lang]))


def _chart(series: Mapping[str, Sequence[float]], labels: Sequence[str], *, title: str,
           unit: str, t: Translator, line_at: float | None = None) -> str:
    """A line chart as an SVG element (one polyline per series, a legend on the right)."""
    values = [v for s in series.values() for v in s]
    top = max([*values, line_at or 0.0, 1e-9])
    n = max(len(labels), 2)

    def x(i: int) -> float:
        return PAD + i * (W - 2 * PAD - 90) / (n - 1)

    def y(v: float) -> float:
        return H - PAD - v / top * (H - 2 * PAD)

    top_text = t.number(top, 3 if top < 10 else 0)
    axis = escape(t("sim_axis_max", unit=unit, top=top_text))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD - 90}" y2="{H - PAD}" '
             'stroke="#888"/>',
             f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="#888"/>',
             f'<text x="{PAD}" y="{PAD - 10}" font-size="12">'
             f'{axis}</text>']
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


def _value(value: Any, kind: str, t: Translator) -> str:
    if value is None:
        return t.number(None)
    if kind == "policy":
        return t.label("online_policy_", value)
    if kind == "cadence":
        return t.label("cadence_", value)
    if kind == "percent":
        return t.percent(float(value), 1)
    if kind == "seconds":
        return t("sim_seconds", seconds=t.number(float(value), 3))
    if kind == "number":
        return t.number(float(value), 3)
    return t.number(value)


def report_html(result: SimulationResult, *, title: str | None = None, lang: str = "en") -> str:
    """The offline HTML report of a simulation, in ``lang`` (words from the catalogues, numbers
    and months by Babel; destination codes shown as they are)."""
    lang = normalise(lang)
    t = Translator(lang)
    title = title or t("sim_title")
    m = result.metrics
    labels = [_month(d, t) for d in m.month_ends]
    summary = result.details()
    rows = "".join(f"<tr><th scope='row'>{escape(t(ROWS[k][0]))}</th>"
                   f"<td>{escape(_value(v, ROWS[k][1], t))}</td></tr>"
                   for k, v in summary.items() if k in ROWS)
    outcome = {t("sim_this_policy"): m.outcome}
    if m.hindsight_outcome:
        outcome[t("sim_hindsight")] = m.hindsight_outcome
    band = float(result.options.get("band", 0.0)) if result.policy == "balancing" else None
    dest_rows = "".join(
        f"<tr><td translate='no'>{escape(c)}</td><td>{t.number(result.placements[c])}</td>"
        f"<td>{t.number(m.target[c])}</td>"
        f"<td>{t.percent(max(m.gap[c], default=0.0), 1)}</td>"
        f"<td>{t.number(m.unacceptable[c])}</td></tr>"
        for c in m.fill)
    heading = t("sim_heading", title=title, policy=t.label("online_policy_", result.policy))
    # Words used inside the page's f-string (extraction does not look into f-strings).
    w = {k: escape(t(k)) for k in (N_("sim_fill_heading"), N_("sim_outcome_heading"),
                                   N_("sim_gap_heading"), N_("sim_destinations"))}
    fill = _chart(_fill_shares(result), labels, title=t("sim_fill_title"),
                  unit=t("sim_fill_unit"), t=t)
    gains = _chart(outcome, labels, title=t("sim_outcome_title"), unit=t("sim_outcome_unit"), t=t)
    gaps = _chart(m.gap, labels, title=t("sim_gap_title"), unit=t("sim_gap_unit"), t=t,
                  line_at=band)
    envy = escape(t("sim_envy", envy=t.number(m.envy)))
    head = "".join(f"<th scope='col'>{escape(t(k))}</th>" for k in (
        N_("sim_col_destination"), N_("sim_col_persons"), N_("sim_col_target"), N_("sim_col_gap"),
        N_("sim_col_unacceptable")))
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:980px;margin:1em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px;text-align:left}}
svg{{width:100%;height:auto;max-width:{W}px;display:block;margin:1em 0}}</style></head><body>
<h1>{escape(heading)}</h1>
<table>{rows}</table>
<h2>{w['sim_fill_heading']}</h2>
{fill}
<h2>{w['sim_outcome_heading']}</h2>
{gains}
<h2>{w['sim_gap_heading']}</h2>
{gaps}
<h2>{w['sim_destinations']}</h2>
<table><tr>{head}</tr>{dest_rows}</table>
<p>{envy}</p>
</body></html>
"""


def report_png(result: SimulationResult, lang: str = "en") -> bytes:
    """The same three charts as a PNG (matplotlib, Agg backend), in ``lang``."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = Translator(lang)
    m = result.metrics
    labels = [_month(d, t) for d in m.month_ends]
    fig, axes = plt.subplots(3, 1, figsize=(9, 11))
    for c, s in _fill_shares(result).items():
        axes[0].plot(labels, s, label=c)
    axes[0].set_title(t("sim_fill_heading"))
    axes[0].legend(fontsize=7, ncol=4)
    axes[1].plot(labels, m.outcome, label=t("sim_this_policy"))
    if m.hindsight_outcome:
        axes[1].plot(labels, m.hindsight_outcome, label=t("sim_hindsight"), linestyle="--")
    axes[1].set_title(t("sim_outcome_title"))
    axes[1].legend(fontsize=8)
    for c, s in m.gap.items():
        axes[2].plot(labels, s, label=c)
    axes[2].set_title(t("sim_gap_png_title"))
    for ax in axes:
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax.yaxis.set_major_formatter(lambda v, _pos: t.number(v, 2))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()
