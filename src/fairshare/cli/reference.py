"""Commands for reference data, keys, shares, the balance ledger, charts and the map."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fairshare.cli.groups import app
from fairshare.cli.render import FORMAT_OPTION, HELP, OutputFormat, cli_text, render
from fairshare.i18n import msg

if TYPE_CHECKING:
    import pandas as pd

data_app = typer.Typer(help=HELP.t("cli_help_data"), no_args_is_help=True)
keys_app = typer.Typer(help=HELP.t("cli_help_keys"), no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(keys_app, name="keys")

DATA_OPTION = typer.Option(None, "--data", help=HELP.t("cli_opt_reference_data"))
KEY_OPTION = typer.Option(..., "--key", "-k",
                          help=HELP.t("cli_opt_reference_key"))
METHOD_OPTION = typer.Option("hamilton", "--method", "-m", help=HELP.t("cli_opt_reference_method"))
ON_OPTION = typer.Option(None, "--on", help=HELP.t("cli_opt_reference_on"))


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in df.to_dict(orient="records")]


def _notes_caption(attrs: Mapping[Any, Any]) -> str:
    t = cli_text()
    lines = [t("cli_caption_key", key=attrs["key"], effective=attrs["effective"],
               federation=attrs["federation"])]
    from fairshare.i18n import render as render_text

    lines += [t("cli_caption_note", note=render_text(n, t.lang)) for n in attrs.get("notes", [])]
    return "\n".join(lines)


@data_app.command("list", help=HELP.t("cli_help_data_list"))
def data_list(data: str | None = DATA_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.reference import load_federation

    fed = load_federation(data)
    rows = [{"indicator": i.id, "label": i.label, "unit": i.unit, "periods": ", ".join(i.periods),
             "confidence": i.confidence, "source": i.source.title, "url": i.source.url}
            for i in fed.indicators.values()]
    render(rows, fmt, title=cli_text().t("cli_title_indicators", federation=fed.label))


@data_app.command("show", help=HELP.t("cli_help_data_show"))
def data_show(indicator: str = typer.Argument(..., help=HELP.t("cli_help_data_show_indicator")),
              period: str | None = typer.Option(None, "--period", "-p",
                                                help=HELP.t("cli_help_data_show_period")),
              data: str | None = DATA_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.reference import load_federation

    fed = load_federation(data)
    ind = fed.indicator(indicator)
    periods = [period] if period else ind.periods
    if period:
        fed.values(indicator, period)  # raises a clear error for an unknown period
    rows = []
    for j in fed.jurisdictions:
        row: dict[str, Any] = {"code": j.code, "name": j.name}
        for p in periods:
            row[p] = ind.values_by_period[p].get(j.code)
        rows.append(row)
    for code, role in sorted(ind.extra_roles.items()):
        rows.append({"code": code, "name": f"({role})",
                     **{p: ind.extra_rows.get(p, {}).get(code) for p in periods}})
    t = cli_text()
    caption = "\n".join([t("cli_caption_indicator", label=ind.label, unit=ind.unit,
                           confidence=ind.confidence),
                         t("cli_caption_source", source=ind.source.title), ind.source.url,
                         ind.notes])
    render(rows, fmt, title=f"{ind.id} ({fed.label})", caption=caption)


@keys_app.command("list", help=HELP.t("cli_help_keys_list"))
def keys_list(fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.keys import list_keys

    rows = [{"id": k.id, "label": k.label, "federation": k.federation,
             "effective": k.versions[-1].effective.isoformat(), "formula": k.versions[-1].formula,
             "reference": k.references[0].url} for k in list_keys()]
    render(rows, fmt, title=cli_text().t("cli_title_keys"))


@keys_app.command("show", help=HELP.t("cli_help_keys_show"))
def keys_show(key: str = typer.Argument(..., help=HELP.t("cli_help_keys_show_key")),
              on: str | None = ON_OPTION, data: str | None = DATA_OPTION,
              fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.analysis import shares_frame
    from fairshare.keys import load_key

    definition = load_key(key)
    df = shares_frame(key, on=on, data=data)
    if fmt is OutputFormat.json:
        import json

        typer.echo(json.dumps({
            "id": definition.id, "label": definition.label, "description": definition.description,
            "federation": definition.federation, "unit": definition.unit,
            "references": [{"title": r.title, "url": r.url} for r in definition.references],
            "versions": [{"effective": v.effective.isoformat(), "formula": v.formula}
                         for v in definition.versions],
            "effective": df.attrs["effective"], "notes": [str(n) for n in df.attrs["notes"]],
            "shares": _records(df)}, ensure_ascii=False, indent=2))
        return
    if fmt is OutputFormat.table:
        from rich.console import Console

        console = Console(width=160)
        t = cli_text()
        console.print(f"[bold]{definition.label}[/bold] ({definition.id})")
        console.print(definition.description)
        for v in definition.versions:
            console.print(t("cli_key_version", effective=v.effective, formula=v.formula))
        for r in definition.references:
            console.print(t("cli_key_reference", title=r.title, url=r.url))
    render(_records(df), fmt, title=cli_text().t("cli_title_shares_under", key=definition.id),
           caption=_notes_caption(df.attrs))


@keys_app.command("compare", help=HELP.t("cli_help_keys_compare"))
def keys_compare(keys: list[str] = typer.Argument(..., help=HELP.t("cli_help_keys_compare_keys")),
                 total: int | None = typer.Option(None, "--total", "-n",
                                                  help=HELP.t("cli_help_keys_compare_total")),
                 method: str = METHOD_OPTION, data: str | None = DATA_OPTION,
                 fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.analysis import shares_frame
    from fairshare.errors import InputError

    if len(keys) < 2:
        raise InputError(msg("cli_err_compare_two_keys"))
    frames = [shares_frame(k, total=total, method=method, data=data) for k in keys]
    feds = {f.attrs["federation"] for f in frames}
    if len(feds) > 1:
        raise InputError(msg("cli_err_compare_federations", federations=", ".join(sorted(feds))))
    rows: list[dict[str, Any]] = []
    for i, (code, name) in enumerate(zip(frames[0]["code"], frames[0]["name"], strict=True)):
        row: dict[str, Any] = {"code": code, "name": name}
        for f in frames:
            kid = f.attrs["key"]
            row[kid] = float(f["share"].iloc[i])
            if total is not None:
                row[f"{kid} ({total:,})"] = int(f["fair_share"].iloc[i])
        rows.append(row)
    caption = "\n".join(_notes_caption(f.attrs) for f in frames)
    render(rows, fmt, title=cli_text().t("cli_title_keys_compared"), caption=caption)


@app.command("shares", help=HELP.t("cli_help_shares"))
def shares_cmd(key: str = KEY_OPTION,
               total: int = typer.Option(..., "--total", "-n", help=HELP.t("cli_help_shares_total")),
               method: str = METHOD_OPTION, on: str | None = ON_OPTION, data: str | None = DATA_OPTION,
               fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.analysis import shares_frame

    df = shares_frame(key, total=total, method=method, on=on, data=data)
    t = cli_text()
    render(_records(df), fmt,
           title=t("cli_title_fair_shares", total=t.number(total), key=df.attrs["key"],
                   method=method),
           caption=_notes_caption(df.attrs))


@app.command("balance", help=HELP.t("cli_help_balance"))
def balance_cmd(
    key: str = KEY_OPTION,
    years: str = typer.Option("2024", "--years", "-y",
                              help=HELP.t("cli_help_balance_years")),
    cumulative: bool = typer.Option(False, "--cumulative",
                                    help=HELP.t("cli_help_balance_cumulative")),
    transfers: Path | None = typer.Option(None, "--transfers",
                                          help=HELP.t("cli_help_balance_transfers")),
    carry_forward: bool = typer.Option(False, "--carry-forward",
                                       help=HELP.t("cli_help_balance_carry_forward")),
    method: str = METHOD_OPTION,
    total_basis: str = typer.Option("jurisdictions", "--total-basis",
                                    help=HELP.t("cli_help_balance_total_basis")),
    plot: Path | None = typer.Option(None, "--plot", help=HELP.t("cli_help_balance_plot")),
    on: str | None = ON_OPTION, data: str | None = DATA_OPTION, fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    from fairshare.service import Settings
    from fairshare.service.ledger import balance_frame

    df = balance_frame(Settings.from_env(), key=key, years=years, cumulative=cumulative,
                       transfers=str(transfers) if transfers else None, method=method,
                       carry_forward=carry_forward, total_basis=total_basis, on=on, data=data)
    if plot is not None:
        from fairshare.charts import plot_balance
        from fairshare.i18n import from_environment

        plot_balance(df, plot, lang=from_environment())
    t = cli_text()
    totals = ", ".join(f"{y}: {t.number(n)}" for y, n in df.attrs["totals"].items())
    caption = "\n".join([t("cli_caption_total_shared", basis=df.attrs["total_basis"],
                           totals=totals, method=method),
                         _notes_caption(df.attrs),
                         t("cli_caption_intake", source=df.attrs["intake_source"])])
    cols = list(df.columns)
    if fmt is OutputFormat.table:  # keep the table readable; csv and json carry every column
        hidden = {"carried_in", "balance"} if not carry_forward else set()
        if transfers is None and not (df["transfers_in"].any() or df["transfers_out"].any()):
            hidden |= {"transfers_in", "transfers_out", "net_intake"}
        if (df["source"] == "published").all():
            hidden.add("source")
        if df["year"].nunique() == 1:
            hidden.add("year")
        cols = [c for c in cols if c not in hidden]
    render(_records(df), fmt, title=t("cli_title_balance", key=df.attrs["key"]),
           caption=caption, columns=cols)
    if plot is not None and fmt is OutputFormat.table:
        typer.echo(t("cli_chart_written", path=plot), err=True)


@app.command("map", help=HELP.t("cli_help_map"))
def map_cmd(
    key: str = KEY_OPTION,
    years: str = typer.Option("2024", "--years", "-y", help=HELP.t("cli_help_map_years")),
    out: Path = typer.Option(..., "--out", "-o", help=HELP.t("cli_help_map_out")),
    method: str = METHOD_OPTION,
    lang: str | None = typer.Option(None, "--lang", help=HELP.t("cli_help_map_lang")),
    data: str | None = DATA_OPTION,
) -> None:
    from fairshare.analysis import map_frame
    from fairshare.charts import write_map
    from fairshare.i18n import from_environment

    write_map(map_frame(key, years=years, method=method, data=data), out,
              lang=lang or from_environment())
    typer.echo(cli_text().t("cli_map_written", path=out))


@app.command("run-default", hidden=True)
def run_default() -> None:
    """What `make run` prints: the 2024 balance under the default key."""
    from fairshare.reference import load_federation

    balance_cmd(key=load_federation().default_key, years="2024", cumulative=False, transfers=None,
                carry_forward=False, method="hamilton", total_basis="jurisdictions", plot=None,
                on=None, data=None, fmt=OutputFormat.table)
