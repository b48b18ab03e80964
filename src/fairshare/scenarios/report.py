"""Sweep reports: the frontier, each jurisdiction's year-end surplus, a table to paste.

:func:`summarise` turns a sweep's rows (:func:`fairshare.scenarios.results.read_sweep`) into one
row per scenario (means over its seeds); :func:`write_report` writes an offline HTML page with
its pictures embedded, the same pictures as PNG files beside it, and the table as CSV.

The frontier: a scenario is on it when no other scenario at the same arrival volume has both a
higher total outcome and a smaller balance gap (persons above their fair share at year end,
summed over jurisdictions). The volume of claims is a condition the negotiators do not choose,
so each volume has its own frontier. Scenarios are numbered in the pictures and the table.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairshare.errors import ScenarioError
from fairshare.i18n import N_, Translator, decimal_separator, msg, normalise
from fairshare.privatefs import private_dir, write_private_bytes, write_private_text

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

AXIS_COLUMNS = ("key", "policy", "online_policy", "volume", "pledges", "capacity")
TABLE_COLUMNS = ("number", *AXIS_COLUMNS, "seeds", "relocated", "total_outcome",
                 "hindsight_fraction", "balance_gap", "solidarity_paid", "frontier")
# The table's headers (t.label("sweep_col_", column)), in the report's language.
HEADERS = (N_("sweep_col_number"), N_("sweep_col_scenario"), N_("sweep_col_key"),
           N_("sweep_col_policy"), N_("sweep_col_online_policy"), N_("sweep_col_volume"),
           N_("sweep_col_pledges"), N_("sweep_col_capacity"), N_("sweep_col_seeds"),
           N_("sweep_col_relocated"), N_("sweep_col_total_outcome"),
           N_("sweep_col_hindsight_fraction"), N_("sweep_col_balance_gap"),
           N_("sweep_col_solidarity_paid"), N_("sweep_col_solidarity_received"),
           N_("sweep_col_frontier"))


def axis_value(column: str, value: Any, lang: str = "en") -> str:
    """An axis value as the report shows it: policies by name, ``none`` in words, numbers in the
    locale (``0.68``, ``0,68``), keys and pledge files as they are named.

    >>> axis_value("volume", 0.68, "fr"), axis_value("policy", "balanced", "en")
    ('0,68', 'balanced')
    """
    t = Translator(lang)
    if column == "policy":
        return t.label("policy_", value)
    if column == "online_policy":
        return t.label("online_policy_", value)
    if column == "pledges" and value == "none":
        return t("sweep_no_pledges")
    if isinstance(value, float):
        return f"{value:g}".replace(".", decimal_separator(lang))
    return str(value)


def summarise(df: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """One row per scenario: its axis values and the means over its seeds.

    Columns: scenario, the axis columns, seeds, relocated (persons moved in the year),
    total_outcome, hindsight_fraction, balance_gap, solidarity_paid, solidarity_received,
    frontier (bool), label (a short name for pictures, in ``lang``).
    """
    import pandas as pd

    if df.empty:
        raise ScenarioError(msg("error_sweep_no_cell"))
    per_cell = df.groupby(["scenario", "cell_id"], sort=True).agg(
        **{c: (c, "first") for c in (*AXIS_COLUMNS, "seed", "total_outcome",
                                     "hindsight_fraction", "balance_gap")},
        relocated=("relocated", "sum"),
        solidarity_paid=("solidarity_amount", lambda s: 0.0 - float(s[s < 0].sum())),
        solidarity_received=("solidarity_amount", lambda s: float(s[s > 0].sum())),
    ).reset_index()
    summary = per_cell.groupby("scenario", sort=True).agg(
        **{c: (c, "first") for c in AXIS_COLUMNS}, seeds=("seed", "nunique"),
        relocated=("relocated", "mean"), total_outcome=("total_outcome", "mean"),
        hindsight_fraction=("hindsight_fraction", "mean"), balance_gap=("balance_gap", "mean"),
        solidarity_paid=("solidarity_paid", "mean"),
        solidarity_received=("solidarity_received", "mean")).reset_index()
    summary = summary.sort_values([*AXIS_COLUMNS, "scenario"], kind="stable").reset_index(drop=True)
    frontier = []
    for _, row in summary.iterrows():
        same = summary[summary["volume"] == row["volume"]]  # volume is a condition, not a choice
        dominated = ((same["total_outcome"] >= row["total_outcome"])
                     & (same["balance_gap"] <= row["balance_gap"])
                     & ((same["total_outcome"] > row["total_outcome"])
                        | (same["balance_gap"] < row["balance_gap"]))).any()
        frontier.append(not bool(dominated))
    summary["frontier"] = frontier
    summary.insert(0, "number", range(1, len(summary) + 1))
    varying = [c for c in AXIS_COLUMNS if summary[c].nunique() > 1] or ["key"]
    summary["label"] = [" · ".join(axis_value(c, r[c], lang) for c in varying)
                        for _, r in summary.iterrows()]
    return pd.DataFrame(summary)


def surplus_table(df: pd.DataFrame, summary: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """Mean year-end surplus per scenario (rows, in summary order) and jurisdiction (columns)."""
    table = df.groupby(["scenario", "jurisdiction"])["surplus"].mean().unstack("jurisdiction")
    table = table.reindex(index=list(summary["scenario"]),
                          columns=[c for c in codes if c in table.columns])
    table.index = [f"{n}. {label}" for n, label in zip(summary["number"], summary["label"],
                                                        strict=True)]
    return table


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def _locale_ticks(ax: Any, t: Translator, *, x: bool = True, y: bool = True) -> None:
    """Tick labels with the locale's separators (``38,663``, ``38 663``)."""
    def fmt(v: float, _pos: int) -> str:
        return t.number(v, 0 if abs(v) >= 10 or float(v).is_integer() else 2)

    from matplotlib.ticker import MaxNLocator

    if x:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))  # room for "38 000" between ticks
        ax.xaxis.set_major_formatter(fmt)
    if y:
        ax.yaxis.set_major_formatter(fmt)


