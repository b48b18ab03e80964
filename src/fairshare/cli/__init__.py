"""The ``fairshare`` command line: a thin shell over the Python API and the service layer.

Each command group lives in its own module and registers itself on the root (or on the shared
``synth`` group) of :mod:`fairshare.cli.groups` when imported. A command run imports only the
module holding it (:data:`COMMANDS`), so ``fairshare match`` does not pay for the registry, the
server or the scenarios; ``--help``, a group without its sub-command, or a name no module holds
loads every module, so help and "no such command" list them all. ``fairshare.cli.app`` is the
whole tree (every module loaded), e.g. for ``typer.testing.CliRunner``. Heavy libraries are
imported inside command functions so that ``fairshare --help`` stays fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from fairshare.errors import FairshareError

if TYPE_CHECKING:
    import typer

# Command modules, in the order their commands are listed by --help.
_COMMAND_MODULES = (
    "fairshare.cli.reference",   # data, keys, shares, balance, map (issue 2)
    "fairshare.cli.apportion",   # apportion (issue 2)
    "fairshare.cli.matching",    # match, synth batch (issue 3)
    "fairshare.cli.registry",    # init, status, agreements, import, export, consent, run, decide,
                                 # audit, purge, synth agreement/claimants (issue 4)
    "fairshare.cli.outcomes",    # outcomes, synth history (issue 6)
    "fairshare.cli.models",      # models add, list, show (issue 10)
    "fairshare.cli.members",     # synth members (issue 14)
    "fairshare.cli.server",      # serve, users, tokens (issue 5)
    "fairshare.cli.arrivals",    # simulate, synth arrivals (issue 11)
    "fairshare.cli.prices",      # prices update, show (issue 11)
    "fairshare.cli.scenarios",   # sweep, sweep report, solidarity, targets (issue 12)
)

# The module holding each command (top-level names, and ``synth <name>``); a test checks it
# against the tree every module registers.
COMMANDS: dict[str, str] = {
    **dict.fromkeys(("data", "keys", "shares", "balance", "map", "run-default"),
                    "fairshare.cli.reference"),
    "apportion": "fairshare.cli.apportion",
    "match": "fairshare.cli.matching",
    "synth batch": "fairshare.cli.matching",
    **dict.fromkeys(("init", "status", "agreements", "import", "export", "consent", "capacity",
                     "run", "transfers", "audit", "decide", "explain", "reopen", "assign",
                     "purge", "synth agreement", "synth claimants", "synth capacity"),
                    "fairshare.cli.registry"),
    "outcomes": "fairshare.cli.outcomes",
    "synth history": "fairshare.cli.outcomes",
    "models": "fairshare.cli.models",
    "synth members": "fairshare.cli.members",
    **dict.fromkeys(("serve", "users", "tokens", "sessions"), "fairshare.cli.server"),
    "simulate": "fairshare.cli.arrivals",
    "synth arrivals": "fairshare.cli.arrivals",
    "prices": "fairshare.cli.prices",
    **dict.fromkeys(("sweep", "targets", "solidarity", "pledges"), "fairshare.cli.scenarios"),
}


def load_commands(modules: tuple[str, ...] = _COMMAND_MODULES) -> None:
    """Import command ``modules`` (each registers its commands once)."""
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency, not an absent module
                raise


def modules_for(args: list[str]) -> tuple[str, ...]:
    """The command modules a command line needs: the one holding its command, or every one
    (no command, an option first, a group alone, an unknown name).

    >>> modules_for(["match", "--help"]), modules_for(["synth", "batch"])
    (('fairshare.cli.matching',), ('fairshare.cli.matching',))
    >>> modules_for(["--help"]) == modules_for(["synth"]) == modules_for(["matc"]) == _COMMAND_MODULES
    True
    """
    words = args[:2] if args[:1] == ["synth"] else args[:1]
    module = COMMANDS.get(" ".join(words))
    return (module,) if module is not None else _COMMAND_MODULES


def __getattr__(name: str) -> typer.Typer:
    """``app`` and ``synth_app``: the whole command tree (every command module loaded)."""
    if name in ("app", "synth_app"):
        from fairshare.cli import groups

        load_commands()
        tree: typer.Typer = getattr(groups, name)
        return tree
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console entry point: user errors print a clear message and exit with code 2."""
    import typer

    from fairshare.cli.groups import app

    load_commands(modules_for(sys.argv[1:]))
    try:
        # Without standalone mode, click returns the code of a `typer.Exit(code)` instead of exiting.
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except FairshareError as exc:
        from fairshare import i18n

        lang = i18n.from_environment()
        typer.echo(i18n.gettext("cli_error", lang, message=exc.full_text(lang)), err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        from fairshare import i18n

        typer.echo(i18n.gettext("cli_typer_aborted", i18n.from_environment()), err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # typer vendors click: its usage errors (exit 2) land here
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            from fairshare import i18n

            typer.echo(i18n.gettext("cli_error", i18n.from_environment(),
                                    message=exc.format_message()), err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
