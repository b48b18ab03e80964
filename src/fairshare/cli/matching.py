"""``fairshare match`` and ``fairshare synth batch``: a thin shell over fairshare.matching."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from fairshare.cli.groups import app, synth_app
from fairshare.cli.render import FORMAT_OPTION, HELP, OutputFormat, cli_text, render
from fairshare.i18n import N_
from fairshare.privatefs import write_private_text

# The phases `solve` reports, as the progress bar names them.
PHASES = {"reading the batch": N_("cli_phase_reading_batch"), "checking": N_("cli_phase_checking"),
          "solving": N_("cli_phase_solving"), "checking the plan": N_("cli_phase_checking_plan"),
          "explaining": N_("cli_phase_explaining"),
          "comparing with baselines": N_("cli_phase_comparing"), "writing": N_("cli_phase_writing")}


@app.command("match", help=HELP.t("cli_help_match"))
def match(
    families: Path = typer.Option(..., "--families", help=HELP.t("cli_help_match_families")),
    destinations: Path = typer.Option(..., "--destinations", help=HELP.t("cli_help_match_destinations")),
    scores: Path | None = typer.Option(None, "--scores", help=HELP.t("cli_help_match_scores")),
    members: Path | None = typer.Option(None, "--members", help=HELP.t("cli_help_match_members")),
    policy: str = typer.Option("outcome", "--policy", help=HELP.t("cli_help_match_policy")),
    solver: str = typer.Option("auto", "--solver", help=HELP.t("cli_help_match_solver")),
    out: Path | None = typer.Option(None, "--out", help=HELP.t("cli_help_match_out")),
    explain: Path | None = typer.Option(None, "--explain", help=HELP.t("cli_help_match_explain")),
    seed: int = typer.Option(0, "--seed", help=HELP.t("cli_help_match_seed")),
    factors: Path | None = typer.Option(None, "--factors", help=HELP.t("cli_help_match_factors")),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from fairshare.matching import load_policy, solve
    from fairshare.matching.io import read_problem, write_plan

    pol = load_policy(policy)
    factor_table = None
    if factors is not None:
        from fairshare.matching.factors import read_factors

        factor_table = read_factors(factors)
    phases = ["reading the batch", "checking", "solving", "checking the plan",
              *(["explaining"] if explain is not None else []), "comparing with baselines",
              "writing"]
    t = cli_text()
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(t(PHASES[phases[0]]), total=len(phases))

        def step(phase: str) -> None:
            bar.update(task, completed=phases.index(phase), description=t(PHASES[phase]))

        problem = read_problem(families, destinations, scores, members)
        result = solve(problem, pol, solver=solver, explain=explain is not None, report=True,
                       progress=step)
        step("writing")
        explanations = result.explanations
        if factor_table is not None:
            from fairshare.matching.factors import attach_factors

            explanations = attach_factors(explanations, factor_table)
        if out is not None:
            write_plan(out, result.assignment)
        if explain is not None:
            write_private_text(explain, json.dumps(
                {"summary": result.summary(), "report": result.report,
                 "explanations": explanations}, ensure_ascii=False, indent=2, default=str))
        bar.update(task, completed=len(phases))
    if fmt == OutputFormat.json:
        payload: dict[str, Any] = {**result.summary(), "report": result.report,
                                   "assignment": result.assignment}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
        return
    gap = "" if result.gap is None else t("cli_match_gap", gap=t.percent(result.gap, 4))
    bound = "" if result.bound is None else t("cli_match_bound", bound=t.number(result.bound, 3))
    caption = "\n".join([
        t("cli_match_status", status=t.label("cli_run_status_", result.status.value),
          objective=t.number(result.objective, 3), bound=bound, gap=gap),
        t("cli_match_placed", placed=t.number(result.persons_placed),
          placeable=t.number(result.persons_placeable)),
        *(t(n) for n in result.notes),
        *(t("cli_match_conflict", conflict=t(d)) for d in result.diagnosis),
        *(t("cli_match_violation", violation=t(v)) for v in result.violations[:20]),
        t("cli_match_solver", solver=result.solver, version=result.solver_version,
          policy=pol.id, valid_from=pol.valid_from.isoformat())])
    render(result.report.get("destinations", []), fmt, title=t("cli_title_placements"),
           caption=caption, columns=["destination", "families", "persons", "capacity", "min",
                                     "max", "fill"])
    if fmt == OutputFormat.table:
        from fairshare.matching.report import plan_name

        render([{**row, "plan": t(plan_name(row["plan"]))}
                for row in result.report.get("comparison", [])], fmt, title=t("cli_title_baselines"),
               columns=["plan", "persons_placed", "total_outcome", "mean_outcome", "violations"])


@synth_app.command("batch", help=HELP.t("cli_help_synth_batch"))
def synth_batch(
    families: int = typer.Option(1000, "--families", min=1, help=HELP.t("cli_help_synth_batch_families")),
    seed: int = typer.Option(0, "--seed", help=HELP.t("cli_help_synth_batch_seed")),
    out: Path = typer.Option(..., "--out", help=HELP.t("cli_help_synth_batch_out")),
    floors: bool = typer.Option(True, "--floors/--no-floors", help=HELP.t("cli_help_synth_batch_floors")),
) -> None:
    from fairshare.matching.io import write_problem
    from fairshare.matching.synth import synth_batch as make

    problem = make(families, seed, floors=floors)
    write_problem(out, problem)
    t = cli_text()
    typer.echo(t("cli_wrote_batch", families=t.number(len(problem.families)),
                 persons=t.number(problem.persons), destinations=len(problem.destinations),
                 out=out))