def frontier_figure(summary: pd.DataFrame, lang: str = "en") -> Figure:
    """Total outcome against balance gap and against relocations, frontier highlighted."""
    from matplotlib.figure import Figure

    t = Translator(lang)
    fig = Figure(figsize=(11, 4.6))
    for ax, xcol, xlabel in ((fig.add_subplot(1, 2, 1), "balance_gap", t("sweep_axis_gap")),
                             (fig.add_subplot(1, 2, 2), "relocated", t("sweep_axis_relocated"))):
        on = summary[summary["frontier"]]
        off = summary[~summary["frontier"]]
        ax.scatter(off[xcol], off["total_outcome"], color="#9aa5b1", s=28,
                   label=t("sweep_other_scenarios"))
        ax.scatter(on[xcol], on["total_outcome"], color="#c2410c", s=40,
                   label=t("sweep_frontier_legend"))
        if xcol == "balance_gap":
            for _, group in on.groupby("volume"):
                line = group.sort_values(xcol)
                ax.plot(line[xcol], line["total_outcome"], color="#c2410c", linewidth=1)
        for k, (_, r) in enumerate(on.sort_values(["total_outcome", xcol]).iterrows()):
            ax.annotate(str(r["number"]), (r[xcol], r["total_outcome"]), fontsize=7,
                        xytext=(4, -10 if k % 2 else 3), textcoords="offset points")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(t("sweep_axis_outcome"))
        _locale_ticks(ax, t)
        ax.grid(alpha=0.3)
    fig.axes[0].legend(fontsize=8, loc="best")
    fig.suptitle(t("sweep_frontier_title"))
    return fig


