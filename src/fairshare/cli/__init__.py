"""The ``fairshare`` command line: a thin shell over the Python API and the service layer.

Each command group lives in its own module and registers itself on :data:`app` (or on one of
the shared groups below) when imported. Heavy libraries are imported inside command functions so
that ``fairshare --help`` stays fast.
"""

from __future__ import annotations

import sys

import typer

from fairshare.cli import typer_words
from fairshare.cli.render import HELP
from fairshare.errors import FairshareError

typer_words.localise(HELP.lang)
app = typer.Typer(
    name="fairshare",
    help=HELP.t("cli_help_app"),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
synth_app = typer.Typer(help=HELP.t("cli_help_synth"), no_args_is_help=True)
app.add_typer(synth_app, name="synth")

# Command modules register themselves on `app` / `synth_app` when imported.
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


def _load_commands() -> None:
    import importlib

    for name in _COMMAND_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency, not an absent module
                raise


_load_commands()


def main() -> None:
    """Console entry point: user errors print a clear message and exit with code 2."""
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
