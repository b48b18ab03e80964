"""``fairshare simulate`` and ``fairshare synth arrivals``: online matching through a year."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fairshare.cli.groups import app, synth_app
from fairshare.cli.render import FORMAT_OPTION, HELP, OutputFormat, cli_text, render
from fairshare.errors import InputError
from fairshare.i18n import msg
from fairshare.privatefs import write_private_bytes, write_private_text

if TYPE_CHECKING:
    from fairshare.arrivals import Stream


def _days(text: str | None) -> int | None:
    """``183d``, ``26w`` or ``183`` as days; None stays None."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", text)
    if not m or int(m.group(1)) < 1:
        raise InputError(msg("cli_err_horizon", text=text))
    return int(m.group(1)) * (7 if m.group(2) == "w" else 1)


@app.command("simulate", help=HELP.t("cli_help_simulate"))
def simulate(
    families: Path | None = typer.Option(None, "--families", help=HELP.t("cli_help_simulate_families")),
    destinations: Path | None = typer.Option(None, "--destinations",
                                             help=HELP.t("cli_help_simulate_destinations")),
    scores: Path | None = typer.Option(None, "--scores", help=HELP.t("cli_help_simulate_scores")),
    from_registry: bool = typer.Option(False, "--from-registry",
                                       help=HELP.t("cli_help_simulate_from_registry")),
    since: str | None = typer.Option(None, "--since", metavar="YYYY-MM-DD",
                                     help=HELP.t("cli_help_simulate_since")),
    until: str | None = typer.Option(None, "--until", metavar="YYYY-MM-DD",
                                     help=HELP.t("cli_help_simulate_until")),
    key: str = typer.Option("canada-population", "--key", help=HELP.t("cli_help_simulate_key")),
    model: str | None = typer.Option(None, "--model", metavar="ID", help=HELP.t("cli_help_simulate_model")),
    periods: Path | None = typer.Option(None, "--periods", help=HELP.t("cli_help_simulate_periods")),
    carry_forward: bool = typer.Option(False, "--carry-forward/--no-carry-forward",
                                       help=HELP.t("cli_help_simulate_carry_forward")),
    policy: str = typer.Option("dual-prices", "--policy", help=HELP.t("cli_help_simulate_policy")),
    cadence: str = typer.Option("week", "--cadence", help=HELP.t("cli_help_simulate_cadence")),
    seed: int = typer.Option(0, "--seed", help=HELP.t("cli_help_simulate_seed")),
    samples: int | None = typer.Option(None, "--samples", help=HELP.t("cli_help_simulate_samples")),
    horizon: str | None = typer.Option(None, "--horizon", help=HELP.t("cli_help_simulate_horizon")),
    every: int | None = typer.Option(None, "--every", help=HELP.t("cli_help_simulate_every")),
    band: float | None = typer.Option(None, "--band", help=HELP.t("cli_help_simulate_band")),
    targets: Path | None = typer.Option(None, "--targets", help=HELP.t("cli_help_simulate_targets")),
    out: Path | None = typer.Option(None, "--out", help=HELP.t("cli_help_simulate_out")),
    report: Path | None = typer.Option(None, "--report", help=HELP.t("cli_help_simulate_report")),
    png: Path | None = typer.Option(None, "--png", help=HELP.t("cli_help_simulate_png")),
    lang: str | None = typer.Option(None, "--lang", help=HELP.t("cli_help_simulate_lang")),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    from rich.console import Console
    from rich.progress import Progress

    from fairshare.arrivals import simulate as run
    from fairshare.arrivals.io import read_targets, write_plan
    from fairshare.arrivals.options import make_options

    if fmt == OutputFormat.csv:
        raise InputError(msg("cli_err_simulate_format"))
    overrides: dict[str, Any] = {}
    for name, value in (("samples", samples), ("every", every), ("band", band),
                        ("horizon_days", _days(horizon))):
        if value is not None:
            overrides[name] = value
    console = Console(stderr=True)
    t = cli_text()
    with console.status(t("cli_progress_reading_stream")):
        stream = _stream(families, destinations, scores, periods, carry_forward=carry_forward,
                         from_registry=from_registry, since=since, until=until, key=key,
                         model=model)
        if targets is not None:
            overrides["targets"] = read_targets(
                targets, {d.code for d in stream.problem.destinations})
    options = make_options(overrides)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(t("cli_progress_batches", policy=policy), total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = run(stream, policy, cadence=cadence, seed=seed, options=options,
                     progress=progress)
    if out is not None:
        write_plan(out, result.assignment, result.decided_on)
    if report is not None or png is not None:
        from fairshare.arrivals.report import report_html, report_png
        from fairshare.i18n import from_environment

        language = lang or from_environment()
        if report is not None:
            write_private_text(report, report_html(result, lang=language))
        if png is not None:
            write_private_bytes(png, report_png(result, lang=language))
    if fmt == OutputFormat.json:
        typer.echo(json.dumps(result.summary(), ensure_ascii=False))
        return
    s = result.summary()
    m = result.metrics
    fraction = (t("cli_not_available") if s["hindsight_fraction"] is None
                else t.percent(s["hindsight_fraction"], 2))
    caption = "\n".join([
        t("cli_sim_policy", policy=t.label("online_policy_", s["policy"]),
          persons=t.number(s["persons_placed"]), outcome=t.number(s["outcome"], 3), fraction=fraction,
          hindsight=t.number(s["hindsight_outcome"] or 0, 3)),
        t("cli_sim_gap", gap=t.percent(s["max_balance_gap"], 2), envy=t.number(m.envy)),
        t("cli_sim_batches", batches=s["batches"], cadence=t.label("cadence_", cadence),
          slowest=t.number(max(result.batch_seconds, default=0.0), 3),
          seconds=t.number(s["seconds"], 1)),
        *(t(n) for n in result.notes)])
    render([{"destination": c, "persons": result.placements[c], "target": round(m.target[c]),
             "largest_gap": t.percent(max(m.gap[c], default=0.0), 2),
             "unacceptable": m.unacceptable[c]} for c in m.fill], fmt,
           title=t("cli_sim_title"), caption=caption,
           columns=["destination", "persons", "target", "largest_gap", "unacceptable"])


def _date_option(name: str, text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(msg("cli_err_option_not_date", option=name, text=text)) from None


def _stream(families: Path | None, destinations: Path | None, scores: Path | None,
            periods: Path | None, *, carry_forward: bool, from_registry: bool,
            since: str | None, until: str | None, key: str, model: str | None) -> Stream:
    """The stream to simulate: the three files, or the registry (never both)."""
    files = {"--families": families, "--destinations": destinations, "--scores": scores}
    if from_registry:
        given = [name for name, path in files.items() if path is not None]
        if given or periods is not None:
            raise InputError(msg("cli_err_from_registry_files",
                                 options=", ".join(given) or "--periods"))
        from fairshare.cli.registry import _ctx
        from fairshare.service.streams import registry_stream

        ctx = _ctx()
        try:
            return registry_stream(ctx, key=key, model=model,
                                   since=_date_option("--since", since),
                                   until=_date_option("--until", until))
        finally:
            ctx.close()
    if since is not None or until is not None or model is not None:
        raise InputError(msg("cli_err_registry_only"))
    if families is None or destinations is None or scores is None:
        missing = [name for name, path in files.items() if path is None]
        raise InputError(msg("cli_err_stream_missing", options=", ".join(missing)))
    from fairshare.arrivals.io import read_stream

    return read_stream(families, destinations, scores, periods, carry_forward=carry_forward)


@synth_app.command("arrivals", help=HELP.t("cli_help_synth_arrivals"))
def synth_arrivals(
    year: int = typer.Option(2024, "--year", help=HELP.t("cli_help_synth_arrivals_year")),
    families: int = typer.Option(30000, "--families", min=1, help=HELP.t("cli_help_synth_arrivals_families")),
    seed: int = typer.Option(0, "--seed", help=HELP.t("cli_help_synth_arrivals_seed")),
    out: Path = typer.Option(..., "--out", help=HELP.t("cli_help_synth_arrivals_out")),
    quarters: bool = typer.Option(False, "--quarters/--no-quarters",
                                  help=HELP.t("cli_help_synth_arrivals_quarters")),
    slack: float = typer.Option(1.10, "--slack", help=HELP.t("cli_help_synth_arrivals_slack")),
    monthly: str | None = typer.Option(None, "--monthly", help=HELP.t("cli_help_synth_arrivals_monthly")),
) -> None:
    from fairshare.arrivals import synth_stream
    from fairshare.arrivals.io import write_stream

    weights = None
    if monthly is not None:
        try:
            weights = [float(x) for x in monthly.split(",")]
        except ValueError:
            raise InputError(msg("cli_err_monthly", text=monthly)) from None
    stream = synth_stream(families, seed, year=year, slack=slack, quarters=quarters,
                          monthly=weights)
    write_stream(out, stream)
    t = cli_text()
    values = {"families": t.number(len(stream.problem.families)),
              "persons": t.number(stream.problem.persons), "year": year,
              "destinations": len(stream.problem.destinations), "out": out}
    typer.echo(t("cli_wrote_arrivals_quarters", **values) if stream.periods
               else t("cli_wrote_arrivals", **values))
