"""Commands for the outcome model: synthetic history, train, evaluate, audit, predict."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from fairshare.cli import app, synth_app
from fairshare.cli.render import FORMAT_OPTION, OutputFormat, cli_text, render

outcomes_app = typer.Typer(help="Outcome model: train, evaluate, audit fairness, predict scores.",
                           no_args_is_help=True)
app.add_typer(outcomes_app, name="outcomes")

MODEL_OPTION = typer.Option(..., "--model", "-m", help="Model directory written by "
                            "`fairshare outcomes train`.")
DATA_OPTION = typer.Option(..., "--data", "-d", help="History CSV (format: docs/outcomes.md; "
                           "`fairshare synth history` writes one).")
TRUTH_OPTION = typer.Option("generative", "--truth", help="What the back-test counts as the true "
                            "outcome: 'generative' (the synthetic model's true probabilities) or "
                            "'model' (the model's own predictions, for real data).")
BOOT_OPTION = typer.Option(200, "--bootstrap", min=0, help="Bootstrap samples for the group "
                           "95% intervals (0: none).")
FAMILIES_OPTION = typer.Option(20000, "--max-families", min=10, help="Back-test at most this "
                               "many held-out families (seeded sample).")
SEED_OPTION = typer.Option(0, "--seed", help="Seed of the bootstrap, sample and random plan.")
FAIRLEARN_OPTION = typer.Option(False, "--fairlearn-bootstrap", help="Use fairlearn "
                                "MetricFrame's own n_boot for the intervals (much slower).")


@contextmanager
def _progress(label: str) -> Iterator[Callable[[str], None]]:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def step(text: str) -> None:
            bar.update(task, description=f"{label}: {text}")

        yield step


def _load_history(path: Path) -> Any:
    from fairshare.outcomes.dataio import read_csv
    from fairshare.outcomes.features import prepare

    return prepare(read_csv(path, what="History file"), source=str(path), outcomes=True)


@synth_app.command("history")
def synth_history(
    persons: int = typer.Option(..., "--persons", "-n", min=1, help="Number of adults (18-64)."),
    seed: int = typer.Option(..., "--seed", help="Random seed (same seed, same file)."),
    out: Path = typer.Option(..., "--out", "-o", help="CSV file to write."),
    generative: Path | None = typer.Option(None, "--generative", help="A generative model YAML "
                                           "(default: the shipped, documented one)."),
) -> None:
    """Write a synthetic history of placed claimants and their outcomes at one year."""
    from fairshare.outcomes.synth import generate_history, load_generative

    frame = generate_history(persons, seed, load_generative(generative))
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    typer.echo(f"Wrote {len(frame)} persons in {frame['family_id'].nunique()} families to {out}",
               err=True)


@outcomes_app.command("train")
def outcomes_train(
    data: Path = DATA_OPTION,
    out: Path = typer.Option(..., "--out", "-o", help="Directory for model.joblib and "
                             "model_card.json."),
    registry: Path | None = typer.Option(None, "--registry", help="Feature registry YAML "
                                         "(default: the shipped features.yaml)."),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Train one calibrated model per outcome (cross-validated) and save it with a model card."""
    from fairshare.outcomes.dataio import file_sha256
    from fairshare.outcomes.features import load_registry
    from fairshare.outcomes.train import save_model, train

    reg = load_registry(registry)
    frame = _load_history(data)
    with _progress("Training") as step:
        model = train(frame, registry=reg, data_hash=file_sha256(data), data_name=data.name,
                      progress=step)
        save_model(model, out)
    rows = [{"outcome": k, **v} for k, v in model.card["metrics"]["cross_validation"].items()]
    render(rows, fmt, title=f"Model {model.card['model_version']} saved to {out}",
           caption=f"Features: {', '.join(model.card['features'])}. Held out: "
                   f"{model.card['holdout']['rule']} ({model.card['data']['holdout_rows']} rows).")


