"""Typer's and Click's own words in the CLI reader's language: the words around the help texts
(panel titles, ``[default: ...]``, ``Usage:``) and the usage errors (a missing option, an
unknown command, a value of the wrong type), which Typer writes as English literals.

English is left untouched. For another language, :func:`localise` replaces Typer's
``rich_utils`` constants and wraps the ``show`` and ``format_message`` methods of the usage
errors of Typer's vendored Click (``typer._click``): the message is rebuilt from the error's
fields (the option's name, the value, the choices) through the catalogue. A Typer without that
layout keeps its English words; the help texts and fairshare's own messages are translated
either way. A usage error this module does not know keeps its English sentence inside the
translated frame ("Erreur : ...").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import IO, Any

from fairshare.i18n import N_, gettext, render

# Typer's own words around the help texts (panel titles, [default: ...]), by its constant's name.
_TYPER_WORDS = {"ARGUMENTS_PANEL_TITLE": N_("cli_typer_arguments"),
                "OPTIONS_PANEL_TITLE": N_("cli_typer_options"),
                "COMMANDS_PANEL_TITLE": N_("cli_typer_commands"),
                "ERRORS_PANEL_TITLE": N_("cli_typer_error"),
                "DEFAULT_STRING": N_("cli_typer_default"),
                "ENVVAR_STRING": N_("cli_typer_envvar"),
                "REQUIRED_LONG_STRING": N_("cli_typer_required"),
                "ABORTED_TEXT": N_("cli_typer_aborted"),
                "RICH_HELP": N_("cli_typer_try_help")}

# Usage errors Click raises with a sentence only: the sentence's pattern and its message.
_SENTENCES = (
    (re.compile(r"No such command (?P<name>.+)\.\Z"), N_("cli_click_no_such_command")),
    (re.compile(r"Missing command\.\Z"), N_("cli_click_missing_command")),
    (re.compile(r"Got unexpected extra argument\(s\) \((?P<args>.*)\)\Z", re.S),
     N_("cli_click_extra_arguments")),
    (re.compile(r"Option (?P<name>'[^']+') requires an argument\.\Z"),
     N_("cli_click_option_needs_value")),
    (re.compile(r"Option (?P<name>'[^']+') requires (?P<n>\d+) arguments\.\Z"),
     N_("cli_click_option_needs_values")),
    (re.compile(r"Option (?P<name>'[^']+') does not take a value\.\Z"),
     N_("cli_click_option_takes_no_value")),
    (re.compile(r"Argument (?P<name>'[^']+') takes (?P<n>\d+) values\.\Z"),
     N_("cli_click_argument_values")),
    (re.compile(r"(?:Value error, )?(?P<value>.+) is not one of (?P<choices>.+)\.\Z"),
     N_("cli_click_not_a_choice")),
)

# Click's kinds of parameter, as named in "Missing option ...".
_MISSING = {"option": N_("cli_click_missing_option"),
            "argument": N_("cli_click_missing_argument")}
_MISSING_OTHER = N_("cli_click_missing_parameter")


def sentence(message: str, lang: str) -> str:
    """``message`` (a sentence of Click's) in ``lang``, or unchanged when it is not one we know."""
    for pattern, msgid in _SENTENCES:
        found = pattern.match(message)
        if found:
            return gettext(msgid, lang, **found.groupdict())
    return message


def conversion(error: BaseException | None, fallback: str, lang: str) -> str:
    """Why a value was refused, from the pydantic error Typer raised it from: the catalogue's
    ``problem_<type>`` (the API's words, :func:`fairshare.errors.validation_problem`) after the
    value, else Click's sentence."""
    from fairshare.errors import validation_problem

    errors: Sequence[Any] = ()
    if error is not None and callable(getattr(error, "errors", None)):
        errors = error.errors()  # type: ignore[attr-defined]
    if not errors:
        return sentence(fallback, lang)
    problem = validation_problem(errors[0])
    if isinstance(problem, str):  # no catalogued problem: pydantic's or the validator's words
        reason = (errors[0].get("ctx") or {}).get("error")
        return sentence(str(reason) if reason is not None else problem, lang)
    return gettext("cli_click_value_problem", lang, value=repr(errors[0].get("input")),
                   problem=render(problem, lang))


def _hint(hint: Sequence[str] | str | None) -> str | None:
    """Click's way of writing a parameter's names: ``'--key' / '-k'``."""
    if hint is not None and not isinstance(hint, str):
        return " / ".join(repr(x) for x in hint)
    return hint


def _param_hint(error: Any) -> str | None:
    if error.param_hint is not None:
        return _hint(error.param_hint)
    if error.param is not None:
        return _hint(error.param.get_error_hint())
    return None


def localise(lang: str) -> None:
    """Put Typer's and Click's words in ``lang`` (English: untouched)."""
    if lang == "en":
        return
    import typer.rich_utils

    for name, msgid in _TYPER_WORDS.items():
        if hasattr(typer.rich_utils, name):
            setattr(typer.rich_utils, name, gettext(msgid, lang))
    try:
        from typer._click import core, exceptions, formatting
    except ImportError:  # another Typer layout: its own words stay English
        return
    _localise_help(lang, core, formatting)
    _localise_errors(lang, exceptions)


def _localise_help(lang: str, core: Any, formatting: Any) -> None:
    """``Usage:`` and the ``--help`` option's text, which Click writes as literals."""
    usage = gettext("cli_click_usage", lang) + " "
    help_option_text = gettext("cli_click_help_option", lang)

    class Formatter(formatting.HelpFormatter):  # type: ignore[misc]
        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, args, usage if prefix is None else prefix)

    built = core.Command.get_help_option

    def get_help_option(self: Any, ctx: Any) -> Any:
        option = built(self, ctx)
        if option is not None:
            option.help = help_option_text
        return option

    core.Context.formatter_class = Formatter
    core.Command.get_help_option = get_help_option


