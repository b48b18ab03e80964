"""``fairshare sweep``, ``sweep report``, ``solidarity`` and ``targets temporary-residents``:
thin shells over fairshare.scenarios and fairshare.negotiation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from fairshare.cli import app
from fairshare.cli.reference import DATA_OPTION, KEY_OPTION, METHOD_OPTION
from fairshare.cli.render import FORMAT_OPTION, OutputFormat, cli_text, render
from fairshare.privatefs import open_private


class _SweepGroup(TyperGroup):
    """``fairshare sweep GRID.yaml ...`` runs a grid; ``fairshare sweep report DIR`` reports."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return list(super().parse_args(ctx, args))


sweep_app = typer.Typer(cls=_SweepGroup, no_args_is_help=True, help=(
    "Scenario sweeps on Dask: `fairshare sweep GRID.yaml --out DIR` runs every cell of a grid "
    "(keys x policies x volumes x pledges x seeds); `fairshare sweep report DIR --out R.html` "
    "writes the report. See docs/scenarios.md."))
app.add_typer(sweep_app, name="sweep")
targets_app = typer.Typer(no_args_is_help=True, help="Tracked targets and progress toward them.")
app.add_typer(targets_app, name="targets")


@sweep_app.command("run")
def sweep_run(
    grid: Path = typer.Argument(..., help="The grid YAML file (see examples/sweep-small.yaml)."),
    out: Path = typer.Option(..., "--out", "-o", help="Sweep folder: Parquet dataset + manifest.json "
                             "(a rerun into the same folder skips finished cells)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Address of a running Dask "
                                         "scheduler (tcp://HOST:PORT); default an embedded "
                                         "LocalCluster on this machine."),
    workers: int | None = typer.Option(None, "--workers", "-w", min=1, help="Worker processes of "
                                       "the embedded LocalCluster (default one per core)."),
    batch: int | None = typer.Option(None, "--batch", min=1, help="Most cells in one Dask task "
                                     "(default: chosen from the cells and the workers, at most "
                                     "16, smaller at the end; 1: one task per cell)."),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Run every cell of GRID not yet in --out; cells run in parallel on Dask and are written as
    they finish (Ctrl-C leaves only whole cells; rerun to continue)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from fairshare.scenarios.grid import load_grid
    from fairshare.scenarios.runner import run_sweep

    g = load_grid(grid)
    quiet = fmt is OutputFormat.json
    progress = Progress(TextColumn("[bold]cells"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[failed]} failed"), TimeRemainingColumn(),
                        disable=quiet, transient=False)
    task = progress.add_task("cells", total=len(g.cells), failed=0)
    failed = 0

    def started(todo: int, skipped: int, link: str | None) -> None:
        progress.update(task, completed=skipped)
        if not quiet:
            progress.console.print(f"{len(g.cells)} cells in {len(g.scenarios)} scenarios: "
                                   f"{skipped} already done, {todo} to run.")
            if link:
                progress.console.print(f"Dask dashboard: {link}")

    def finished(cell_id: str, ok: bool) -> None:
        nonlocal failed
        failed += 0 if ok else 1
        progress.update(task, advance=1, failed=failed)

    try:
        with progress:
            summary = run_sweep(g, out, scheduler=scheduler, workers=workers, batch=batch,
                                on_start=started, on_cell=finished)
    except KeyboardInterrupt:
        typer.echo(f"Interrupted: the finished cells are in {out}; rerun the same command to "
                   "continue.", err=True)
        raise typer.Exit(130) from None
    result = {"out": str(out), "grid_hash": g.grid_hash, **summary.as_dict()}
    if quiet:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(f"{summary.computed} computed, {summary.skipped} skipped, {summary.failed} failed "
               f"in {summary.wall_seconds:.1f} s ({summary.cell_seconds:.1f} s of cell time on "
               f"{summary.workers} worker(s)). Results: {out}")
    if summary.failed:
        typer.echo(f"Failed cells are listed in {out / 'errors'}; a rerun retries them.", err=True)


@sweep_app.command("report")
def sweep_report(
    folder: Path = typer.Argument(..., help="A sweep folder (from `fairshare sweep`)."),
    out: Path = typer.Option(..., "--out", "-o", help="The report (.html, offline); the PNG "
                             "pictures and a CSV table are written beside it."),
    lang: str | None = typer.Option(None, "--lang", help="Report in 'en' or 'fr' (default: "
                                    "FAIRSHARE_LANG, else LC_ALL / LANG, else English)."),
) -> None:
    """Write the sweep's report: the frontier, each jurisdiction's year-end surplus, a table."""
    from fairshare.i18n import from_environment
    from fairshare.scenarios.report import write_report
    from fairshare.scenarios.results import read_errors, read_manifest, read_sweep

    manifest = read_manifest(folder)
    paths = write_report(read_sweep(folder), manifest, out, read_errors(folder),
                         lang=lang or from_environment())
    t = cli_text()
    typer.echo(t("cli_written", paths=", ".join(str(p) for p in paths)))


@app.command("solidarity")
def solidarity_cmd(
    key: str = KEY_OPTION,
    years: str = typer.Option("2024", "--years", "-y", help="A year, a range (2019-2024) or a list."),
    policy: str = typer.Option("canada-ihap", "--policy", "-p", help="Solidarity policy: "
                               "eu-2024-pool, canada-ihap, or a policy YAML file."),
    cumulative: bool = typer.Option(False, "--cumulative", help="Sum the years first."),
    transfers: Path | None = typer.Option(None, "--transfers", help="CSV from,to,count,date of "
                                          "relocations (they change the surplus)."),
    method: str = METHOD_OPTION, data: str | None = DATA_OPTION, fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Each jurisdiction's financial solidarity: + receives (above its fair share), - pays."""
    from fairshare.negotiation import solidarity_frame

    df = solidarity_frame(key, years=years, policy=policy, cumulative=cumulative,
                          transfers=transfers, method=method, data=data)
    a = df.attrs
    caption = "\n".join([f"{a['label']}: {a['amount_per_person']:,.0f} {df['currency'].iloc[0]} "
                         f"per person ({a['amount_confidence']}: {a['derivation']})",
                         *a["references"]])
    records = [{str(k): v for k, v in r.items()} for r in df.to_dict(orient="records")]
    render(records, fmt, title=f"Solidarity under {a['policy']} with key {a['key']}",
           caption=caption)


@targets_app.command("temporary-residents")
def temporary_residents(
    provinces: Path | None = typer.Option(None, "--provinces", help="Statistics Canada table "
                                          "17-10-0121-01 as downloaded (CSV), for the province "
                                          "targets (Quebec's demand)."),
    data: str | None = DATA_OPTION, fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Progress toward the federal 5% target and Quebec's demand to halve temporary residents."""
    from fairshare.negotiation import temporary_resident_frame

    df = temporary_resident_frame(provinces, data=data)
    records = [{str(k): v for k, v in r.items()} for r in df.to_dict(orient="records")]
    cols = None
    if fmt is OutputFormat.table:
        cols = ["target", "geography", "by", "latest_date", "latest_persons", "latest_share",
                "progress", "met", "remaining_persons", "target_confidence", "note"]
    render(records, fmt, title="Temporary-resident targets", columns=cols,
           caption="progress: 0 at the baseline, 1 when the target is met (negative: moving away).")


pledges_app = typer.Typer(no_args_is_help=True, help=(
    "Pledges: persons a jurisdiction promises to receive in a period, against what transfers "
    "delivered."))
app.add_typer(pledges_app, name="pledges")


def _ctx() -> Any:
    from fairshare.service import open_context

    return open_context()


@pledges_app.command("add")
def pledges_add(
    file: Path = typer.Argument(..., help="Pledge CSV: jurisdiction, period (2025, 2025-Q2 or "
                                "2025-06), persons, source [, agreement]."),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Store the pledges of FILE in the registry (all or nothing; audited)."""
    from fairshare.service.pledges import add_pledges

    rows = [p.as_dict() for p in add_pledges(_ctx(), path=file)]
    render(rows, fmt, title="Pledges stored")


@pledges_app.command("list")
def pledges_list(fmt: OutputFormat = FORMAT_OPTION) -> None:
    """Every stored pledge."""
    from fairshare.service.pledges import list_pledges

    render([p.as_dict() for p in list_pledges(_ctx())], fmt, title="Pledges")


@pledges_app.command("standing")
def pledges_standing(
    code: str | None = typer.Option(None, "--code", help="Only this jurisdiction."),
    period: str | None = typer.Option(None, "--period", help="Only this period (2025, 2025-Q2)."),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Pledged against delivered (transfers) per jurisdiction and period."""
    from fairshare.service.pledges import pledge_standing

    rows = [s.as_dict() for s in pledge_standing(_ctx(), code=code, period=period)]
    render(rows, fmt, title="Pledged against delivered")


@pledges_app.command("offers")
def pledges_offers(
    period: str = typer.Option(..., "--period", help="The pledges' period (2025, 2025-Q2, 2025-06)."),
    expires: str = typer.Option(..., "--expires", help="Expiry date of the offers (YYYY-MM-DD)."),
    out: Path = typer.Option(..., "--out", "-o", help="Capacity CSV to write (review it, then "
                             "`fairshare capacity add`)."),
    services: str = typer.Option("", "--services", help="Services the offers carry (;-separated)."),
) -> None:
    """Write capacity offers for what each pledge of a period has not yet delivered."""
    import csv
    import datetime as dt

    from fairshare.errors import InputError
    from fairshare.service.pledges import offers_from_pledges

    try:
        expires_on = dt.date.fromisoformat(expires)
    except ValueError:
        raise InputError(f"--expires '{expires}' is not a date (YYYY-MM-DD).") from None
    rows = offers_from_pledges(_ctx(), period=period, expires_on=expires_on,
                               services=[s for s in services.split(";") if s])
    tmp = out.with_name(f".{out.name}.tmp")
    with open_private(tmp, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(out)
    typer.echo(f"{len(rows)} offer(s), {sum(r['persons'] for r in rows):,} persons, written to {out}.")
