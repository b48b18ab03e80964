"""Commands for the web application: ``serve``, ``users create|list|disable|enable|passwd|role``,
``tokens create|list|revoke``, ``sessions end``."""

from __future__ import annotations

import contextlib
import ipaddress
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fairshare.cli.groups import app
from fairshare.cli.render import FORMAT_OPTION, HELP, OutputFormat, cli_text

if TYPE_CHECKING:
    from fairshare.service import Context

users_app = typer.Typer(help=HELP.t("cli_help_users"), no_args_is_help=True)
tokens_app = typer.Typer(help=HELP.t("cli_help_tokens"), no_args_is_help=True)
sessions_app = typer.Typer(help=HELP.t("cli_help_sessions"), no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(sessions_app, name="sessions")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command("serve", help=HELP.t("cli_help_serve"))
def serve(host: str = typer.Option("127.0.0.1", "--host", help=HELP.t("cli_help_serve_host")),
          port: int = typer.Option(8000, "--port", min=1, max=65535, help=HELP.t("cli_help_serve_port")),
          demo: bool = typer.Option(False, "--demo", help=HELP.t("cli_help_serve_demo")),
          checkpoint_dir: Path | None = typer.Option(
              None, "--checkpoint-dir", envvar="FAIRSHARE_CHECKPOINT_DIR",
              help=HELP.t("cli_help_serve_checkpoint_dir")),
          checkpoint_minutes: float = typer.Option(
              60.0, "--checkpoint-minutes", envvar="FAIRSHARE_CHECKPOINT_MINUTES",
              help=HELP.t("cli_help_serve_checkpoint_minutes")),
          proxy_headers: bool = typer.Option(False, "--proxy-headers",
                                             help=HELP.t("cli_help_serve_proxy_headers")),
          allowed_host: list[str] = typer.Option([], "--allowed-host", metavar="NAME",
                                                 help=HELP.t("cli_help_serve_allowed_host")),
          ) -> None:
    import logging

    import uvicorn

    from fairshare.api import Settings, create_app, prepare_database

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # not every migration step at start
    secure = not _is_loopback(host)
    t = cli_text()
    extra: dict[str, object] = {"proxy_headers": proxy_headers}
    if allowed_host:
        extra["allowed_hosts"] = tuple(allowed_host)
    if demo:
        from fairshare.api.demo import demo_home, seed_demo

        settings = Settings.for_home(demo_home(), demo=True, secure_cookies=secure, **extra)
        prepare_database(settings)
        accounts = seed_demo(settings)
        _print_demo_banner(host, port, accounts)
    else:
        settings = Settings.from_env(secure_cookies=secure, proxy_headers=proxy_headers)
        settings = replace(settings, allowed_hosts=(*settings.allowed_hosts, *allowed_host))
        prepare_database(settings)
        _refuse_demo_data(settings)
        typer.echo(t("cli_serve_listening", host=host, port=port))
        if not _has_accounts(settings):
            typer.echo(t("cli_serve_no_accounts"))
    if secure or settings.behind_tls:
        typer.echo(t("cli_serve_secure"), err=True)
    typer.echo(t("cli_serve_hosts", hosts=", ".join(sorted(settings.hosts()))), err=True)
    # No access log: request paths name pseudonymous family ids (docs/trust.md: no personal data
    # in logs).
    schedule = None
    if checkpoint_dir is not None:
        from fairshare.service import open_context
        from fairshare.service.checkpoint import CheckpointSchedule

        schedule = CheckpointSchedule(open_context(settings.registry()), checkpoint_dir,
                                      checkpoint_minutes).start()
        typer.echo(t("cli_serve_checkpoints", folder=checkpoint_dir.resolve(),
                     minutes=t.number(checkpoint_minutes,
                                      0 if float(checkpoint_minutes).is_integer() else 2)))
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info",
                    access_log=False, proxy_headers=proxy_headers,
                    forwarded_allow_ips="127.0.0.1,::1", server_header=False)
    finally:
        if schedule is not None:
            schedule.stop()
            schedule.ctx.close()


