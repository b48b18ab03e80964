"""Registry commands: init, status, agreements, import, export, consent, capacity, run, explain,
decide, reopen, assign, transfers, audit, purge; ``synth agreement|claimants|capacity``. Thin shells over
:mod:`fairshare.service` (docs/registry.md)."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec

import typer

from fairshare.cli.groups import app, synth_app
from fairshare.cli.render import FORMAT_OPTION, HELP, CliText, OutputFormat, cli_text, render
from fairshare.errors import InputError, StoreError
from fairshare.i18n import N_, from_json, msg

if TYPE_CHECKING:
    from fairshare.service import Context

agreements_app = typer.Typer(help=HELP.t("cli_help_agreements"),
                             no_args_is_help=True)
import_app = typer.Typer(help=HELP.t("cli_help_import"), no_args_is_help=True)
export_app = typer.Typer(help=HELP.t("cli_help_export"),
                         no_args_is_help=True)
consent_app = typer.Typer(help=HELP.t("cli_help_consent"), no_args_is_help=True)
capacity_app = typer.Typer(help=HELP.t("cli_help_capacity"),
                           no_args_is_help=True)
run_app = typer.Typer(help=HELP.t("cli_help_run"),
                      no_args_is_help=True)
transfers_app = typer.Typer(help=HELP.t("cli_help_transfers"), no_args_is_help=True)
audit_app = typer.Typer(help=HELP.t("cli_help_audit"), no_args_is_help=True)
for _name, _group in (("agreements", agreements_app), ("import", import_app),
                      ("export", export_app), ("consent", consent_app),
                      ("capacity", capacity_app), ("run", run_app),
                      ("transfers", transfers_app), ("audit", audit_app)):
    app.add_typer(_group, name=_name)

P = ParamSpec("P")
BY_OPTION = typer.Option(None, "--by", help=HELP.t("cli_opt_registry_by"))


def _db_errors(func: Callable[P, None]) -> Callable[P, None]:
    """Turn database failures (unreachable server, database never initialised) into clear
    errors (exit 2) instead of tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        from sqlalchemy.exc import OperationalError, ProgrammingError

        try:
            func(*args, **kwargs)
        except (OperationalError, ProgrammingError) as exc:
            text = str(exc.orig) if exc.orig is not None else str(exc)
            if "no such table" in text or "does not exist" in text:
                raise StoreError(msg("cli_err_db_not_initialised", database=where())) from None
            raise StoreError(msg("cli_err_db_unusable", database=where(),
                                 problem=text.splitlines()[0][:200])) from None

    return wrapper


def where() -> str:
    """The database the environment points at, and the FAIRSHARE_HOME it came from."""
    from sqlalchemy.engine import make_url

    from fairshare.service.settings import Settings

    settings = Settings.from_env()
    url = make_url(settings.database_url).render_as_string(hide_password=True)
    return f"{url} (FAIRSHARE_HOME={settings.home})"


def _ctx(*, create: bool = False) -> Context:
    """The service context; unless ``create``, refuses a SQLite file that does not exist (instead
    of creating an empty database where the user did not mean to look)."""
    from sqlalchemy.engine import make_url

    from fairshare.service import open_context
    from fairshare.service.settings import Settings

    settings = Settings.from_env()
    url = make_url(settings.database_url)
    sqlite_file = url.database if url.get_backend_name() == "sqlite" else None
    if not create and sqlite_file not in (None, "", ":memory:") and not Path(str(sqlite_file)).is_file():
        raise StoreError(msg("cli_err_db_missing", file=sqlite_file, home=settings.home))
    return open_context(settings)


