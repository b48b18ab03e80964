"""The root of the command tree and the shared ``synth`` group, which the command modules
register their commands on when imported (:mod:`fairshare.cli` imports them)."""

from __future__ import annotations

import typer

from fairshare.cli import typer_words
from fairshare.cli.render import HELP

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
