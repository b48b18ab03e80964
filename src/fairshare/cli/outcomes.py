"""Commands for the outcome model: synthetic history, train, evaluate, audit, predict."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from fairshare.cli.groups import app, synth_app
from fairshare.cli.render import FORMAT_OPTION, HELP, OutputFormat, cli_text, render
from fairshare.i18n import msg

outcomes_app = typer.Typer(help=HELP.t("cli_help_outcomes"),
                           no_args_is_help=True)
app.add_typer(outcomes_app, name="outcomes")

MODEL_OPTION = typer.Option(..., "--model", "-m", help=HELP.t("cli_opt_outcomes_model"))
DATA_OPTION = typer.Option(..., "--data", "-d", help=HELP.t("cli_opt_outcomes_data"))
TRUTH_OPTION = typer.Option("generative", "--truth", help=HELP.t("cli_opt_outcomes_truth"))
BOOT_OPTION = typer.Option(200, "--bootstrap", min=0, help=HELP.t("cli_opt_outcomes_boot"))
FAMILIES_OPTION = typer.Option(20000, "--max-families", min=10, help=HELP.t("cli_opt_outcomes_families"))
SEED_OPTION = typer.Option(0, "--seed", help=HELP.t("cli_opt_outcomes_seed"))
FAIRLEARN_OPTION = typer.Option(False, "--fairlearn-bootstrap", help=HELP.t("cli_opt_outcomes_fairlearn"))


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

    return prepare(read_csv(path, what=msg("file_kind_history")), source=str(path), outcomes=True)


@synth_app.command("history", help=HELP.t("cli_help_synth_history"))
def synth_history(
    persons: int = typer.Option(..., "--persons", "-n", min=1, help=HELP.t("cli_help_synth_history_persons")),
    seed: int = typer.Option(..., "--seed", help=HELP.t("cli_help_synth_history_seed")),
    out: Path = typer.Option(..., "--out", "-o", help=HELP.t("cli_help_synth_history_out")),
    generative: Path | None = typer.Option(None, "--generative",
                                           help=HELP.t("cli_help_synth_history_generative")),
) -> None:
    from fairshare.outcomes.synth import generate_history, load_generative

    frame = generate_history(persons, seed, load_generative(generative))
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    t = cli_text()
    typer.echo(t("cli_wrote_history", persons=t.count(len(frame)),
                 families=t.count(frame["family_id"].nunique()), out=out), err=True)


@outcomes_app.command("train", help=HELP.t("cli_help_outcomes_train"))
def outcomes_train(
    data: Path = DATA_OPTION,
    out: Path = typer.Option(..., "--out", "-o", help=HELP.t("cli_help_outcomes_train_out")),
    registry: Path | None = typer.Option(None, "--registry", help=HELP.t("cli_help_outcomes_train_registry")),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    from fairshare.outcomes.dataio import file_sha256
    from fairshare.outcomes.features import load_registry
    from fairshare.outcomes.train import save_model, train

    reg = load_registry(registry)
    frame = _load_history(data)
    t = cli_text()
    with _progress(t("cli_progress_training")) as step:
        model = train(frame, registry=reg, data_hash=file_sha256(data), data_name=data.name,
                      progress=step)
        save_model(model, out)
    rows = [{"outcome": k, **v} for k, v in model.card["metrics"]["cross_validation"].items()]
    render(rows, fmt, title=t("cli_title_model_saved", version=model.card["model_version"], out=out),
           caption=t("cli_caption_model_saved", features=", ".join(model.card["features"]),
                     rule=model.card["holdout"]["rule"],
                     rows=t.count(model.card["data"]["holdout_rows"])))


def _evaluate(model_dir: Path, data: Path, *, truth: str, n_boot: int, max_families: int,
              seed: int, fairlearn_bootstrap: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    from fairshare.outcomes.evaluate import evaluate
    from fairshare.outcomes.train import load_model

    model = load_model(model_dir)
    frame = _load_history(data)
    t = cli_text()
    with _progress(t("cli_progress_evaluating")) as step:
        step(t("cli_progress_evaluating_step"))
        result = evaluate(model, frame, truth=truth, n_boot=n_boot, seed=seed,
                          max_families=max_families, fairlearn_bootstrap=fairlearn_bootstrap)
    return result, model.card


@outcomes_app.command("evaluate", help=HELP.t("cli_help_outcomes_evaluate"))
def outcomes_evaluate(
    model: Path = MODEL_OPTION, data: Path = DATA_OPTION, truth: str = TRUTH_OPTION,
    bootstrap: int = BOOT_OPTION, max_families: int = FAMILIES_OPTION, seed: int = SEED_OPTION,
    fairlearn_bootstrap: bool = FAIRLEARN_OPTION, fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    result, _ = _evaluate(model, data, truth=truth, n_boot=bootstrap, max_families=max_families,
                          seed=seed, fairlearn_bootstrap=fairlearn_bootstrap)
    if OutputFormat(fmt) is OutputFormat.json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    rows = [{"outcome": o, **{k: v for k, v in e.items() if k != "calibration"}}
            for o, e in result["outcomes"].items()]
    bt = result.get("backtest", {})
    t = cli_text()
    gain = result["gain_vs_status_quo"]
    caption = t("cli_caption_backtest", families=bt.get("cohort", {}).get("families"),
                gain=("+" if gain is not None and gain >= 0 else "") + t.percent(gain, 1),
                groups=", ".join(bt.get("groups_worse_off", [])) or t("cli_none")) if bt else ""
    render(rows, fmt, title=t("cli_title_holdout", rule=result["holdout"]["rule"]),
           caption=caption)


@outcomes_app.command("audit", help=HELP.t("cli_help_outcomes_audit"))
def outcomes_audit(
    model: Path = MODEL_OPTION, data: Path = DATA_OPTION,
    out: Path = typer.Option(Path("audit"), "--out", "-o", help=HELP.t("cli_help_outcomes_audit_out")),
    truth: str = TRUTH_OPTION, bootstrap: int = BOOT_OPTION,
    max_families: int = FAMILIES_OPTION, seed: int = SEED_OPTION,
    fairlearn_bootstrap: bool = FAIRLEARN_OPTION,
    lang: str | None = typer.Option(None, "--lang", help=HELP.t("cli_help_outcomes_audit_lang")),
) -> None:
    from fairshare.i18n import from_environment
    from fairshare.outcomes.report import write_report

    result, card = _evaluate(model, data, truth=truth, n_boot=bootstrap,
                             max_families=max_families, seed=seed,
                             fairlearn_bootstrap=fairlearn_bootstrap)
    paths = write_report(result, card, out, lang=lang or from_environment())
    t = cli_text()
    typer.echo(t("cli_wrote_two", first=paths["html"], second=paths["json"]))


@outcomes_app.command("predict", help=HELP.t("cli_help_outcomes_predict"))
def outcomes_predict(
    model: Path = MODEL_OPTION,
    members: Path = typer.Option(..., "--members", help=HELP.t("cli_help_outcomes_predict_members")),
    out: Path = typer.Option(..., "--out", "-o", help=HELP.t("cli_help_outcomes_predict_out")),
    family_score: str = typer.Option("per-person", "--family-score",
                                     help=HELP.t("cli_help_outcomes_predict_family_score")),
    families: Path | None = typer.Option(None, "--families",
                                         help=HELP.t("cli_help_outcomes_predict_families")),
    destinations: str | None = typer.Option(None, "--destinations",
                                            help=HELP.t("cli_help_outcomes_predict_destinations")),
    outcome: str = typer.Option("employed_1y", "--outcome", help=HELP.t("cli_help_outcomes_predict_outcome")),
    members_out: Path | None = typer.Option(None, "--members-out",
                                            help=HELP.t("cli_help_outcomes_predict_members_out")),
    factors_out: Path | None = typer.Option(None, "--factors-out",
                                            help=HELP.t("cli_help_outcomes_predict_factors_out")),
) -> None:
    import pandas as pd

    from fairshare.csvsafe import escape_csv_cell
    from fairshare.outcomes.dataio import read_csv
    from fairshare.outcomes.features import prepare
    from fairshare.outcomes.predict import combine_family_scores, member_scores, principal_factors
    from fairshare.outcomes.train import load_model

    fitted = load_model(model)
    frame = prepare(read_csv(members, what=msg("file_kind_members")), source=str(members),
                    outcomes=False, need_destination=False)
    dests: list[str] | None = None
    if destinations:
        if Path(destinations).is_file():
            table = read_csv(destinations, what=msg("file_kind_destinations"))
            if "code" not in table.columns:
                from fairshare.errors import InputError

                raise InputError(msg("outcomes_destinations_code", where=destinations))
            dests = sorted(table["code"].astype(str).str.strip())
        else:
            dests = sorted(d.strip() for d in destinations.split(",") if d.strip())
    raw = read_csv(members, what=msg("file_kind_members")).rename(columns={"member_id": "person_id"})
    listed = raw.groupby("family_id")["person_id"].nunique().to_dict()  # children included
    sizes: dict[str, int] = {str(k): int(v) for k, v in listed.items()}
    if families:
        fam_table = read_csv(families, what=msg("file_kind_families"))
        if not {"family_id", "size"} <= set(fam_table.columns):
            from fairshare.errors import InputError

            raise InputError(msg("outcomes_families_columns", where=families))
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
    t = cli_text()
    typer.echo(t("cli_wrote_scores", scores=t.count(len(scores)), how=family_score, out=out),
               err=True)
