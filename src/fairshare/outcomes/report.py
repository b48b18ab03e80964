"""Fairness and accuracy report of an outcome model: one offline HTML file plus JSON.

Plots are drawn with matplotlib (Agg) and embedded as base64 PNG, so the page opens without
a network; every figure also appears as a table for screen readers.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

from fairshare.i18n import Translator, normalise, number, percent
from fairshare.privatefs import write_private_text

PLAN_LABELS = {"status_quo": "Status quo (where people went)", "random": "Random (engine baseline)",
               "greedy": "Greedy (engine baseline)",
               "optimised": "Optimised (fairshare.matching.solve, outcome policy)",
               "oracle": "Oracle (the engine on the true model)"}


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(title: str) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.set_title(title)
    return fig, ax


def calibration_plot(result: dict[str, Any]) -> str:
    """Predicted vs observed rate in quantile bins, one line per outcome."""
    fig, ax = _figure("Calibration on the held-out cohort")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    for outcome, entry in result["outcomes"].items():
        bins = entry["calibration"]
        ax.plot([b["predicted"] for b in bins], [b["observed"] for b in bins], marker="o",
                label=outcome)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed rate")
    ax.legend()
    return _png(fig)


def plans_plot(backtest: dict[str, Any]) -> str:
    """True employment rate under each plan."""
    fig, ax = _figure("Back-test: true employment rate at one year by plan")
    names = list(backtest["plans"])
    values = [backtest["plans"][n]["true_rate"] for n in names]
    ax.barh([PLAN_LABELS.get(n, n) for n in names], values, color="#3b6ea5")
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:.3f}", va="center")
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    return _png(fig)


def groups_plot(backtest: dict[str, Any]) -> str:
    """Status quo vs optimised true rate of every audit group."""
    import numpy as np

    rows = backtest["by_group"]
    fig, ax = _figure("Back-test by group: status quo vs optimised")
    fig.set_size_inches(7, max(4.0, 0.28 * len(rows)))
    y = np.arange(len(rows))
    labels = [f"{r['dimension']}: {r['group']}" for r in rows]
    ax.barh(y - 0.2, [r["status_quo"] for r in rows], height=0.4, label="status quo",
            color="#bbbbbb")
    ax.barh(y + 0.2, [r["optimised"] for r in rows], height=0.4, label="optimised",
            color="#2a7f62")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("true employment rate")
    ax.legend()
    return _png(fig)


def auc_groups_plot(groups: list[dict[str, Any]]) -> str:
    """AUC by group with the bootstrap 95% interval."""
    import numpy as np

    rows = [r for r in groups if r.get("auc") is not None]
    fig, ax = _figure("Employment model: AUC by group (95% bootstrap interval)")
    fig.set_size_inches(7, max(4.0, 0.28 * len(rows)))
    y = np.arange(len(rows))
    auc = np.array([r["auc"] for r in rows])
    lo = np.array([(r.get("auc_ci") or [None])[0] or r["auc"] for r in rows])
    hi = np.array([(r.get("auc_ci") or [None, None])[1] or r["auc"] for r in rows])
    ax.errorbar(auc, y, xerr=[auc - lo, hi - auc], fmt="o", capsize=3)
    ax.set_yticks(y, [f"{r['dimension']}: {r['group']}" for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("AUC")
    return _png(fig)


def _table(rows: list[dict[str, Any]], columns: list[str], lang: str = "en") -> str:
    def header(column: str) -> str:
        return html.escape(Translator(lang).label("audit_col_", column))

    head = "".join(f"<th scope='col'>{header(c)}</th>" for c in columns)
    body = []
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c)
            if isinstance(v, list):
                v = "–".join("" if x is None else number(x, 3, lang) for x in v)
            elif isinstance(v, float):
                v = number(v, 4, lang)
            elif isinstance(v, int) and not isinstance(v, bool):
                v = number(v, 0, lang)
            cells.append(f"<td>{html.escape('' if v is None else str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _img(data: str, alt: str) -> str:
    return f"<img src='data:image/png;base64,{data}' alt='{html.escape(alt)}'>"


def render_html(result: dict[str, Any], card: dict[str, Any], lang: str = "en") -> str:
    """The whole report as one self-contained HTML page, in ``lang`` (words from the catalogues,
    numbers by Babel; the model card's own texts are shown as written)."""
    lang = normalise(lang)
    t = Translator(lang)

    def e(value: object) -> str:
        return html.escape(str(value))

    intro = t("audit_intro", version=e(card.get("model_version")), created=e(card.get("created_at")),
              data=e(card.get("data", {}).get("name")),
              sha=e(str(card.get("data", {}).get("sha256", ""))[:16]),
              rule=e(result["holdout"]["rule"]), persons=number(result["holdout"]["persons"], 0, lang))
    parts = [
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>",
        "<title>" + e(t("audit_page_title")) + "</title><style>body{font-family:sans-serif;"
        "max-width:1000px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;"
        "margin:1em 0;font-size:90%}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
        "img{max-width:100%}</style></head><body>",
        "<h1>" + e(t("audit_heading")) + "</h1>",
        f"<p>{intro}</p>",
        "<p><strong>" + e(t("audit_intended_use")) + "</strong> <span translate='no'>"
        + e(card.get("intended_use")) + "</span></p>",
        "<h2>" + e(t("audit_accuracy")) + "</h2>",
    ]
    summary = [{"outcome": o, **{k: v for k, v in e_.items() if k != "calibration"}}
               for o, e_ in result["outcomes"].items()]
    cols = ["outcome", "auc", "oracle_auc", "auc_gap", "brier", "observed_rate", "mean_predicted"]
    parts.append(_table(summary, [c for c in cols if any(c in s for s in summary)], lang))
    parts.append(_img(calibration_plot(result), t("audit_calibration_alt")))
    group_cols = ["dimension", "group", "persons", "auc", "auc_ci", "brier", "brier_ci",
                  "calibration_gap", "calibration_gap_ci", "observed_rate", "mean_predicted"]
    for outcome, rows in result["groups"].items():
        parts.append("<h2>" + e(t("audit_by_group", outcome=outcome)) + "</h2>")
        if outcome == "employed_1y":
            parts.append(_img(auc_groups_plot(rows), t("audit_auc_alt")))
        parts.append(_table(rows, group_cols, lang))
    bt = result.get("backtest")
    if bt:
        parts.append("<h2>" + e(t("audit_backtest")) + "</h2>")
        none = t("audit_none")
        gain = "<strong>" + ("+" if bt["gain_vs_status_quo"] >= 0 else "") + percent(
            bt["gain_vs_status_quo"], 1, lang) + "</strong>"
        text = t("audit_backtest_text", families=number(bt["cohort"]["families"], 0, lang),
                 persons=number(bt["cohort"]["persons"], 0, lang), capacity=e(bt["capacity"]),
                 truth=e(result["truth"]), gain=gain,
                 worse=e(", ".join(bt["groups_worse_off"]) or none))
        parts.append(f"<p>{text}</p>")
        plan_rows = [{"plan": t.label("audit_plan_", k), **v} for k, v in bt["plans"].items()]
        parts.append(_table(plan_rows, ["plan", "true_rate", "gain_vs_status_quo",
                                        "predicted_rate", "solver", "status",
                                        "families_left_in_place"], lang))
        parts.append(_img(plans_plot(bt), t("audit_plans_alt")))
        parts.append(_img(groups_plot(bt), t("audit_groups_alt")))
        parts.append(_table(bt["by_group"], ["dimension", "group", "persons", *bt["plans"],
                                             "gain_vs_status_quo"], lang))
    parts.append("<h2>" + e(t("audit_limitations")) + "</h2><ul translate='no'>"
                 + "".join(f"<li>{html.escape(x)}</li>" for x in card.get("limitations", []))
                 + "</ul></body></html>")
    return "\n".join(parts)


def write_report(result: dict[str, Any], card: dict[str, Any], out_dir: str | Path,
                 lang: str = "en") -> dict[str, str]:
    """Write ``audit.html`` (in ``lang``) and ``audit.json`` into ``out_dir``; return their
    paths."""
    out = Path(out_dir)
    html_path, json_path = out / "audit.html", out / "audit.json"
    write_private_text(html_path, render_html(result, card, lang))
    write_private_text(json_path, json.dumps({"model_card": card, "evaluation": result},
                                             indent=2, ensure_ascii=False) + "\n")
    return {"html": str(html_path), "json": str(json_path)}
