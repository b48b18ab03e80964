"""``fairshare simulate`` and ``fairshare synth arrivals``: online matching through a year."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fairshare.cli import app, synth_app
from fairshare.cli.render import FORMAT_OPTION, OutputFormat, cli_text, render
from fairshare.errors import InputError
from fairshare.privatefs import write_private_bytes, write_private_text

if TYPE_CHECKING:
    from fairshare.arrivals import Stream


def _days(text: str | None) -> int | None:
    """``183d``, ``26w`` or ``183`` as days; None stays None."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", text)
    if not m or int(m.group(1)) < 1:
        raise InputError(f"--horizon: {text!r} is not a number of days (e.g. 183d or 26w).")
    return int(m.group(1)) * (7 if m.group(2) == "w" else 1)


@app.command("simulate")
def simulate(
    families: Path | None = typer.Option(None, "--families", help="families.csv as for "
                                         "`match`, plus arrived_on (YYYY-MM-DD, required)."),
    destinations: Path | None = typer.Option(None, "--destinations", help="destinations.csv: "
                                             "code,capacity (for the whole horizon) "
                                             "[,max,services]."),
    scores: Path | None = typer.Option(None, "--scores", help="scores.csv: family_id,"
                                       "destination,score, as for `match`."),
    from_registry: bool = typer.Option(False, "--from-registry", help="Instead of the three "
                                       "files: the registry's waiting families dated by "
                                       "arrived_on, its active capacity offers and the "
                                       "latest model's scores (as `run create` sees them)."),
    since: str | None = typer.Option(None, "--since", metavar="YYYY-MM-DD", help="With "
                                     "--from-registry: families that arrived on or after."),
    until: str | None = typer.Option(None, "--until", metavar="YYYY-MM-DD", help="With "
                                     "--from-registry: families that arrived on or before."),
    key: str = typer.Option("canada-population", "--key", help="With --from-registry: the "
                            "distribution key of the fair-share gaps (as for `run create`)."),
    model: str | None = typer.Option(None, "--model", metavar="ID", help="With "
                                     "--from-registry: a model id, or 'default' (default: the "
                                     "latest added model, else the default scorer)."),
    periods: Path | None = typer.Option(None, "--periods", help="periods.csv: code,start,end,"
                                        "capacity (sub-quotas per period)."),
    carry_forward: bool = typer.Option(False, "--carry-forward/--no-carry-forward",
                                       help="Unused sub-quota carries to the next period."),
    policy: str = typer.Option("dual-prices", "--policy", help="myopic, greedy, dual-prices, "
                               "balancing, rotation or hindsight."),
    cadence: str = typer.Option("week", "--cadence", help="Batch length: day, week or month."),
    seed: int = typer.Option(0, "--seed", help="Seed of the sampled futures and of rotation."),
    samples: int | None = typer.Option(None, "--samples", help="dual-prices/balancing: sampled "
                                       "futures per price computation."),
    horizon: str | None = typer.Option(None, "--horizon", help="dual-prices/balancing: sample "
                                       "the future this far ahead (e.g. 183d); default: to the "
                                       "end of the stream."),
    every: int | None = typer.Option(None, "--every", help="Recompute the prices every k "
                                     "batches."),
    band: float | None = typer.Option(None, "--band", help="balancing: allowed gap to the "
                                      "target path (share of the annual target)."),
    targets: Path | None = typer.Option(None, "--targets", help="targets.csv: code,target "
                                        "(annual targets, e.g. fair shares); default: the "
                                        "capacity shares."),
    out: Path | None = typer.Option(None, "--out", help="Write the plan: family_id,"
                                    "destination,decided_on."),
    report: Path | None = typer.Option(None, "--report", help="Write an offline HTML report "
                                       "(fill curves, outcome against hindsight, balance)."),
    png: Path | None = typer.Option(None, "--png", help="Write the report's charts as PNG."),
    lang: str | None = typer.Option(None, "--lang", help="Report in 'en' or 'fr' (default: "
                                    "FAIRSHARE_LANG, else LC_ALL / LANG, else English)."),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Simulate a year of arrivals decided batch by batch, against the hindsight optimum.

    Each batch (the families that arrived in a day, week or month) is decided irrevocably at
    its end against the capacity left; the same input and seed give the same plan. With
    --format json only JSON is printed: {policy, persons_placed, outcome, hindsight_outcome,
    hindsight_fraction, max_balance_gap, batches, seconds}.
    """
    from rich.console import Console
    from rich.progress import Progress

    from fairshare.arrivals import simulate as run
    from fairshare.arrivals.io import read_targets, write_plan
    from fairshare.arrivals.options import make_options

    if fmt == OutputFormat.csv:
        raise InputError("--format: choose table or json for simulate (the plan goes to --out).")
    overrides: dict[str, Any] = {}
    for name, value in (("samples", samples), ("every", every), ("band", band),
                        ("horizon_days", _days(horizon))):
        if value is not None:
            overrides[name] = value
    console = Console(stderr=True)
    with console.status("Reading the stream..."):
        stream = _stream(families, destinations, scores, periods, carry_forward=carry_forward,
                         from_registry=from_registry, since=since, until=until, key=key,
                         model=model)
        if targets is not None:
            overrides["targets"] = read_targets(
                targets, {d.code for d in stream.problem.destinations})
    options = make_options(overrides)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"{policy}: batches", total=None)

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
    t = cli_text()
    fraction = (t("cli_not_available") if s["hindsight_fraction"] is None
                else t.percent(s["hindsight_fraction"], 2))
    caption = "\n".join([
        t("cli_sim_policy", policy=s["policy"], persons=t.number(s["persons_placed"]),
          outcome=t.number(s["outcome"], 3), fraction=fraction,
          hindsight=t.number(s["hindsight_outcome"] or 0, 3)),
        t("cli_sim_gap", gap=t.percent(s["max_balance_gap"], 2), envy=t.number(m.envy)),
        t("cli_sim_batches", batches=s["batches"], cadence=cadence,
          slowest=t.number(max(result.batch_seconds, default=0.0), 3),
          seconds=t.number(s["seconds"], 1)),
        *result.notes])
    render([{"destination": c, "persons": result.placements[c], "target": round(m.target[c]),
             "largest_gap": f"{max(m.gap[c], default=0.0):.2%}",
             "unacceptable": m.unacceptable[c]} for c in m.fill], fmt,
           title=t("cli_sim_title"), caption=caption,
           columns=["destination", "persons", "target", "largest_gap", "unacceptable"])


def _date_option(name: str, text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name}: {text!r} is not a date (YYYY-MM-DD).") from None


def _stream(families: Path | None, destinations: Path | None, scores: Path | None,
            periods: Path | None, *, carry_forward: bool, from_registry: bool,
            since: str | None, until: str | None, key: str, model: str | None) -> Stream:
    """The stream to simulate: the three files, or the registry (never both)."""
    files = {"--families": families, "--destinations": destinations, "--scores": scores}
    if from_registry:
        given = [name for name, path in files.items() if path is not None]
        if given or periods is not None:
            raise InputError(f"--from-registry reads the families, capacity and scores from "
                             f"the registry: leave out {', '.join(given) or '--periods'}.")
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
        raise InputError("--since, --until and --model apply to --from-registry only.")
    if families is None or destinations is None or scores is None:
        missing = [name for name, path in files.items() if path is None]
        raise InputError(f"Missing {', '.join(missing)}: give the three files of the stream, "
                         "or --from-registry.")
    from fairshare.arrivals.io import read_stream

    return read_stream(families, destinations, scores, periods, carry_forward=carry_forward)


@synth_app.command("arrivals")
def synth_arrivals(
    year: int = typer.Option(2024, "--year", help="Calendar year of the arrivals."),
    families: int = typer.Option(30000, "--families", min=1, help="Number of families."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same files)."),
    out: Path = typer.Option(..., "--out", help="Folder to write families.csv (with "
                             "arrived_on), destinations.csv, scores.csv [, periods.csv] into."),
    quarters: bool = typer.Option(False, "--quarters/--no-quarters", help="Also write "
                                  "quarterly sub-quotas (periods.csv)."),
    slack: float = typer.Option(1.10, "--slack", help="Pledges as a multiple of each "
                                "destination's population share of the persons."),
    monthly: str | None = typer.Option(None, "--monthly", help="Twelve comma-separated "
                                       "monthly weights (January to December); default: "
                                       "calendar-uniform."),
) -> None:
    """Write a synthetic year of arrivals for Canada (no real person) in the simulate formats."""
    from fairshare.arrivals import synth_stream
    from fairshare.arrivals.io import write_stream

    weights = None
    if monthly is not None:
        try:
            weights = [float(x) for x in monthly.split(",")]
        except ValueError:
            raise InputError(f"--monthly: {monthly!r} is not twelve numbers separated by "
                             "commas.") from None
    stream = synth_stream(families, seed, year=year, slack=slack, quarters=quarters,
                          monthly=weights)
    write_stream(out, stream)
    typer.echo(f"Wrote {len(stream.problem.families):,} families ({stream.problem.persons:,} "
               f"persons) arriving in {year}, {len(stream.problem.destinations)} destinations"
               f"{', quarterly sub-quotas' if stream.periods else ''} and scores to {out}.")