def _refuse_demo_data(settings: object) -> None:
    from fairshare.service import open_context
    from fairshare.service.demo import refuse_demo_data

    ctx = open_context(settings.registry())  # type: ignore[attr-defined]
    try:
        refuse_demo_data(ctx)
    finally:
        ctx.close()


def _has_accounts(settings: object) -> bool:
    from fairshare.service import open_context
    from fairshare.service.accounts import has_accounts

    ctx = open_context(settings.registry())  # type: ignore[attr-defined]
    try:
        return has_accounts(ctx)
    finally:
        ctx.close()


def _print_demo_banner(host: str, port: int, accounts: list[tuple[str, str, str]]) -> None:
    line = "=" * 78
    t = cli_text()
    typer.echo(line)
    typer.echo("  " + t("cli_demo_mode"))
    typer.echo("  " + t("cli_demo_open", host=host, port=port))
    for username, password, role in accounts:
        typer.echo("    " + t("cli_demo_account", username=f"{username:<14}",
                                password=f"{password:<26}", role=role))
    typer.echo("  " + t("cli_demo_passwords"))
    typer.echo(line)
    sys.stdout.flush()


@contextlib.contextmanager
def _accounts_ctx() -> Iterator[Context]:
    """The service context of the app's database (created or migrated first); the audit
    entries name the operator (``FAIRSHARE_USER``, else the OS user), not the API."""
    from fairshare.api.database import prepare_database
    from fairshare.api.settings import Settings
    from fairshare.service import Settings as RegistrySettings
    from fairshare.service import open_context

    settings = Settings.from_env()
    prepare_database(settings)
    ctx = open_context(replace(settings.registry(), actor=RegistrySettings.from_env().actor))
    try:
        yield ctx
    finally:
        ctx.close()


@users_app.command("create", help=HELP.t("cli_help_users_create"))
def users_create(username: str = typer.Argument(..., help=HELP.t("cli_help_users_create_username")),
                 role: str = typer.Option(..., "--role", help=HELP.t("cli_help_users_create_role")),
                 jurisdiction: str | None = typer.Option(None, "--jurisdiction",
                                                         help=HELP.t("cli_help_users_create_jurisdiction")),
                 password_stdin: bool = typer.Option(False, "--password-stdin",
                                                     help=HELP.t("cli_help_users_create_password_stdin")),
                 ) -> None:
    from fairshare.reference import load_federation
    from fairshare.service.accounts import register_user

    password = _read_password(password_stdin)
    with _accounts_ctx() as ctx:
        user = register_user(ctx, username=username, password=password, role=role,
                             jurisdiction=jurisdiction, codes=load_federation().codes)
    t = cli_text()
    typer.echo(t("cli_user_created_in", username=user.username, role=user.role.value,
                 jurisdiction=user.jurisdiction) if user.jurisdiction else
               t("cli_user_created", username=user.username, role=user.role.value))