def _json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@app.command("init", help=HELP.t("cli_help_init"))
@_db_errors
def init_cmd(demo: bool = typer.Option(False, "--demo", help=HELP.t("cli_help_init_demo")),
             families: int = typer.Option(40, "--families", min=1, max=5000,
                                          help=HELP.t("cli_help_init_families")),
             app_role: str | None = typer.Option(
                 None, "--app-role", metavar="ROLE",
                 help=HELP.t("cli_help_init_app_role")),
             by: str | None = BY_OPTION) -> None:
    from fairshare.service import init_database, seed_demo

    ctx = _ctx(create=True)
    if app_role is not None and ctx.engine.dialect.name != "postgresql":
        raise InputError(msg("cli_err_app_role_sqlite"))
    report = init_database(ctx, actor=by)
    t = cli_text()
    typer.echo(t("cli_database_ready", database=report.database, revision=report.revision))
    if app_role is not None:
        from fairshare.service.setup import grant_app_role

        grant_app_role(ctx, app_role, actor=by)
        typer.echo(t("cli_app_role", role=app_role))
    if demo:
        result = seed_demo(ctx, families=families, actor=by)
        from fairshare.service import list_models

        latest = next(iter(list_models(ctx)), None)
        values = {"agreement": result.agreement_id, "claimants": t.count(result.new_claimants),
                  "families": t.count(result.new_families)}
        typer.echo(t("cli_demo_seeded_model", **values, model=latest.id, name=latest.name)
                   if latest else t("cli_demo_seeded", **values))


