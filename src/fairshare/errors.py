"""Named exceptions for fairshare.

Every error a user can cause derives from :class:`FairshareError`. Its message is part of the
interface: it names the file, row and column where it can, and says what to do. The CLI prints
the message (no traceback) and exits with code 2; the API answers 4xx with it as JSON.

A message the reader sees in the dashboard, the API or the CLI is a
:class:`fairshare.i18n.Message` (``msg("error_no_capacity", code=..., ...)``): a msgid of the
catalogues and its values, translated by the shell for its reader (:meth:`FairshareError.text`).
A plain string is shown as it is (messages about files given to the CLI, still English).

>>> from fairshare.i18n import msg
>>> err = NotFoundError(msg("error_no_run", run="R9"))
>>> str(err), err.text("fr")
("No run 'R9'.", 'Aucun appariement « R9 ».')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fairshare.i18n import DEFAULT, Message, Num, Text, gettext, msg, render

__all__ = ["Text", "at"]


def at(path: object, row: int | None = None, column: str | None = None, *,
       line: int | None = None) -> Text:
    """Where in a file a problem is, for an error message: ``path``, ``path, row R``,
    ``path, row R, column C`` or ``path, line L`` (a line of the file, not a data row), in the
    reader's language.

    >>> from fairshare.i18n import render
    >>> render(at("f.csv", 3, "code"), "en"), render(at("f.csv", 3, "code"), "fr")
    ('f.csv, row 3, column code', 'f.csv, ligne 3, colonne code')
    >>> at("f.csv")
    'f.csv'
    """
    if line is not None:
        return msg("file_at_line", path=str(path), line=line)
    if row is None:
        return str(path)
    if column is None:
        return msg("file_at_row", path=str(path), row=row)
    return msg("file_at_cell", path=str(path), row=row, column=column)


class ProblemError(ValueError):
    """A field validator's problem as a message: raise it where pydantic expects a ValueError,
    and :func:`validation_problem` finds the message again (translated for each reader)."""

    def __init__(self, message: Message) -> None:
        super().__init__(render(message, DEFAULT))
        self.source = message


def _bound(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return Num(value, 0 if float(value).is_integer() else 6)


def validation_problem(error: Mapping[str, Any]) -> Text:
    """One pydantic validation error (an item of ``ValidationError.errors()``) as a message: a
    validator's :class:`ProblemError`, else the catalogue's ``problem_<type>`` with the error's
    bounds (``{lt}``, ``{max_length}``), else pydantic's own (English) words.

    >>> render(validation_problem({"type": "less_than", "ctx": {"lt": 1000}, "msg": "..."}), "fr")
    'doit être inférieur à 1\xa0000'
    """
    ctx = error.get("ctx") or {}
    problem = ctx.get("error")
    if isinstance(problem, ProblemError):
        return problem.source
    problem_id = f"problem_{error.get('type', '')}"
    if gettext(problem_id, DEFAULT) == problem_id:
        return str(error.get("msg", ""))
    return msg(problem_id, **{k: _bound(v) for k, v in ctx.items()
                              if isinstance(v, int | float | str)})


def validation_details(errors: Iterable[Mapping[str, Any]]) -> list[Text]:
    """Pydantic's validation errors of a document as details: ``field a.b: problem``."""
    return [msg("validation_field", field=".".join(str(p) for p in e.get("loc", ())) or "-",
                problem=validation_problem(e)) for e in errors]


def full_text(message: Text, details: list[Text], lang: str = DEFAULT) -> str:
    """A message and (the first 50 of) its details as lines, in ``lang``: how an error reads
    wherever it is shown (the CLI, a failed job)."""
    if not details:
        return render(message, lang)
    shown = details[:50]
    more = len(details) - len(shown)
    lines = [render(message, lang), *(f"  - {render(d, lang)}" for d in shown)]
    if more:
        lines.append("  " + gettext("error_more_details", lang, n=more))
    return "\n".join(lines)


class FairshareError(Exception):
    """Base class of every error caused by input or configuration (exit code 2)."""

    exit_code = 2

    def __init__(self, message: Text, *, details: list[Text] | list[str] | None = None) -> None:
        super().__init__(render(message, DEFAULT))
        self.source: Text = message
        self.message = render(message, DEFAULT)  # English: logs, tests, the API by default
        self.raw_details: list[Text] = list(details or [])
        self.details = [render(d, DEFAULT) for d in self.raw_details]

    def text(self, lang: str) -> str:
        """The message in ``lang``."""
        return render(self.source, lang)

    def details_in(self, lang: str) -> list[str]:
        """The details in ``lang``."""
        return [render(d, lang) for d in self.raw_details]

    def full_text(self, lang: str = DEFAULT) -> str:
        """Message and (the first 50) details as lines, in ``lang``."""
        return full_text(self.source, self.raw_details, lang)

    def __str__(self) -> str:
        return self.full_text(DEFAULT)


class InputError(FairshareError):
    """A file, argument or value the user supplied is malformed."""


class JsonBodyError(InputError):
    """A JSON request body refused before parsing (too deep, huge numbers, not text)."""


class DataError(FairshareError):
    """Reference or federation data are missing or inconsistent."""


class KeyDefinitionError(FairshareError):
    """A distribution key file is malformed or cannot be evaluated."""


class ApportionmentError(FairshareError):
    """An apportionment cannot be computed (bad weights, infeasible bounds)."""


class MatchingError(FairshareError):
    """A matching problem is malformed (checks failed before solving)."""


class StoreError(FairshareError):
    """The database refused an operation (conflict, missing entity, integrity)."""


class ConflictError(StoreError):
    """The same identifier arrived with different content."""


class NotFoundError(StoreError):
    """An entity named by the user does not exist."""


class PermissionDeniedError(FairshareError):
    """The caller's role or agreement does not allow the operation."""


class ScenarioError(FairshareError):
    """A scenario grid, solidarity policy or sweep folder is malformed or inconsistent."""


class DemoModeError(FairshareError):
    """Demo and real data would meet: ``serve --demo`` on a real home, or demo accounts in a
    registry served normally."""
