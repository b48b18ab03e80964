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
from fairshare.i18n import Translator, from_environment


class OutputFormat(enum.StrEnum):
    """The formats every command that prints a table accepts."""

    table = "table"
    csv = "csv"
    json = "json"


FORMAT_OPTION = typer.Option(OutputFormat.table, "--format", "-f",
                             help="Output format: table, csv or json (json prints only JSON).")


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _json_safe(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def format_cell(value: Any) -> str:
    """Human formatting for a table cell."""
    value = _json_safe(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


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

    table = Table(title=title, caption=caption, caption_justify="left")
    for c in cols:
        sample = next((r.get(c) for r in rows if r.get(c) is not None), None)
        numeric = isinstance(sample, int | float) and not isinstance(sample, bool)
        table.add_column(c, justify="right" if numeric else "left")
    for r in rows:
        table.add_row(*(format_cell(r.get(c)) for c in cols))
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


def cli_text() -> CliText:
    """The translator of this command's messages."""
    return CliText()
