"""``fairshare models add|list|show``: trained outcome models as registry entities.

Thin shells over :mod:`fairshare.service.scoring_models` (docs/registry.md, "Models").
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from fairshare.cli.groups import app
from fairshare.cli.registry import BY_OPTION, _ctx, _db_errors
from fairshare.cli.render import FORMAT_OPTION, HELP, CliText, OutputFormat, cli_text, render

models_app = typer.Typer(help=HELP.t("cli_help_models"),
                         no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("add", help=HELP.t("cli_help_models_add"))
@_db_errors
def models_add(model_dir: Path = typer.Argument(..., metavar="MODEL_DIR",
                                                help=HELP.t("cli_help_models_add_model_dir")),
               name: str | None = typer.Option(None, "--name", help=HELP.t("cli_help_models_add_name")),
               by: str | None = BY_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.service import add_model

    info = add_model(_ctx(), path=model_dir, name=name, actor=by)
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(info.as_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(cli_text().t("cli_model_stored", id=info.id, name=info.name, sha=info.sha256[:16],
                          features=", ".join(info.features["predictors"])))


@models_app.command("list", help=HELP.t("cli_help_models_list"))
@_db_errors
def models_list(fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.service import list_models

    rows = [{"id": m.id, "name": m.name, "sha256": m.sha256, "added_at": m.added_at.isoformat(),
             "added_by": m.added_by, "features": ";".join(m.features["predictors"]),
             "data_sha256": m.data_sha256, "path": m.path} for m in list_models(_ctx())]
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    t = cli_text()
    render(rows, fmt, title=t("cli_title_models"),
           columns=["id", "name", "added_at", "added_by", "sha256", "features"],
           caption=t("cli_caption_models"))


@models_app.command("show", help=HELP.t("cli_help_models_show"))
@_db_errors
def models_show(model_id: str = typer.Argument(..., metavar="ID"),
                fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.service import show_model

    info = show_model(_ctx(), model_id=model_id)
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(info.as_dict(), ensure_ascii=False, indent=2))
        return
    metrics = info.card.get("metrics", {}).get("cross_validation", {})
    # CSV keeps the field names of before; a table names them in the reader's language.
    t = cli_text() if fmt is OutputFormat.table else CliText("en")
    rows = [{"field": "id", "value": info.id}, {"field": t("cli_model_field_name"), "value": info.name},
            {"field": t("cli_model_field_path"), "value": info.path},
            {"field": "sha256", "value": info.sha256},
            {"field": t("cli_model_field_data_sha256"), "value": info.data_sha256},
            {"field": t("cli_model_field_features"), "value": ", ".join(info.features["predictors"])},
            {"field": t("cli_model_field_destinations"),
             "value": ", ".join(info.features["destinations"])},
            {"field": t("cli_model_field_added"),
             "value": t("cli_model_added", at=f"{info.added_at:%Y-%m-%d %H:%M}", by=info.added_by)}]
    rows += [{"field": t("cli_model_field_cv_auc", outcome=k), "value": v.get("cv_auc")}
             for k, v in metrics.items()]
    render(rows, fmt, title=t("cli_title_model", id=info.id))