def _evaluate(model_dir: Path, data: Path, *, truth: str, n_boot: int, max_families: int,
              seed: int, fairlearn_bootstrap: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    from fairshare.outcomes.evaluate import evaluate
    from fairshare.outcomes.train import load_model

    model = load_model(model_dir)
    frame = _load_history(data)
    with _progress("Evaluating") as step:
        step("metrics, groups and back-test")
        result = evaluate(model, frame, truth=truth, n_boot=n_boot, seed=seed,
                          max_families=max_families, fairlearn_bootstrap=fairlearn_bootstrap)
    return result, model.card


@outcomes_app.command("evaluate")
def outcomes_evaluate(
    model: Path = MODEL_OPTION, data: Path = DATA_OPTION, truth: str = TRUTH_OPTION,
    bootstrap: int = BOOT_OPTION, max_families: int = FAMILIES_OPTION, seed: int = SEED_OPTION,
    fairlearn_bootstrap: bool = FAIRLEARN_OPTION, fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Holdout AUC, Brier and calibration (overall and by group) and the GeoMatch-style back-test.

    With --format json: one JSON object with at least `auc` (employment, holdout) and
    `gain_vs_status_quo` (the back-test's relative gain: 0.30 means +30%).
    """
    result, _ = _evaluate(model, data, truth=truth, n_boot=bootstrap, max_families=max_families,
                          seed=seed, fairlearn_bootstrap=fairlearn_bootstrap)
    if OutputFormat(fmt) is OutputFormat.json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    rows = [{"outcome": o, **{k: v for k, v in e.items() if k != "calibration"}}
            for o, e in result["outcomes"].items()]
    bt = result.get("backtest", {})
    caption = (f"Back-test ({bt.get('cohort', {}).get('families')} families): optimised plan "
               f"{result['gain_vs_status_quo']:+.1%} vs status quo; groups worse off: "
               f"{', '.join(bt.get('groups_worse_off', [])) or 'none'}.") if bt else ""
    render(rows, fmt, title=f"Holdout: {result['holdout']['rule']}", caption=caption)


@outcomes_app.command("audit")
def outcomes_audit(
    model: Path = MODEL_OPTION, data: Path = DATA_OPTION,
    out: Path = typer.Option(Path("audit"), "--out", "-o", help="Directory for audit.html and "
                             "audit.json."),
    truth: str = TRUTH_OPTION, bootstrap: int = BOOT_OPTION,
    max_families: int = FAMILIES_OPTION, seed: int = SEED_OPTION,
    fairlearn_bootstrap: bool = FAIRLEARN_OPTION,
    lang: str | None = typer.Option(None, "--lang", help="Report in 'en' or 'fr' (default: "
                                    "FAIRSHARE_LANG, else LC_ALL / LANG, else English)."),
) -> None:
    """Fairness report (HTML with plots, opens offline, and JSON): metrics by group, back-test."""
    from fairshare.i18n import from_environment
    from fairshare.outcomes.report import write_report

    result, card = _evaluate(model, data, truth=truth, n_boot=bootstrap,
                             max_families=max_families, seed=seed,
                             fairlearn_bootstrap=fairlearn_bootstrap)
    paths = write_report(result, card, out, lang=lang or from_environment())
    t = cli_text()
    typer.echo(t("cli_wrote_two", first=paths["html"], second=paths["json"]))


@outcomes_app.command("predict")
def outcomes_predict(
    model: Path = MODEL_OPTION,
    members: Path = typer.Option(..., "--members", help="Members CSV: member_id (or person_id), "
                                 "family_id, age or birth_year, sex, english_level, "
                                 "french_level, education, occupation_group, region_of_origin, "
                                 "family_type."),
    out: Path = typer.Option(..., "--out", "-o", help="Family scores CSV "
                             "(family_id,destination,score) for `fairshare match --scores`."),
    family_score: str = typer.Option("per-person", "--family-score", help="'per-person' (default: "
                                     "the sum over members divided by the family size, in [0, 1]; "
                                     "`fairshare match` multiplies it by the size, so it optimises "
                                     "the SUM over members) or 'sum' (the raw sum)."),
    families: Path | None = typer.Option(None, "--families", help="The matching families.csv "
                                         "(family_id,size,...): sizes, children included, for "
                                         "--family-score per-person; default the members listed."),
    destinations: str | None = typer.Option(None, "--destinations", help="Comma-separated codes "
                                            "or a destinations CSV with a `code` column "
                                            "(default: every destination the model knows)."),
    outcome: str = typer.Option("employed_1y", "--outcome", help="employed_1y, retained_1y or "
                                "earnings_band (mid or high band)."),
    members_out: Path | None = typer.Option(None, "--members-out", help="Also write member-level "
                                            "scores (member_id,family_id,destination,score)."),
    factors_out: Path | None = typer.Option(None, "--factors-out", help="Also write each member's "
                                            "three principal factors in every destination."),
) -> None:
    """Predict member x destination probabilities and write family scores for matching.

    The family's outcome is the SUM over its members (never "at least one member employed").
    By default the file holds that sum divided by the family size (in [0, 1], as
    `fairshare match --scores` expects; the engine multiplies by the size again).
    """
    import pandas as pd

    from fairshare.csvsafe import escape_csv_cell
    from fairshare.outcomes.dataio import read_csv
    from fairshare.outcomes.features import prepare
    from fairshare.outcomes.predict import combine_family_scores, member_scores, principal_factors
    from fairshare.outcomes.train import load_model

    fitted = load_model(model)
    frame = prepare(read_csv(members, what="Members file"), source=str(members),
                    outcomes=False, need_destination=False)
    dests: list[str] | None = None
    if destinations:
        if Path(destinations).is_file():
            table = read_csv(destinations, what="Destinations file")
            if "code" not in table.columns:
                from fairshare.errors import InputError

                raise InputError(f"Destinations file {destinations} needs a 'code' column.")
            dests = sorted(table["code"].astype(str).str.strip())
        else:
            dests = sorted(d.strip() for d in destinations.split(",") if d.strip())
    raw = read_csv(members, what="Members file").rename(columns={"member_id": "person_id"})
    listed = raw.groupby("family_id")["person_id"].nunique().to_dict()  # children included
    sizes: dict[str, int] = {str(k): int(v) for k, v in listed.items()}
    if families:
        fam_table = read_csv(families, what="Families file")
        if not {"family_id", "size"} <= set(fam_table.columns):
            from fairshare.errors import InputError

            raise InputError(f"Families file {families} needs columns family_id and size.")
        sizes.update({str(f): int(s) for f, s in zip(fam_table["family_id"], fam_table["size"],
                                                     strict=True)})
    per_member = member_scores(fitted, frame, dests, outcome=outcome)
    scores = combine_family_scores(per_member, how=family_score, sizes=sizes)

    def write(df: pd.DataFrame, path: Path) -> None:
        from fairshare.privatefs import write_private_text

        write_private_text(path, df.map(escape_csv_cell).to_csv(index=False))

    write(scores, out)
    if members_out:
        write(per_member, members_out)
    if factors_out:
        parts = [principal_factors(fitted, frame, d, outcome=outcome)
                 for d in (dests or list(fitted.destinations))]
        write(pd.concat(parts, ignore_index=True), factors_out)
    typer.echo(f"Wrote {len(scores)} family x destination scores ({family_score}) to {out}",
               err=True)