@app.command("status", help=HELP.t("cli_help_status"))
@_db_errors
def status_cmd(fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.service import status

    ctx = _ctx()
    report = status(ctx)
    home = str(ctx.settings.home)
    if fmt is OutputFormat.json:
        _json({"home": home, "database": report.database, "revision": report.revision,
               "counts": report.counts, **report.counts})
        return
    t = cli_text()
    if fmt is OutputFormat.table:
        typer.echo(t("cli_status_where", home=home, database=report.database,
                     revision=report.revision))
    table = fmt is OutputFormat.table
    render([{"entity": t.label("cli_entity_", k) if table else k, "count": v}
            for k, v in report.counts.items()], fmt,
           title=t("cli_title_registry"))


# What `status` counts (service.status), as a table names it (CSV and JSON keep the names).
ENTITIES = (N_("cli_entity_claimants"), N_("cli_entity_families"), N_("cli_entity_consents"),
            N_("cli_entity_runs"), N_("cli_entity_recommendations"), N_("cli_entity_decisions"),
            N_("cli_entity_transfers"), N_("cli_entity_audit_entries"))


@agreements_app.command("add", help=HELP.t("cli_help_agreements_add"))
@_db_errors
def agreements_add(file: Path = typer.Argument(..., help=HELP.t("cli_help_agreements_add_file")),
                   by: str | None = BY_OPTION) -> None:
    from fairshare.service import add_agreement

    info = add_agreement(_ctx(), path=file, actor=by)
    t = cli_text()
    state = t("i14_active") if info.active else t.label("i14_", info.status)
    typer.echo(t("cli_agreement_stored", id=info.id, status=state, start=info.valid_from,
                 end=info.expires_on, fields=t.count(len(info.fields))))


@agreements_app.command("list", help=HELP.t("cli_help_agreements_list"))
@_db_errors
def agreements_list(fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.service import list_agreements

    rows = [a.as_dict() for a in list_agreements(_ctx())]
    if fmt is OutputFormat.json:
        _json(rows)
        return
    t = cli_text()
    if fmt is OutputFormat.table:  # CSV keeps the status codes
        for row in rows:
            row["status"] = t.label("i14_", row["status"])
    render(rows, fmt, title=t("cli_title_agreements"),
           columns=["id", "status", "active", "purpose", "valid_from", "expires_on",
                    "retention_days", "title"])


@agreements_app.command("revoke", help=HELP.t("cli_help_agreements_revoke"))
@_db_errors
def agreements_revoke(agreement_id: str = typer.Argument(..., metavar="ID"),
                      by: str | None = BY_OPTION) -> None:
    from fairshare.service import revoke_agreement

    info = revoke_agreement(_ctx(), agreement_id=agreement_id, actor=by)
    t = cli_text()
    typer.echo(t("cli_agreement_status", id=info.id, status=t.label("i14_", info.status)))


@import_app.command("claimants", help=HELP.t("cli_help_import_claimants"))
@_db_errors
def import_claimants_cmd(file: Path = typer.Argument(..., help=HELP.t("cli_help_import_claimants_file")),
                         agreement: str = typer.Option(..., "--agreement", metavar="ID",
                                                       help=HELP.t("cli_help_import_claimants_agreement")),
                         by: str | None = BY_OPTION) -> None:
    from rich.console import Console
    from rich.progress import Progress

    from fairshare.service import import_claimants

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(cli_text().t("cli_progress_importing"), total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = import_claimants(_ctx(), path=file, agreement_id=agreement, actor=by,
                                  progress=progress)
    t = cli_text()
    if result.already_imported:
        typer.echo(t("cli_batch_already_imported", file=file, batch=result.batch_id))
        return
    typer.echo(t("cli_batch_imported", batch=result.batch_id, rows=t.count(result.rows),
                 claimants=t.count(result.new_claimants), families=t.count(result.new_families),
                 present=t.count(result.already_present)))


@export_app.command("claimants", help=HELP.t("cli_help_export_claimants"))
@_db_errors
def export_claimants_cmd(agreement: str = typer.Option(..., "--agreement", metavar="ID"),
                         out: Path = typer.Option(..., "--out", help=HELP.t("cli_help_export_claimants_out")),
                         current: str | None = typer.Option(
                             None, "--current", metavar="CODE",
                             help=HELP.t("cli_help_export_claimants_current")),
                         by: str | None = BY_OPTION) -> None:
    from fairshare.service import export_claimants

    result = export_claimants(_ctx(), agreement_id=agreement, out=out, current=current, actor=by)
    t = cli_text()
    typer.echo(t("cli_exported", rows=t.count(result.rows), fields=t.count(len(result.columns)),
                 path=result.path))


def _consent(subject: str, state: str, agreement: str | None, version: str | None,
             by: str | None) -> None:
    from fairshare.service import change_consent

    result = change_consent(_ctx(), subject=subject, state=state, agreement_id=agreement,
                            text_version=version, actor=by)
    t = cli_text()
    typer.echo(t("cli_consent_changed", state=t.label("cli_consent_", result.state),
                 claimants=t.count(len(result.claimant_ids)), families=", ".join(result.family_ids),
                 withdrawn=t.count(result.withdrawn_recommendations)))


CONSENT_STATES = (N_("cli_consent_given"), N_("cli_consent_withdrawn"))


AGREEMENT_ID_OPTION = typer.Option(None, "--agreement", metavar="ID",
                                   help=HELP.t("cli_opt_registry_agreement_id"))


@consent_app.command("withdraw", help=HELP.t("cli_help_consent_withdraw"))
@_db_errors
def consent_withdraw(subject: str = typer.Argument(..., metavar="ID",
                                                   help=HELP.t("cli_help_consent_withdraw_subject")),
                     agreement: str | None = AGREEMENT_ID_OPTION,
                     by: str | None = BY_OPTION) -> None:
    _consent(subject, "withdrawn", agreement, None, by)


@consent_app.command("give", help=HELP.t("cli_help_consent_give"))
@_db_errors
def consent_give(subject: str = typer.Argument(..., metavar="ID"),
                 text_version: str = typer.Option(..., "--text-version",
                                                  help=HELP.t("cli_help_consent_give_text_version")),
                 agreement: str | None = AGREEMENT_ID_OPTION,
                 by: str | None = BY_OPTION) -> None:
    _consent(subject, "given", agreement, text_version, by)


@capacity_app.command("add", help=HELP.t("cli_help_capacity_add"))
@_db_errors
def capacity_add(file: Path = typer.Argument(..., help=HELP.t("cli_help_capacity_add_file")),
                 by: str | None = BY_OPTION) -> None:
    from fairshare.service import add_capacity

    offers = add_capacity(_ctx(), path=file, actor=by)
    t = cli_text()
    typer.echo(t("cli_capacity_added", offers=t.count(len(offers)),
                 places=t.count(sum(o.remaining for o in offers if o.active))))


@capacity_app.command("list", help=HELP.t("cli_help_capacity_list"))
@_db_errors
def capacity_list(fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.service import list_capacity

    render([o.as_dict() for o in list_capacity(_ctx())], fmt,
           title=cli_text().t("cli_title_capacity"),
           columns=["id", "code", "period", "persons", "used", "remaining", "expires_on",
                    "active"])


@run_app.command("create", help=HELP.t("cli_help_run_create"))
@_db_errors
def run_create(policy: str = typer.Option(..., "--policy", help=HELP.t("cli_help_run_create_policy")),
               key: str = typer.Option(..., "--key", help=HELP.t("cli_help_run_create_key")),
               solver: str = typer.Option("auto", "--solver"),
               model: str | None = typer.Option(None, "--model", metavar="ID",
                                                help=HELP.t("cli_help_run_create_model")),
               online: bool = typer.Option(False, "--online", help=HELP.t("cli_help_run_create_online")),
               by: str | None = BY_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from fairshare.service import create_run
    from fairshare.service.runs import step_label

    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(cli_text().t("cli_progress_checking_request"), total=100)

        def progress(step: str, fraction: float) -> None:
            bar.update(task, description=step_label(step), completed=round(100 * fraction))

        detail = create_run(_ctx(), policy=policy, key=key, solver=solver, actor=by,
                            model=model, online=online, progress=progress)
    if fmt is OutputFormat.json:
        _json({**detail.run.as_dict(), "model": detail.model})
        return
    r = detail.run
    t = cli_text()
    typer.echo(t("cli_run_created", id=r.id, families=t.count(r.families),
                 placed=t.count(r.placed), status=t.label("cli_run_status_", r.status),
                 solver=r.solver, model=detail.model["id"], input=r.input_sha256[:12],
                 plan=r.plan_sha256[:12]))
    if r.versions.get("prices"):
        typer.echo(t("cli_run_online", prices=r.versions["prices"]))
    for note in r.versions.get("notes", []):
        typer.echo(t("cli_warning", note=t(from_json(note))), err=True)


# A run's status and a recommendation's, as the CLI prints them (English: the codes themselves).
STATUS_WORDS = (N_("cli_run_status_optimal"), N_("cli_run_status_feasible"),
                N_("cli_run_status_heuristic"), N_("cli_run_status_infeasible"),
                N_("cli_run_status_empty"), N_("cli_run_status_manual"),
                N_("cli_rec_status_pending"), N_("cli_rec_status_accepted"),
                N_("cli_rec_status_overridden"), N_("cli_rec_status_superseded"),
                N_("cli_rec_status_withdrawn"))


@run_app.command("show", help=HELP.t("cli_help_run_show"))
@_db_errors
def run_show(run_id: str = typer.Argument(..., metavar="RUN"),
             fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.service import show_run

    detail = show_run(_ctx(), run_id=run_id)
    if fmt is OutputFormat.json:
        _json(detail.as_dict())
        return
    r = detail.run
    t = cli_text()
    rows = [{k: v for k, v in rec.as_dict().items() if k != "explanation"}
            for rec in detail.recommendations]
    if fmt is OutputFormat.table:  # CSV keeps the status codes
        for row in rows:
            row["status"] = t.label("cli_rec_status_", row["status"])
    render(rows, fmt, title=t("cli_title_run", id=r.id),
           caption=t("cli_caption_run", policy=r.policy, key=r.key, solver=r.solver,
                     by=r.created_by, at=f"{r.created_at:%Y-%m-%d %H:%M}", input=r.input_sha256))


@run_app.command("list", help=HELP.t("cli_help_run_list"))
@_db_errors
def run_list(fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.service import list_runs

    t = cli_text()
    rows = [{k: v for k, v in r.as_dict().items() if k != "versions"} for r in list_runs(_ctx())]
    if fmt is OutputFormat.table:  # CSV and JSON keep the status codes
        for row in rows:
            row["status"] = t.label("cli_run_status_", row["status"])
    render(rows, fmt, title=t("cli_title_runs"))


@run_app.command("replay", help=HELP.t("cli_help_run_replay"))
@_db_errors
def run_replay(run_id: str = typer.Argument(..., metavar="RUN")) -> None:
    from fairshare.service import replay_run

    result = replay_run(_ctx(), run_id=run_id)
    t = cli_text()
    if result.identical:
        typer.echo(t("cli_replay_identical", run=run_id, sha=result.replayed_plan_sha256))
        return
    typer.echo(t("cli_replay_different", run=run_id), err=True)
    for line in result.differences[:20]:
        typer.echo(f"  - {t(line)}", err=True)
    raise SystemExit(1)  # not typer.Exit: its code is lost when click runs standalone_mode=False


@app.command("decide", help=HELP.t("cli_help_decide"))
@_db_errors
def decide_cmd(run_id: str = typer.Argument(..., metavar="RUN"),
               family: str = typer.Argument(..., metavar="FAMILY"),
               kind: str = typer.Argument(..., metavar="accept|override"),
               to: str | None = typer.Option(None, "--to", metavar="CODE",
                                             help=HELP.t("cli_help_decide_to")),
               reason: str = typer.Option(..., "--reason", help=HELP.t("cli_help_decide_reason")),
               by: str = typer.Option(..., "--by", help=HELP.t("cli_help_decide_by")),
               code: str | None = typer.Option(
                   None, "--code", help=HELP.t("cli_help_decide_code"))) -> None:
    from fairshare.service import decide

    if kind not in ("accept", "override"):
        raise InputError(msg("cli_err_decision_kind", kind=kind))
    result = decide(_ctx(), run_id=run_id, family_id=family, kind=kind, reason=reason,
                    decided_by=by, to=to, reason_code=code)
    t = cli_text()
    if result.destination:
        typer.echo(t("cli_decided_moves", id=result.decision_id, kind=result.kind, family=family,
                     to=result.destination, transfer=result.transfer_id))
    else:
        typer.echo(t("cli_decided_stays", id=result.decision_id, kind=result.kind, family=family))


@app.command("explain", help=HELP.t("cli_help_explain"))
@_db_errors
def explain_cmd(run_id: str = typer.Argument(..., metavar="RUN"),
                family: str = typer.Argument(..., metavar="FAMILY"),
                by: str = typer.Option(..., "--by", help=HELP.t("cli_help_explain_by")),
                lang: str | None = typer.Option(None, "--lang", help=HELP.t("cli_help_explain_lang")),
                fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.service import open_explanation

    if lang is not None and lang not in ("en", "fr"):
        raise InputError(msg("cli_err_lang", option="--lang", lang=lang))
    t = CliText(lang)
    lang = t.lang
    rec = open_explanation(_ctx(), run_id=run_id, family_id=family, actor=by)
    if fmt is OutputFormat.json:
        _json(rec.as_dict())
        return
    expl = rec.explanation or {}
    typer.echo(t("cli_explain_heading", run=rec.run_id, family=rec.family_id,
                 persons=t.count(rec.persons), where=rec.destination or t("cli_stay"),
                 status=t.label("cli_rec_status_", rec.status)))
    typer.echo(str(expl.get(lang) or expl.get("en") or t("cli_no_explanation")))
    for alt in expl.get("alternatives", []):
        typer.echo(f"  - {alt.get('destination')}: {alt.get(f'why_not_{lang}') or alt.get('why_not_en', '')}")
    typer.echo(t("cli_opening_recorded", by=by, run=rec.run_id, family=rec.family_id))


@app.command("reopen", help=HELP.t("cli_help_reopen"))
@_db_errors
def reopen_cmd(family: str = typer.Argument(..., metavar="FAMILY"),
               reason: str = typer.Option(..., "--reason", help=HELP.t("cli_help_reopen_reason")),
               by: str | None = BY_OPTION) -> None:
    from fairshare.service import reopen_family

    state = reopen_family(_ctx(), family_id=family, reason=reason, actor=by)
    t = cli_text()
    typer.echo(t("cli_reopened", family=state.family_id,
                 status=t.label("family_status_", state.status), code=state.current_code))


@app.command("assign", help=HELP.t("cli_help_assign"))
@_db_errors
def assign_cmd(family: str = typer.Argument(..., metavar="FAMILY"),
               to: str = typer.Option(..., "--to", metavar="CODE", help=HELP.t("cli_help_assign_to")),
               reason: str = typer.Option(..., "--reason", help=HELP.t("cli_help_assign_reason")),
               by: str = typer.Option(..., "--by", help=HELP.t("cli_help_assign_by")),
               code: str | None = typer.Option(None, "--code", help=HELP.t("cli_help_assign_code"))) -> None:
    from fairshare.service import assign

    result = assign(_ctx(), family_id=family, to=to, reason=reason, decided_by=by,
                    reason_code=code)
    t = cli_text()
    typer.echo(t("cli_assigned", run=result.run_id, family=family, to=result.destination,
                 transfer=result.transfer_id))


@transfers_app.command("list", help=HELP.t("cli_help_transfers_list"))
@_db_errors
def transfers_list(fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.service import list_transfers

    render([x.as_dict() for x in list_transfers(_ctx())], fmt,
           title=cli_text().t("cli_title_transfers"))


@audit_app.command("verify", help=HELP.t("cli_help_audit_verify"))
@_db_errors
def audit_verify(checkpoint: Path | None = typer.Option(
                     None, "--checkpoint", help=HELP.t("cli_help_audit_verify_checkpoint")),
                 fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.service import verify_audit

    result = verify_audit(_ctx(), checkpoint=checkpoint)
    t = cli_text()
    if fmt is OutputFormat.json:
        _json(result.as_dict())
    elif result.ok:
        values = {"entries": t.count(result.entries), "head": result.head,
                  "rows": t.count(result.rows_checked)}
        typer.echo(t("cli_audit_intact_checkpoint", **values, seq=result.checkpoint["seq"])
                   if result.checkpoint else t("cli_audit_intact", **values))
    elif result.first_bad_row or result.first_broken is None:
        typer.echo(t("cli_audit_not_intact", problem=t(result.problem or "")))
    else:
        typer.echo(t("cli_audit_broken", entry=result.first_broken,
                     problem=t(result.problem or "")))
    if not result.ok:
        raise SystemExit(1)


@audit_app.command("checkpoint", help=HELP.t("cli_help_audit_checkpoint"))
@_db_errors
def audit_checkpoint(out: Path = typer.Option(..., "--out",
                                              help=HELP.t("cli_help_audit_checkpoint_out"))) -> None:
    from fairshare.service import write_checkpoint

    info = write_checkpoint(_ctx(), out=out)
    t = cli_text()
    typer.echo(t("cli_checkpoint_written", seq=info.seq, hash=info.hash[:16], path=info.path,
                 key=info.public_key))


@audit_app.command("show", help=HELP.t("cli_help_audit_show"))
@_db_errors
def audit_show(entity_type: str | None = typer.Option(None, "--entity-type",
                                                      help=HELP.t("cli_help_audit_show_entity_type")),
               entity: str | None = typer.Option(None, "--entity", help=HELP.t("cli_help_audit_show_entity")),
               action: str | None = typer.Option(None, "--action"),
               limit: int | None = typer.Option(None, "--limit", min=1),
               fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.service import show_audit

    rows = [e.as_dict() for e in show_audit(_ctx(), entity_type=entity_type, entity_id=entity,
                                            action=action, limit=limit)]
    if fmt is OutputFormat.json:
        _json(rows)
        return
    for r in rows:
        r["details"] = json.dumps(r["details"], ensure_ascii=False)[:80]
        r["hash"] = r["hash"][:12]
    render(rows, fmt, title=cli_text().t("cli_title_audit"))


@app.command("purge", help=HELP.t("cli_help_purge"))
@_db_errors
def purge_cmd(as_of: str = typer.Option(..., "--as-of", metavar="DATE",
                                        help=HELP.t("cli_help_purge_as_of")),
              policy: Path | None = typer.Option(None, "--policy",
                                                 help=HELP.t("cli_help_purge_policy")),
              by: str | None = BY_OPTION) -> None:
    from fairshare.service import purge

    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        raise InputError(msg("cli_err_option_not_date", option="--as-of", text=as_of)) from None
    result = purge(_ctx(), as_of=day, policy=policy, actor=by)
    t = cli_text()
    done = ", ".join(f"{t.label('cli_purged_', k)} {t.count(v)}" for k, v in result.counts.items())
    typer.echo(t("cli_purged", day=day, done=done, tombstones=t.count(result.tombstones)))


# What a purge counts (service.retention), as the CLI names it (English: the codes themselves).
PURGED = (N_("cli_purged_claimants"), N_("cli_purged_withdrawn_claimants"),
          N_("cli_purged_run_snapshots"), N_("cli_purged_explanations"),
          N_("cli_purged_decision_reasons"), N_("cli_purged_snapshots_redacted"))


@synth_app.command("agreement", help=HELP.t("cli_help_synth_agreement"))
def synth_agreement(out: Path = typer.Option(..., "--out", help=HELP.t("cli_help_synth_agreement_out")),
                    agreement_id: str = typer.Option("qc-ca-relocation-2026", "--id")) -> None:
    from fairshare.exchange.agreements import synth_agreement_yaml

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(synth_agreement_yaml(agreement_id=agreement_id), encoding="utf-8")
    typer.echo(cli_text().t("cli_wrote_file", out=out))


@synth_app.command("claimants", help=HELP.t("cli_help_synth_claimants"))
def synth_claimants(families: int = typer.Option(..., "--families", min=1, max=1_000_000),
                    seed: int = typer.Option(0, "--seed"),
                    out: Path = typer.Option(..., "--out", help=HELP.t("cli_help_synth_claimants_out")),
                    current: str = typer.Option("QC", "--current", metavar="CODE")) -> None:
    from fairshare.exchange.synth import synth_claimant_rows, write_claimants_csv

    rows = synth_claimant_rows(families=families, seed=seed, current=current.upper())
    write_claimants_csv(rows, out)
    t = cli_text()
    typer.echo(t("cli_wrote_claimants", claimants=t.count(len(rows)), families=t.count(families),
                 out=out))


@synth_app.command("capacity", help=HELP.t("cli_help_synth_capacity"))
def synth_capacity(out: Path = typer.Option(..., "--out", help=HELP.t("cli_help_synth_capacity_out")),
                   seed: int = typer.Option(0, "--seed"),
                   persons: int = typer.Option(400, "--persons", min=10)) -> None:
    from fairshare.exchange.synth import synth_capacity_rows, write_capacity_csv

    rows = synth_capacity_rows(seed=seed, persons=persons)
    write_capacity_csv(rows, out)
    t = cli_text()
    typer.echo(t("cli_wrote_offers", offers=t.count(len(rows)), out=out))
