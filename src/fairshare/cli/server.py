"""Commands for the web application: ``serve``, ``users create|list``, ``tokens create|revoke``."""

from __future__ import annotations

import contextlib
import ipaddress
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from fairshare.cli import app

if TYPE_CHECKING:
    from fairshare.service import Context

users_app = typer.Typer(help="Local accounts of the web dashboard and API.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for other systems (revocable).", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command("serve")
def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
          port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
          demo: bool = typer.Option(False, "--demo", help="Use a separate demo database seeded "
                                    "with the shipped Canadian data, a synthetic batch and demo "
                                    "accounts (printed at start). Never for real data."),
          checkpoint_dir: Path | None = typer.Option(
              None, "--checkpoint-dir", envvar="FAIRSHARE_CHECKPOINT_DIR",
              help="Write a signed audit checkpoint into this folder at start, every "
                   "--checkpoint-minutes while serving, and at stop (when the chain moved). "
                   "Choose a folder outside the database's reach."),
          checkpoint_minutes: float = typer.Option(
              60.0, "--checkpoint-minutes", envvar="FAIRSHARE_CHECKPOINT_MINUTES",
              help="Minutes between scheduled checkpoints."),
          ) -> None:
    """Start the web dashboard and the REST API (http://HOST:PORT, API under /api/v1)."""
    import uvicorn

    from fairshare.api import Settings, create_app, prepare_database

    secure = not _is_loopback(host)
    if demo:
        from fairshare.api.demo import demo_home, seed_demo

        settings = Settings.for_home(demo_home(), demo=True, secure_cookies=secure)
        prepare_database(settings)
        accounts = seed_demo(settings)
        _print_demo_banner(host, port, accounts)
    else:
        settings = Settings.from_env(secure_cookies=secure)
        prepare_database(settings)
        _refuse_demo_data(settings)
        typer.echo(f"fairshare: http://{host}:{port}/ (API: /api/v1, reference: /docs).")
        if not _has_accounts(settings):
            typer.echo("No account exists yet: create one with `fairshare users create NAME "
                       "--role coordinator` (there are no default accounts).")
    if secure:
        typer.echo("Note: cookies are sent only over HTTPS on this address; serve it behind a "
                   "TLS-terminating proxy.", err=True)
    # No access log: request paths name pseudonymous family ids (docs/trust.md: no personal data
    # in logs).
    schedule = None
    if checkpoint_dir is not None:
        from fairshare.service import open_context
        from fairshare.service.checkpoint import CheckpointSchedule

        schedule = CheckpointSchedule(open_context(settings.registry()), checkpoint_dir,
                                      checkpoint_minutes).start()
        typer.echo(f"Audit checkpoints: {checkpoint_dir.resolve()} every "
                   f"{checkpoint_minutes:g} min.")
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info",
                    access_log=False, proxy_headers=False, server_header=False)
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
    typer.echo(line)
    typer.echo("  DEMO MODE - synthetic data and demo accounts. NEVER use it for real data.")
    typer.echo(f"  Open http://{host}:{port}/ and log in with one of these accounts:")
    for username, password, role in accounts:
        typer.echo(f"    {username:<14} password {password:<26} ({role})")
    typer.echo("  The passwords change at every start. API: /api/v1, reference: /docs.")
    typer.echo(line)
    sys.stdout.flush()


@contextlib.contextmanager
def _accounts_ctx() -> Iterator[Context]:
    """The service context of the app's database (created or migrated first)."""
    from fairshare.api.database import prepare_database
    from fairshare.api.settings import Settings
    from fairshare.service import open_context

    settings = Settings.from_env()
    prepare_database(settings)
    ctx = open_context(settings.registry())
    try:
        yield ctx
    finally:
        ctx.close()


@users_app.command("create")
def users_create(username: str = typer.Argument(..., help="Login name (lowercase)."),
                 role: str = typer.Option(..., "--role", help="coordinator, officer, analyst, "
                                          "auditor or system."),
                 jurisdiction: str | None = typer.Option(None, "--jurisdiction", help="Officers "
                                                         "only: the jurisdiction code (e.g. QC)."),
                 password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the "
                                                     "password from standard input."),
                 ) -> None:
    """Create a local account (argon2-hashed password, at least 12 characters); audited."""
    from fairshare.reference import load_federation
    from fairshare.service.accounts import register_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _accounts_ctx() as ctx:
        user = register_user(ctx, username=username, password=password, role=role,
                             jurisdiction=jurisdiction, codes=load_federation().codes)
    typer.echo(f"Created user '{user.username}' ({user.role.value}"
               f"{', ' + user.jurisdiction if user.jurisdiction else ''}).")


@users_app.command("list")
def users_list() -> None:
    """List the accounts (no passwords)."""
    from fairshare.cli.render import OutputFormat, render
    from fairshare.service.accounts import account_list

    with _accounts_ctx() as ctx:
        rows = account_list(ctx)
    render(rows, OutputFormat.table, title="Users")


@tokens_app.command("create")
def tokens_create(username: str = typer.Argument(..., help="The account the token acts as."),
                  name: str = typer.Option(..., "--name", help="What the token is for."),
                  expires_days: int | None = typer.Option(None, "--expires-days", min=1,
                                                          help="Expire after this many days."),
                  ) -> None:
    """Create an API token; it is printed once (only its hash is stored); audited."""
    from fairshare.service.accounts import issue_token

    with _accounts_ctx() as ctx:
        token_id, secret = issue_token(ctx, username=username, name=name,
                                       expires_days=expires_days)
    typer.echo(f"Token {token_id} for '{username}' (send as 'Authorization: Bearer <token>'; "
               "it is shown only now):", err=True)
    typer.echo(secret)


@tokens_app.command("revoke")
def tokens_revoke(token_id: int = typer.Argument(..., help="Token id printed by `tokens create`.")
                  ) -> None:
    """Revoke an API token; requests using it get 401 from now on; audited."""
    from fairshare.service.accounts import withdraw_token

    with _accounts_ctx() as ctx:
        withdraw_token(ctx, token_id=token_id)
    typer.echo(f"Revoked token {token_id}.")