def _localise_errors(lang: str, exceptions: Any) -> None:
    """The usage errors' frame ("Error:", "Try ... for help.") and messages."""
    echo: Callable[..., None] = exceptions.echo
    stderr: Callable[[], IO[str]] = exceptions.get_text_stderr

    def show_error(self: Any, file: IO[str] | None = None) -> None:
        echo(gettext("cli_error", lang, message=self.format_message()), file=file or stderr(),
             color=self.show_color)

    def show_usage_error(self: Any, file: IO[str] | None = None) -> None:
        file = file or stderr()
        color = None
        if self.ctx is not None:
            color = self.ctx.color
            hint = ""
            if self.ctx.command.get_help_option(self.ctx) is not None:
                hint = gettext("cli_click_try_help", lang, command=self.ctx.command_path,
                               option=self.ctx.help_option_names[0]) + "\n"
            echo(f"{self.ctx.get_usage()}\n{hint}", file=file, color=color)
        echo(gettext("cli_error", lang, message=self.format_message()), file=file, color=color)

    def usage_message(self: Any) -> str:
        return sentence(str(self.message), lang)

    def bad_parameter_message(self: Any) -> str:
        reason = conversion(self.__cause__, str(self.message), lang)
        hint = _param_hint(self)
        if hint is None:
            return gettext("cli_click_bad_value", lang, reason=reason)
        return gettext("cli_click_bad_value_for", lang, name=hint, reason=reason)

    def missing_message(self: Any) -> str:
        kind = self.param_type
        if kind is None and self.param is not None:
            kind = self.param.param_type_name
        hint = _param_hint(self) or ""
        text = gettext(_MISSING.get(str(kind), _MISSING_OTHER), lang,
                       name=hint).strip()
        choices = getattr(self.param, "type_descriptor", None)
        if choices is not None and choices.is_choice and choices.choices:
            text += " " + gettext("cli_click_choose_from", lang,
                                  choices=", ".join(str(c) for c in choices.choices))
        return text

    def no_such_option_message(self: Any) -> str:
        text = gettext("cli_click_no_such_option", lang, name=self.option_name)
        if self.possibilities:
            text += " " + gettext("cli_click_possible_options", lang,
                                  options=", ".join(sorted(self.possibilities)))
        return text

    def file_message(self: Any) -> str:
        return gettext("cli_click_file_error", lang, name=repr(self.ui_filename),
                       reason=self.message)

    exceptions.ClickException.show = show_error
    exceptions.UsageError.show = show_usage_error
    exceptions.UsageError.format_message = usage_message
    exceptions.BadParameter.format_message = bad_parameter_message
    exceptions.MissingParameter.format_message = missing_message
    exceptions.NoSuchOption.format_message = no_such_option_message
    exceptions.FileError.format_message = file_message
