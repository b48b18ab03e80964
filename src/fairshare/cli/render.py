"""Render rows as a Rich table, CSV or JSON (``--format table|csv|json``).

JSON output prints only JSON, so other tools can parse stdout.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import typer

from fairshare.csvsafe import escape_csv_cell
from fairshare.i18n import Translator, decimal_separator, from_environment, gettext, number


class OutputFormat(enum.StrEnum):
    """The formats every command that prints a table accepts."""

    table = "table"
    csv = "csv"
    json = "json"




def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _json_safe(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def format_cell(value: Any, lang: str = "en") -> str:
    """Human formatting for a table cell (French: Babel's separators, ``oui`` / ``non``).

    >>> format_cell(12345.6), format_cell(12345.6, "fr"), format_cell(0.12345, "fr")
    ('12,346', '12\\xa0346', '0,1235')
    """
    value = _json_safe(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("cli_yes", lang) if value else gettext("cli_no", lang)
    if isinstance(value, float):
        if lang != "en":
            if abs(value) < 1:
                return f"{value:.4g}".replace(".", decimal_separator(lang))
            return number(value, 0 if abs(value) >= 1000 else 2, lang)
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, int):
        return number(value, 0, lang) if lang != "en" else f"{value:,}"
    return str(value)


def column_label(column: str, lang: str) -> str:
    """A table's header for a field (``cli_col_<field>``; the field itself when uncatalogued:
    periods, key ids). CSV and JSON keep the field names, which are a contract."""
    return Translator(lang).label("cli_col_", column)


def render(rows: Sequence[Mapping[str, Any]], fmt: OutputFormat | str, *,
           title: str | None = None, caption: str | None = None,
           columns: Sequence[str] | None = None) -> None:
    """Print ``rows`` in ``fmt``. ``caption`` (notes, sources) is shown under tables only."""
    fmt = OutputFormat(fmt)
    cols = list(columns) if columns else (list(rows[0].keys()) if rows else [])
    if fmt is OutputFormat.json:
        typer.echo(json.dumps([{c: _json_safe(r.get(c)) for c in cols} for r in rows],
                              ensure_ascii=False, indent=2))
        return
    if fmt is OutputFormat.csv:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        for r in rows:
            writer.writerow([escape_csv_cell(_json_safe(r.get(c))) for c in cols])
        typer.echo(buf.getvalue(), nl=False)
        return
    from rich.console import Console
    from rich.table import Table

    lang = from_environment()
    table = Table(title=title, caption=caption, caption_justify="left")
    for c in cols:
        sample = next((r.get(c) for r in rows if r.get(c) is not None), None)
        numeric = isinstance(sample, int | float) and not isinstance(sample, bool)
        table.add_column(column_label(c, lang), justify="right" if numeric else "left")
    for r in rows:
        table.add_row(*(format_cell(r.get(c), lang) for c in cols))
    Console(width=200).print(table)


class CliText(Translator):
    """The CLI's messages in its reader's language (``FAIRSHARE_LANG``, else ``LC_ALL`` / ``LANG``).

    :meth:`count` writes an integer of a one-line message: Babel's grouping in French
    (``1 234``), bare digits in English as the CLI always printed them (scripts and docs match
    them: ``Imported batch b-1: 1234 rows``).
    """

    def __init__(self, lang: str | None = None) -> None:
        super().__init__(lang or from_environment())

    def count(self, value: int) -> str:
        """An integer in a message."""
        return str(value) if self.lang == "en" else self.number(value)

    def t(self, msgid: str, /, **values: object) -> str:
        """``self(msgid, ...)`` under a name that ``make messages`` extracts (``HELP.t("key")``)."""
        return self(msgid, **values)


def cli_text() -> CliText:
    """The translator of this command's messages."""
    return CliText()


HELP = CliText()
"""The language of ``--help``: Typer reads help texts when the commands are built (at import), so
they are translated then, from ``FAIRSHARE_LANG`` (else ``LC_ALL`` / ``LANG``)."""

FORMAT_OPTION = typer.Option(OutputFormat.table, "--format", "-f",
                             help=HELP.t("cli_opt_render_format"))
