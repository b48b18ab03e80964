"""``fairshare match`` and ``fairshare synth batch``: a thin shell over fairshare.matching."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from fairshare.cli import app, synth_app
from fairshare.cli.render import FORMAT_OPTION, OutputFormat, render
from fairshare.privatefs import write_private_text


@app.command("match")
def match(
    families: Path = typer.Option(..., "--families", help="families.csv: family_id,size,consent"
                                  " [,current,excluded,preferences,services,ties]."),
    destinations: Path = typer.Option(..., "--destinations", help="destinations.csv: code,"
                                      "capacity [,min,max,services,housing,shortfall]."),
    scores: Path | None = typer.Option(None, "--scores", help="scores.csv: family_id,"
                                       "destination,score (per-member outcome in [0, 1]). "
                                       "Without it the documented default scorer is used."),
    members: Path | None = typer.Option(None, "--members", help="members.csv: member_id,"
                                        "family_id [,birth_year,sex,languages,education,"
                                        "work_experience_years]; enables member-level scores "
                                        "(member_id,destination,score) and the default scorer "
                                        "per member."),
    policy: str = typer.Option("outcome", "--policy", help="Preset (outcome, balanced, "
                               "preference-first) or a policy YAML file."),
    solver: str = typer.Option("auto", "--solver", help="auto (exact for small batches, fast "
                               "for large ones), exact, fast, greedy, random, status-quo, "
                               "deferred-acceptance."),
    out: Path | None = typer.Option(None, "--out", help="Write the plan (family_id,destination)."),
    explain: Path | None = typer.Option(None, "--explain", help="Write per-family explanations "
                                        "(English and French) and the report as JSON."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random baseline."),
    factors: Path | None = typer.Option(None, "--factors", help="Principal factors of the "
                                        "predicted outcomes (from `fairshare outcomes predict "
                                        "--factors-out`): each explanation then names them."),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Propose where each consenting family goes, with a proven bound, and explain it.

    Among the plans that place the largest possible number of consenting persons, the outcome
    policy maximises the sum of predicted outcomes. Infeasible input gives a diagnosis naming
    the conflict (exit code 0, status 'infeasible'); malformed input exits with code 2.
    """
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
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Reading the batch", total=len(phases))

        def step(phase: str) -> None:
            bar.update(task, completed=phases.index(phase),
                       description=phase[:1].upper() + phase[1:])

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
    gap = "" if result.gap is None else f", gap {result.gap:.4%}"
    bound = "" if result.bound is None else f", bound {result.bound:,.3f}"
    caption = "\n".join([
        f"Status {result.status.value}: objective {result.objective:,.3f}{bound}{gap}.",
        f"Placed {result.persons_placed:,} of {result.persons_placeable:,} placeable persons.",
        *result.notes, *(f"Conflict: {d}" for d in result.diagnosis),
        *(f"Violation: {v}" for v in result.violations[:20]),
        f"Solver: {result.solver} ({result.solver_version}); policy {pol.id} "
        f"(valid from {pol.valid_from.isoformat()})."])
    render(result.report.get("destinations", []), fmt, title="Placements by destination",
           caption=caption, columns=["destination", "families", "persons", "capacity", "min",
                                     "max", "fill"])
    if fmt == OutputFormat.table:
        render(result.report.get("comparison", []), fmt, title="This plan against baselines",
               columns=["plan", "persons_placed", "total_outcome", "mean_outcome", "violations"])


@synth_app.command("batch")
def synth_batch(
    families: int = typer.Option(1000, "--families", min=1, help="Number of families."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same files)."),
    out: Path = typer.Option(..., "--out", help="Folder to write families.csv, "
                             "destinations.csv and scores.csv into."),
    floors: bool = typer.Option(True, "--floors/--no-floors", help="Minimum intakes at 80% of "
                                "each province's population share."),
) -> None:
    """Write a realistic synthetic batch for Canada (no real person) in the match formats."""
    from fairshare.matching.io import write_problem
    from fairshare.matching.synth import synth_batch as make

    problem = make(families, seed, floors=floors)
    write_problem(out, problem)
    typer.echo(f"Wrote {len(problem.families):,} families ({problem.persons:,} persons), "
               f"{len(problem.destinations)} destinations and their scores to {out}.")
