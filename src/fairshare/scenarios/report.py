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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairshare.errors import ScenarioError
from fairshare.privatefs import private_dir, write_private_bytes, write_private_text

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

AXIS_COLUMNS = ("key", "policy", "online_policy", "volume", "pledges", "capacity")


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario: its axis values and the means over its seeds.

    Columns: scenario, the axis columns, seeds, relocated (persons moved in the year),
    total_outcome, hindsight_fraction, balance_gap, solidarity_paid, solidarity_received,
    frontier (bool), label (a short name for pictures).
    """
    import pandas as pd

    if df.empty:
        raise ScenarioError("The sweep has no finished cell yet; run `fairshare sweep` first.")
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
    summary["label"] = [" · ".join(f"{r[c]:g}" if isinstance(r[c], float) else str(r[c])
                                   for c in varying) for _, r in summary.iterrows()]
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


def frontier_figure(summary: pd.DataFrame) -> Figure:
    """Total outcome against balance gap and against relocations, frontier highlighted."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.6))
    for ax, xcol, xlabel in ((fig.add_subplot(1, 2, 1), "balance_gap",
                              "Balance gap (persons above their fair share, year end)"),
                             (fig.add_subplot(1, 2, 2), "relocated", "Persons relocated in the year")):
        on = summary[summary["frontier"]]
        off = summary[~summary["frontier"]]
        ax.scatter(off[xcol], off["total_outcome"], color="#9aa5b1", s=28, label="other scenarios")
        ax.scatter(on[xcol], on["total_outcome"], color="#c2410c", s=40, label="frontier")
        if xcol == "balance_gap":
            for _, group in on.groupby("volume"):
                line = group.sort_values(xcol)
                ax.plot(line[xcol], line["total_outcome"], color="#c2410c", linewidth=1)
        for k, (_, r) in enumerate(on.sort_values(["total_outcome", xcol]).iterrows()):
            ax.annotate(str(r["number"]), (r[xcol], r["total_outcome"]), fontsize=7,
                        xytext=(4, -10 if k % 2 else 3), textcoords="offset points")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Total predicted outcome (consenting persons)")
        ax.grid(alpha=0.3)
    fig.axes[0].legend(fontsize=8, loc="best")
    fig.suptitle("Frontier per arrival volume: outcome against balance and relocations "
                 "(means over seeds; numbers as in the table)")
    return fig


def surplus_figure(table: pd.DataFrame) -> Figure:
    """Each jurisdiction's year-end surplus across scenarios (a diverging heat map)."""
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure

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
            ax.text(j, i, f"{values[i, j]:,.0f}", ha="center", va="center", fontsize=6)
    fig.colorbar(image, ax=ax, label="persons above (+) or below (-) the fair share")
    ax.set_title("Year-end surplus per jurisdiction and scenario (means over seeds)")
    return fig


def _table_html(summary: pd.DataFrame, currency: str) -> str:
    cols = ["number", *AXIS_COLUMNS, "seeds", "relocated", "total_outcome", "hindsight_fraction",
            "balance_gap", "solidarity_paid", "frontier"]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = []
    for _, r in summary.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if c == "solidarity_paid":
                text = f"{v:,.0f} {currency}".strip()
            elif isinstance(v, bool) or c == "frontier":
                text = "yes" if v else ""
            elif c == "number":
                text = str(v)
            elif isinstance(v, float):
                text = f"{v:,.3f}" if c == "hindsight_fraction" else f"{v:,.1f}"
            else:
                text = str(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _tsv(frame: pd.DataFrame) -> str:
    buf = io.StringIO()
    frame.to_csv(buf, sep="\t", index=False, float_format="%.3f")
    return buf.getvalue()


def write_report(df: pd.DataFrame, manifest: Mapping[str, Any], out: Path,
                 errors: Sequence[Mapping[str, Any]] = ()) -> list[Path]:
    """Write ``out`` (HTML, offline), ``<stem>-frontier.png``, ``<stem>-surplus.png`` and
    ``<stem>-scenarios.csv``; returns the paths written."""
    if out.suffix.lower() not in (".html", ".htm"):
        raise ScenarioError(f"--out {out}: the report is an .html file (the PNG and CSV files are "
                            "written beside it).")
    summary = summarise(df)
    codes = list(manifest.get("codes", sorted(df["jurisdiction"].unique())))
    table = surplus_table(df, summary, codes)
    currency = ""
    if manifest["grid"]["base"].get("solidarity", "none") != "none":
        from fairshare.scenarios.solidarity import load_solidarity

        currency = load_solidarity(manifest["grid"]["base"]["solidarity"]).currency
    pictures = {"frontier": _png(frontier_figure(summary)), "surplus": _png(surplus_figure(table))}
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
    if errors:
        items = "".join(f"<li><code>{html.escape(e['cell_id'])}</code> "
                        f"{html.escape(str(e['params']))}: {html.escape(e['error'])}</li>"
                        for e in errors)
        err_html = f"<h2>Failed cells ({len(errors)})</h2><ul>{items}</ul>"
    surplus_tsv = _tsv(table.reset_index(names="scenario"))
    versions = ", ".join(f"{k} {v}" for k, v in sorted(manifest["versions"].items()))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sweep {html.escape(grid['name'])}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}
td:first-child,th:first-child{{text-align:left}}
pre{{background:#f5f5f5;padding:1em;overflow:auto;font-size:12px}}
img{{max-width:100%}}</style></head><body>
<h1>Sweep {html.escape(grid['name'])}</h1>
<p>{html.escape(grid.get('description', ''))}</p>
<p>{len(summary)} scenarios, {df['cell_id'].nunique()} finished cells ({len(errors)} failed);
grid hash <code>{html.escape(grid['hash'][:16])}</code>; {html.escape(versions)}. Means over seeds.</p>
<h2>Frontier</h2>
<img alt="Total outcome against balance gap and relocations" src="data:image/png;base64,{img['frontier']}">
<h2>Year-end surplus per jurisdiction</h2>
<img alt="Year-end surplus per jurisdiction and scenario" src="data:image/png;base64,{img['surplus']}">
<h2>Scenarios</h2>{_table_html(summary, currency)}
<h2>To paste into a spreadsheet (tab-separated)</h2><pre>{html.escape(_tsv(export))}</pre>
<h3>Year-end surplus (tab-separated)</h3><pre>{html.escape(surplus_tsv)}</pre>
{err_html}
</body></html>
"""
    write_private_text(out, page)
    return [out, *written]
