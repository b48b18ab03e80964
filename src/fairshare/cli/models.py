"""``fairshare models add|list|show``: trained outcome models as registry entities.

Thin shells over :mod:`fairshare.service.scoring_models` (docs/registry.md, "Models").
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from fairshare.cli import app
from fairshare.cli.registry import BY_OPTION, _ctx, _db_errors
from fairshare.cli.render import FORMAT_OPTION, OutputFormat, render

models_app = typer.Typer(help="Trained outcome models stored in the registry (add, list, show).",
                         no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("add")
@_db_errors
def models_add(model_dir: Path = typer.Argument(..., metavar="MODEL_DIR",
                                                help="A directory written by `fairshare "
                                                     "outcomes train`."),
               name: str | None = typer.Option(None, "--name", help="A name (default: the "
                                               "directory's name)."),
               by: str | None = BY_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:
    """Check a trained model (bytes against its card, features the registry can supply) and
    store it; later runs use the latest added model unless `run create --model` says another."""
    from fairshare.service import add_model

    info = add_model(_ctx(), path=model_dir, name=name, actor=by)
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(info.as_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(f"Model {info.id} ({info.name}) stored: SHA-256 {info.sha256[:16]}, features "
               f"{', '.join(info.features['predictors'])}.")


@models_app.command("list")
@_db_errors
def models_list(fmt: OutputFormat = FORMAT_OPTION) -> None:
    """Every stored model, newest first (the first is what runs use by default)."""
    from fairshare.service import list_models

    rows = [{"id": m.id, "name": m.name, "sha256": m.sha256, "added_at": m.added_at.isoformat(),
             "added_by": m.added_by, "features": ";".join(m.features["predictors"]),
             "data_sha256": m.data_sha256, "path": m.path} for m in list_models(_ctx())]
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    render(rows, fmt, title="Outcome models",
           columns=["id", "name", "added_at", "added_by", "sha256", "features"],
           caption="Runs use the newest model unless `run create --model ID` (or 'default' "
                   "for the default scorer) says otherwise.")


@models_app.command("show")
@_db_errors
def models_show(model_id: str = typer.Argument(..., metavar="ID"),
                fmt: OutputFormat = FORMAT_OPTION) -> None:
    """One model: its hash, feature schema, training data hash and model card."""
    from fairshare.service import show_model

    info = show_model(_ctx(), model_id=model_id)
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(info.as_dict(), ensure_ascii=False, indent=2))
        return
    metrics = info.card.get("metrics", {}).get("cross_validation", {})
    rows = [{"field": "id", "value": info.id}, {"field": "name", "value": info.name},
            {"field": "path", "value": info.path}, {"field": "sha256", "value": info.sha256},
            {"field": "training data sha256", "value": info.data_sha256},
            {"field": "features", "value": ", ".join(info.features["predictors"])},
            {"field": "destinations", "value": ", ".join(info.features["destinations"])},
            {"field": "added", "value": f"{info.added_at:%Y-%m-%d %H:%M} UTC by {info.added_by}"}]
    rows += [{"field": f"cv AUC {k}", "value": v.get("cv_auc")} for k, v in metrics.items()]
    render(rows, fmt, title=f"Model {info.id}")