def surplus_figure(table: pd.DataFrame, lang: str = "en") -> Figure:
    """Each jurisdiction's year-end surplus across scenarios (a diverging heat map)."""
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure

    t = Translator(lang)
    values = table.to_numpy(dtype=float)
    height = max(2.5, 0.38 * len(table) + 1.5)
    fig = Figure(figsize=(max(7.0, 0.75 * len(table.columns) + 3), height))
    ax = fig.add_subplot(1, 1, 1)
    bound = float(np.nanmax(np.abs(values))) if values.size else 1.0
    norm = TwoSlopeNorm(vmin=-bound or -1, vcenter=0.0, vmax=bound or 1)
    image = ax.imshow(values, cmap="RdBu_r", norm=norm, aspect="auto")
    ax.set_xticks(range(len(table.columns)), list(table.columns))
    ax.set_yticks(range(len(table.index)), [str(i) for i in table.index], fontsize=8)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            ax.text(j, i, t.number(float(values[i, j])), ha="center", va="center", fontsize=6)
    bar = fig.colorbar(image, ax=ax, label=t("sweep_surplus_bar"))
    _locale_ticks(bar.ax, t, x=False)
    ax.set_title(t("sweep_surplus_title"))
    return fig


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds (``numpy.bool_`` is not a ``bool``)."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _cell(column: str, value: Any, t: Translator, currency: str) -> str:
    """A table cell in the report's language (numbers by Babel)."""
    value = _plain(value)
    if column == "solidarity_paid":
        return f"{t.number(float(value))} {currency}".strip()
    if column == "frontier":
        return t("sweep_yes") if value else ""
    if column in AXIS_COLUMNS:
        return axis_value(column, value, t.lang)
    if column == "number":
        return str(value)
    if isinstance(value, float):
        return t.number(value, 3 if column == "hindsight_fraction" else 1)
    if isinstance(value, int) and not isinstance(value, bool):
        return t.number(value)
    return str(value)


def _table_html(summary: pd.DataFrame, currency: str, t: Translator) -> str:
    head = "".join(f"<th scope='col'>{html.escape(t.label('sweep_col_', c))}</th>"
                   for c in TABLE_COLUMNS)
    body = []
    for _, r in summary.iterrows():
        cells = [f"<td>{html.escape(_cell(c, r[c], t, currency))}</td>" for c in TABLE_COLUMNS]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _tsv(frame: pd.DataFrame, t: Translator) -> str:
    """``frame`` tab-separated for a spreadsheet in the report's language: headers translated,
    numbers with the locale's decimal mark and no grouping (``0.123``, ``0,123``)."""
    mark = decimal_separator(t.lang)

    def text(column: str, value: Any) -> str:
        value = _plain(value)
        if isinstance(value, bool):
            return t("sweep_yes") if value else ""
        if column in AXIS_COLUMNS and not isinstance(value, float):
            return axis_value(column, value, t.lang)
        if isinstance(value, float):
            return "" if math.isnan(value) else f"{value:.3f}".replace(".", mark)
        return str(value)

    lines = ["\t".join(t.label("sweep_col_", c) for c in frame.columns)]
    for _, r in frame.iterrows():
        lines.append("\t".join(text(str(c), r[c]) for c in frame.columns))
    return "\n".join(lines) + "\n"


