"""``fairshare sweep``, ``sweep report``, ``solidarity`` and ``targets temporary-residents``:
thin shells over fairshare.scenarios and fairshare.negotiation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from fairshare.cli.groups import app
from fairshare.cli.reference import DATA_OPTION, KEY_OPTION, METHOD_OPTION
from fairshare.cli.render import FORMAT_OPTION, HELP, OutputFormat, cli_text, render
from fairshare.i18n import msg
from fairshare.privatefs import open_private


class _SweepGroup(TyperGroup):
    """``fairshare sweep GRID.yaml ...`` runs a grid; ``fairshare sweep report DIR`` reports."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return list(super().parse_args(ctx, args))


sweep_app = typer.Typer(cls=_SweepGroup, no_args_is_help=True, help=(
    HELP.t("cli_help_sweep")))
app.add_typer(sweep_app, name="sweep")
targets_app = typer.Typer(no_args_is_help=True, help=HELP.t("cli_help_targets"))
app.add_typer(targets_app, name="targets")


@sweep_app.command("run", help=HELP.t("cli_help_sweep_run"))
def sweep_run(
    grid: Path = typer.Argument(..., help=HELP.t("cli_help_sweep_run_grid")),
    out: Path = typer.Option(..., "--out", "-o", help=HELP.t("cli_help_sweep_run_out")),
    scheduler: str | None = typer.Option(None, "--scheduler", help=HELP.t("cli_help_sweep_run_scheduler")),
    workers: int | None = typer.Option(None, "--workers", "-w", min=1,
                                       help=HELP.t("cli_help_sweep_run_workers")),
    batch: int | None = typer.Option(None, "--batch", min=1, help=HELP.t("cli_help_sweep_run_batch")),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from fairshare.scenarios.grid import load_grid
    from fairshare.scenarios.runner import run_sweep

    g = load_grid(grid)
    quiet = fmt is OutputFormat.json
    t = cli_text()
    progress = Progress(TextColumn(f"[bold]{t('cli_progress_cells')}"), BarColumn(),
                        MofNCompleteColumn(),
                        TextColumn(t("cli_progress_failed", failed="{task.fields[failed]}")),
                        TimeRemainingColumn(), disable=quiet, transient=False)
    task = progress.add_task("cells", total=len(g.cells), failed=0)
    failed = 0

    def started(todo: int, skipped: int, link: str | None) -> None:
        progress.update(task, completed=skipped)
        if not quiet:
            progress.console.print(t("cli_sweep_started", cells=t.count(len(g.cells)),
                                     scenarios=t.count(len(g.scenarios)),
                                     skipped=t.count(skipped), todo=t.count(todo)))
            if link:
                progress.console.print(t("cli_sweep_dashboard", link=link))

    def finished(cell_id: str, ok: bool) -> None:
        nonlocal failed
        failed += 0 if ok else 1
        progress.update(task, advance=1, failed=failed)

    try:
        with progress:
            summary = run_sweep(g, out, scheduler=scheduler, workers=workers, batch=batch,
                                on_start=started, on_cell=finished)
    except KeyboardInterrupt:
        typer.echo(t("cli_sweep_interrupted", out=out), err=True)
        raise typer.Exit(130) from None
    result = {"out": str(out), "grid_hash": g.grid_hash, **summary.as_dict()}
    if quiet:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(t("cli_sweep_done", computed=t.count(summary.computed),
                 skipped=t.count(summary.skipped), failed=t.count(summary.failed),
                 wall=t.number(summary.wall_seconds, 1) if t.lang != "en"
                 else f"{summary.wall_seconds:.1f}",
                 cell=t.number(summary.cell_seconds, 1) if t.lang != "en"
                 else f"{summary.cell_seconds:.1f}",
                 workers=summary.workers, out=out))
    if summary.failed:
        typer.echo(t("cli_sweep_failed", errors=out / "errors"), err=True)


@sweep_app.command("report", help=HELP.t("cli_help_sweep_report"))
def sweep_report(
    folder: Path = typer.Argument(..., help=HELP.t("cli_help_sweep_report_folder")),
    out: Path = typer.Option(..., "--out", "-o", help=HELP.t("cli_help_sweep_report_out")),
    lang: str | None = typer.Option(None, "--lang", help=HELP.t("cli_help_sweep_report_lang")),
) -> None:
    from fairshare.i18n import from_environment
    from fairshare.scenarios.report import write_report
    from fairshare.scenarios.results import read_errors, read_manifest, read_sweep

    manifest = read_manifest(folder)
    paths = write_report(read_sweep(folder), manifest, out, read_errors(folder),
                         lang=lang or from_environment())
    t = cli_text()
    typer.echo(t("cli_written", paths=", ".join(str(p) for p in paths)))


@app.command("solidarity", help=HELP.t("cli_help_solidarity"))
def solidarity_cmd(
    key: str = KEY_OPTION,
    years: str = typer.Option("2024", "--years", "-y", help=HELP.t("cli_help_solidarity_years")),
    policy: str = typer.Option("canada-ihap", "--policy", "-p", help=HELP.t("cli_help_solidarity_policy")),
    cumulative: bool = typer.Option(False, "--cumulative", help=HELP.t("cli_help_solidarity_cumulative")),
    transfers: Path | None = typer.Option(None, "--transfers", help=HELP.t("cli_help_solidarity_transfers")),
    method: str = METHOD_OPTION, data: str | None = DATA_OPTION, fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    from fairshare.negotiation import solidarity_frame

    df = solidarity_frame(key, years=years, policy=policy, cumulative=cumulative,
                          transfers=transfers, method=method, data=data)
    a = df.attrs
    t = cli_text()
    caption = "\n".join([t("cli_caption_solidarity", label=a["label"],
                           amount=t.number(a["amount_per_person"]),
                           currency=df["currency"].iloc[0], confidence=a["amount_confidence"],
                           derivation=a["derivation"]),
                         *a["references"]])
    records = [{str(k): v for k, v in r.items()} for r in df.to_dict(orient="records")]
    render(records, fmt, title=t("cli_title_solidarity", policy=a["policy"], key=a["key"]),
           caption=caption)


@targets_app.command("temporary-residents", help=HELP.t("cli_help_targets_temporary_residents"))
def temporary_residents(
    provinces: Path | None = typer.Option(None, "--provinces",
                                          help=HELP.t("cli_help_targets_temporary_residents_provinces")),
    data: str | None = DATA_OPTION, fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    from fairshare.negotiation import temporary_resident_frame

    df = temporary_resident_frame(provinces, data=data)
    records = [{str(k): v for k, v in r.items()} for r in df.to_dict(orient="records")]
    cols = None
    if fmt is OutputFormat.table:
        cols = ["target", "geography", "by", "latest_date", "latest_persons", "latest_share",
                "progress", "met", "remaining_persons", "target_confidence", "note"]
    t = cli_text()
    render(records, fmt, title=t("cli_title_tr_targets"), columns=cols,
           caption=t("cli_caption_tr_targets"))


pledges_app = typer.Typer(no_args_is_help=True, help=(
    HELP.t("cli_help_pledges")))
app.add_typer(pledges_app, name="pledges")


def _ctx() -> Any:
    from fairshare.service import open_context

    return open_context()


@pledges_app.command("add", help=HELP.t("cli_help_pledges_add"))
def pledges_add(
    file: Path = typer.Argument(..., help=HELP.t("cli_help_pledges_add_file")),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    from fairshare.service.pledges import add_pledges

    rows = [p.as_dict() for p in add_pledges(_ctx(), path=file)]
    render(rows, fmt, title=cli_text().t("cli_title_pledges_stored"))


@pledges_app.command("list", help=HELP.t("cli_help_pledges_list"))
def pledges_list(fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.service.pledges import list_pledges

    render([p.as_dict() for p in list_pledges(_ctx())], fmt, title=cli_text().t("cli_title_pledges"))


@pledges_app.command("standing", help=HELP.t("cli_help_pledges_standing"))
def pledges_standing(
    code: str | None = typer.Option(None, "--code", help=HELP.t("cli_help_pledges_standing_code")),
    period: str | None = typer.Option(None, "--period", help=HELP.t("cli_help_pledges_standing_period")),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    from fairshare.service.pledges import pledge_standing

    rows = [s.as_dict() for s in pledge_standing(_ctx(), code=code, period=period)]
    render(rows, fmt, title=cli_text().t("cli_title_pledge_standing"))


@pledges_app.command("offers", help=HELP.t("cli_help_pledges_offers"))
def pledges_offers(
    period: str = typer.Option(..., "--period", help=HELP.t("cli_help_pledges_offers_period")),
    expires: str = typer.Option(..., "--expires", help=HELP.t("cli_help_pledges_offers_expires")),
    out: Path = typer.Option(..., "--out", "-o", help=HELP.t("cli_help_pledges_offers_out")),
    services: str = typer.Option("", "--services", help=HELP.t("cli_help_pledges_offers_services")),
) -> None:
    import csv
    import datetime as dt

    from fairshare.errors import InputError
    from fairshare.service.pledges import offers_from_pledges

    try:
        expires_on = dt.date.fromisoformat(expires)
    except ValueError:
        raise InputError(msg("cli_err_option_not_date", option="--expires",
                             text=expires)) from None
    rows = offers_from_pledges(_ctx(), period=period, expires_on=expires_on,
                               services=[s for s in services.split(";") if s])
    tmp = out.with_name(f".{out.name}.tmp")
    with open_private(tmp, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(out)
    t = cli_text()
    typer.echo(t("cli_wrote_pledge_offers", offers=t.count(len(rows)),
                 persons=t.number(sum(r["persons"] for r in rows)), out=out))