def _read_password(from_stdin: bool) -> str:
    """A password from standard input (one line) or a hidden prompt asked twice."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    t = cli_text()
    return str(typer.prompt(t("cli_password_prompt"), hide_input=True,
                            confirmation_prompt=t("cli_password_repeat")))


@users_app.command("list", help=HELP.t("cli_help_users_list"))
def users_list(fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.cli.render import render
    from fairshare.service.account_admin import account_states

    with _accounts_ctx() as ctx:
        rows = account_states(ctx)
    render(rows, fmt, title=cli_text().t("cli_title_users"))


@users_app.command("disable", help=HELP.t("cli_help_users_disable"))
def users_disable(username: str = typer.Argument(...,
                                                 help=HELP.t("cli_help_users_disable_username"))) -> None:
    from fairshare.service.account_admin import set_disabled

    with _accounts_ctx() as ctx:
        ended = set_disabled(ctx, username=username, disabled=True)
    t = cli_text()
    typer.echo(t("cli_user_disabled", username=username, n=t.count(ended)))


@users_app.command("enable", help=HELP.t("cli_help_users_enable"))
def users_enable(username: str = typer.Argument(..., help=HELP.t("cli_help_users_enable_username"))
                 ) -> None:
    from fairshare.service.account_admin import set_disabled

    with _accounts_ctx() as ctx:
        set_disabled(ctx, username=username, disabled=False)
    typer.echo(cli_text().t("cli_user_enabled", username=username))


@users_app.command("passwd", help=HELP.t("cli_help_users_passwd"))
def users_passwd(username: str = typer.Argument(..., help=HELP.t("cli_help_users_passwd_username")),
                 password_stdin: bool = typer.Option(False, "--password-stdin",
                                                     help=HELP.t("cli_help_users_passwd_password_stdin")),
                 ) -> None:
    from fairshare.service.account_admin import change_password

    password = _read_password(password_stdin)
    with _accounts_ctx() as ctx:
        ended = change_password(ctx, username=username, password=password)
    t = cli_text()
    typer.echo(t("cli_user_password_set", username=username, n=t.count(ended)))


@users_app.command("role", help=HELP.t("cli_help_users_role"))
def users_role(username: str = typer.Argument(..., help=HELP.t("cli_help_users_role_username")),
               role: str = typer.Option(..., "--role", help=HELP.t("cli_help_users_role_role")),
               jurisdiction: str | None = typer.Option(None, "--jurisdiction",
                                                       help=HELP.t("cli_help_users_role_jurisdiction")),
               ) -> None:
    from fairshare.reference import load_federation
    from fairshare.service.account_admin import change_role

    with _accounts_ctx() as ctx:
        done = change_role(ctx, username=username, role=role, jurisdiction=jurisdiction,
                           codes=load_federation().codes)
    after = done["after"]
    t = cli_text()
    n = t.count(done["sessions_ended"])
    typer.echo(t("cli_user_role_in", username=username, role=after["role"],
                 jurisdiction=after["jurisdiction"], n=n) if after["jurisdiction"] else
               t("cli_user_role", username=username, role=after["role"], n=n))


@sessions_app.command("end", help=HELP.t("cli_help_sessions_end"))
def sessions_end(username: str = typer.Argument(..., help=HELP.t("cli_help_sessions_end_username"))
                 ) -> None:
    from fairshare.service.account_admin import end_user_sessions

    with _accounts_ctx() as ctx:
        ended = end_user_sessions(ctx, username=username)
    t = cli_text()
    typer.echo(t("cli_sessions_ended", username=username, n=t.count(ended)))


@tokens_app.command("create", help=HELP.t("cli_help_tokens_create"))
def tokens_create(username: str = typer.Argument(..., help=HELP.t("cli_help_tokens_create_username")),
                  name: str = typer.Option(..., "--name", help=HELP.t("cli_help_tokens_create_name")),
                  expires_days: int | None = typer.Option(None, "--expires-days", min=1,
                                                          help=HELP.t("cli_help_tokens_create_expires_days")),
                  ) -> None:
    from fairshare.service.accounts import issue_token

    with _accounts_ctx() as ctx:
        token_id, secret = issue_token(ctx, username=username, name=name,
                                       expires_days=expires_days)
    typer.echo(cli_text().t("cli_token_created", id=token_id, username=username), err=True)
    typer.echo(secret)


@tokens_app.command("list", help=HELP.t("cli_help_tokens_list"))
def tokens_list(fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.cli.render import render
    from fairshare.service.account_admin import list_tokens

    with _accounts_ctx() as ctx:
        rows = list_tokens(ctx)
    render(rows, fmt, title=cli_text().t("cli_title_tokens"))


@tokens_app.command("revoke", help=HELP.t("cli_help_tokens_revoke"))
def tokens_revoke(token_id: int = typer.Argument(..., help=HELP.t("cli_help_tokens_revoke_token_id"))
                  ) -> None:
    from fairshare.service.accounts import withdraw_token

    with _accounts_ctx() as ctx:
        withdraw_token(ctx, token_id=token_id)
    typer.echo(cli_text().t("cli_token_revoked", id=token_id))