def write_report(df: pd.DataFrame, manifest: Mapping[str, Any], out: Path,
                 errors: Sequence[Mapping[str, Any]] = (), lang: str = "en") -> list[Path]:
    """Write ``out`` (HTML, offline), ``<stem>-frontier.png``, ``<stem>-surplus.png`` and
    ``<stem>-scenarios.csv``; returns the paths written. The page and the pictures are in
    ``lang`` (words from the catalogues, numbers by Babel); the CSV keeps its stable column
    names and plain numbers, for programs."""
    lang = normalise(lang)
    t = Translator(lang)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ScenarioError(msg("error_sweep_report_html", out=str(out)))
    summary = summarise(df, lang)
    codes = list(manifest.get("codes", sorted(df["jurisdiction"].unique())))
    table = surplus_table(df, summary, codes)
    currency = ""
    if manifest["grid"]["base"].get("solidarity", "none") != "none":
        from fairshare.scenarios.solidarity import load_solidarity

        currency = load_solidarity(manifest["grid"]["base"]["solidarity"]).currency
    pictures = {"frontier": _png(frontier_figure(summary, lang)),
                "surplus": _png(surplus_figure(table, lang))}
    private_dir(out.parent)
    written = []
    for name, data in pictures.items():
        path = out.with_name(f"{out.stem}-{name}.png")
        write_private_bytes(path, data)
        written.append(path)
    export = summary.drop(columns=["label"])
    csv_path = out.with_name(f"{out.stem}-scenarios.csv")
    write_private_text(csv_path, export.to_csv(index=False))
    written.append(csv_path)
    grid = manifest["grid"]
    img = {k: base64.b64encode(v).decode("ascii") for k, v in pictures.items()}
    err_html = ""
    if errors:  # a failed cell's error is the program's diagnostic, in English (marked so)
        items = "".join(f"<li><code>{html.escape(e['cell_id'])}</code> <span translate='no'>"
                        f"{html.escape(str(e['params']))}</span> : <span lang='en'>"
                        f"{html.escape(e['error'])}</span></li>" for e in errors)
        failed = html.escape(t("sweep_failed_cells", n=t.number(len(errors))))
        err_html = f"<h2>{failed}</h2><ul>{items}</ul>"
    surplus_tsv = _tsv(table.reset_index(names="scenario"), t)
    versions = ", ".join(f"{k} {v}" for k, v in sorted(manifest["versions"].items()))
    name = html.escape(grid["name"])
    title = html.escape(t("sweep_title", name=grid["name"]))
    heading = t("sweep_title", name="<span translate='no'>" + name + "</span>")
    counts = html.escape(t("sweep_counts", scenarios=t.number(len(summary)),
                           cells=t.number(int(df["cell_id"].nunique())),
                           failed=t.number(len(errors))))
    provenance = t("sweep_provenance", hash="<code>" + html.escape(grid["hash"][:16]) + "</code>",
                   versions="<span translate='no'>" + html.escape(versions) + "</span>")
    # Words used inside the page's f-string (extraction does not look into f-strings).
    w = {k: html.escape(t(k)) for k in (
        N_("sweep_frontier_heading"), N_("sweep_frontier_alt"), N_("sweep_surplus_heading"),
        N_("sweep_surplus_alt"), N_("sweep_scenarios_heading"), N_("sweep_paste_heading"),
        N_("sweep_paste_surplus_heading"))}
    page = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}
td:first-child,th:first-child{{text-align:left}}
pre{{background:#f5f5f5;padding:1em;overflow:auto;font-size:12px}}
img{{max-width:100%}}</style></head><body>
<h1>{heading}</h1>
<p translate="no">{html.escape(grid.get('description', ''))}</p>
<p>{counts} {provenance}</p>
<h2>{w['sweep_frontier_heading']}</h2>
<img alt="{w['sweep_frontier_alt']}" src="data:image/png;base64,{img['frontier']}">
<h2>{w['sweep_surplus_heading']}</h2>
<img alt="{w['sweep_surplus_alt']}" src="data:image/png;base64,{img['surplus']}">
<h2>{w['sweep_scenarios_heading']}</h2>{_table_html(summary, currency, t)}
<h2>{w['sweep_paste_heading']}</h2><pre>{html.escape(_tsv(export, t))}</pre>
<h3>{w['sweep_paste_surplus_heading']}</h3><pre>{html.escape(surplus_tsv)}</pre>
{err_html}
</body></html>
"""
    write_private_text(out, page)
    return [out, *written]
