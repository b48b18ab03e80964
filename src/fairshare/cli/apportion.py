"""``fairshare apportion``: whole seats from a CSV of weights (a stable contract for other tools).

Contract: ``fairshare apportion --method METHOD --total N [--min-file F] [--max-file F] [FILE]``
reads CSV with header ``name,weight`` from FILE or stdin (FILE omitted or ``-``) and writes CSV
``name,seats`` to stdout in input order. Ties and ``--explain`` go to stderr, so stdout stays
pure CSV. Bad input raises :class:`~fairshare.errors.InputError` or
:class:`~fairshare.errors.ApportionmentError`; the entry point prints it and exits with code 2.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

import typer

from fairshare.apportion import ALIASES, METHODS, Apportionment, apportion
from fairshare.cli.groups import app
from fairshare.cli.render import HELP, OutputFormat, cli_text, column_label, format_cell, render
from fairshare.errors import InputError, at
from fairshare.i18n import Num, Text, msg

_EXPONENT_LIMIT = 100  # 1e999999999 would become an integer with a billion digits
_METHOD_HELP = HELP.t("cli_help_apportion_method", methods=", ".join(METHODS),
                      aliases=", ".join(a for a in ALIASES if a.isascii()))


@dataclass(frozen=True)
class _Table:
    """The data rows of a two-column CSV file: (row number, name, raw value), and the value
    column as messages name it (``2 (weight)``)."""

    source: str
    value_column: str
    rows: list[tuple[int, str, str]]


def read_text(path: str) -> tuple[str, str]:
    """Read ``path`` (``-`` = stdin) as UTF-8; return the text and a label for messages."""
    if path == "-":
        data, source = sys.stdin.buffer.read(), "<stdin>"
    else:
        source = path
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise InputError(msg("apportion_no_such_file", where=at(path))) from None
        except OSError as exc:
            raise InputError(msg("apportion_cannot_read", where=at(path),
                                 reason=exc.strerror)) from None
    try:
        return data.decode("utf-8-sig"), source
    except UnicodeDecodeError as exc:
        row = data[:exc.start].count(b"\n") + 1
        raise InputError(msg("apportion_not_utf8", where=at(source, row),
                             byte=f"{data[exc.start]:#04x}", offset=exc.start)) from None


def _parse_table(text: str, source: str, value_columns: tuple[str, ...],
                 expected: Text) -> _Table:
    """Split a ``name,<value>`` CSV into rows, checking the header, names and duplicates."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [(n, row) for n, row in enumerate(reader, start=1)
                if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise InputError(msg("apportion_bad_csv", where=at(source, reader.line_num),
                             problem=str(exc))) from None
    if not rows:
        raise InputError(msg("apportion_empty", where=at(source), expected=expected))
    header_row, header = rows[0]
    columns = [cell.strip().lower() for cell in header]
    value_column = next((c for c in value_columns if c in columns), None)
    if "name" not in columns or value_column is None:
        raise InputError(msg("apportion_bad_header", where=at(source, header_row),
                             expected=expected, found=",".join(header)))
    name_at, value_at = columns.index("name"), columns.index(value_column)
    seen: dict[str, int] = {}
    parsed = []
    for number, row in rows[1:]:
        if len(row) != len(header):
            cells = {"where": at(source, number), "cells": Num(len(row)),
                     "columns": Num(len(header)), "column": value_column}
            raise InputError(msg("apportion_row_cells_split", **cells) if len(row) > len(header)
                             else msg("apportion_row_cells", **cells))
        name = row[name_at].strip()
        name_cell = at(source, number, f"{name_at + 1} (name)")
        if not name:
            raise InputError(msg("apportion_name_empty", where=name_cell))
        if name in seen:
            raise InputError(msg("apportion_name_again", where=name_cell, name=name,
                                 first=seen[name]))
        seen[name] = number
        parsed.append((number, name, row[value_at].strip()))
    if not parsed:
        raise InputError(msg("apportion_no_rows", where=at(source)))
    return _Table(source, f"{value_at + 1} ({value_column})", parsed)


def parse_weights(text: str, source: str = "<stdin>") -> dict[str, Fraction]:
    """Parse CSV ``name,weight`` into exact weights, in file order.

    >>> parse_weights("name,weight\\nA,0.1\\nB,2\\n")
    {'A': Fraction(1, 10), 'B': Fraction(2, 1)}
    """
    table = _parse_table(text, source, ("weight",), "name,weight")
    weights: dict[str, Fraction] = {}
    for number, name, raw in table.rows:
        where = at(table.source, number, table.value_column)
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise InputError(msg("apportion_cell_not_number", where=where, raw=raw)) from None
        if not value.is_finite():
            raise InputError(msg("apportion_cell_not_finite", where=where, raw=raw))
        if value < 0:
            raise InputError(msg("apportion_cell_negative", where=where, raw=raw))
        if value and not -_EXPONENT_LIMIT <= value.adjusted() <= _EXPONENT_LIMIT:
            raise InputError(msg("apportion_weight_out_of_range", where=where, raw=raw,
                                 limit=_EXPONENT_LIMIT))
        weights[name] = Fraction(value)
    return weights


def parse_bounds(text: str, source: str, kind: str, names: Mapping[str, object]) -> dict[str, int]:
    """Parse CSV ``name,seats`` (or ``name,min`` / ``name,max``) of whole-number bounds.

    Args:
        text: the CSV text.
        source: file name for messages.
        kind: ``"min"`` or ``"max"``.
        names: the names of the weights file; any other name is an error.
    """
    aliases = ("seats", kind, "minimum" if kind == "min" else "maximum")
    table = _parse_table(text, source, aliases, msg("apportion_header_bounds", kind=kind))
    bounds: dict[str, int] = {}
    for number, name, raw in table.rows:
        if name not in names:
            raise InputError(msg("apportion_bound_unknown_name",
                                 where=at(table.source, number, "1 (name)"), name=name))
        where = at(table.source, number, table.value_column)
        try:
            value = int(raw)
        except ValueError:
            raise InputError(msg("apportion_bound_not_whole", where=where, raw=raw)) from None
        if value < 0:
            raise InputError(msg("apportion_bound_negative", where=where, value=value))
        bounds[name] = value
    return bounds


def _write(result: Apportionment, fmt: OutputFormat) -> None:
    if fmt is not OutputFormat.csv:
        rows = [{"name": name, "seats": seats} for name, seats in result.seats.items()]
        render(rows, fmt, title=cli_text().t("cli_title_seats", method=result.method,
                                           total=result.total))
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "seats"])
    writer.writerows(result.seats.items())
    sys.stdout.write(buffer.getvalue())
    sys.stdout.flush()  # the CSV comes before any note on stderr in a terminal


def _explain(result: Apportionment, weights: Mapping[str, Fraction], minimum: Mapping[str, int],
             maximum: Mapping[str, int]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = cli_text()
    divisor = "-" if result.divisor is None else f"{result.divisor:.10g}"
    table = Table(title=t("cli_title_seats", method=result.method, total=result.total),
                  caption_justify="left",
                  caption=t("cli_caption_divisor", divisor=divisor, ties=len(result.ties)))
    for column in ("name", "weight", "quota", "min", "max", "seats"):
        table.add_column(column_label(column, t.lang),
                         justify="left" if column == "name" else "right")
    for name, seats in result.seats.items():
        table.add_row(name, format_cell(float(weights[name]), t.lang),
                      f"{result.quotas[name]:.6f}" if t.lang == "en"
                      else t.number(float(result.quotas[name]), 6),
                      format_cell(minimum.get(name), t.lang),
                      format_cell(maximum.get(name), t.lang), format_cell(seats, t.lang))
    console = Console(stderr=True, width=120)
    console.print(table)


@app.command("apportion", help=HELP.t("cli_help_apportion"))
def apportion_command(
    file: str = typer.Argument("-", metavar="FILE",
                               help=HELP.t("cli_help_apportion_file")),
    method: str = typer.Option("hamilton", "--method", "-m", help=_METHOD_HELP),
    total: int = typer.Option(..., "--total", "-n",
                              help=HELP.t("cli_help_apportion_total")),
    min_file: str | None = typer.Option(
        None, "--min-file", help=HELP.t("cli_help_apportion_min_file")),
    max_file: str | None = typer.Option(
        None, "--max-file", help=HELP.t("cli_help_apportion_max_file")),
    explain: bool = typer.Option(
        False, "--explain", help=HELP.t("cli_help_apportion_explain")),
    fmt: OutputFormat = typer.Option(
        OutputFormat.csv, "--format", "-f",
        help=HELP.t("cli_help_apportion_fmt")),
) -> None:
    if file == "-" and "-" in (min_file, max_file):
        raise InputError(msg("apportion_one_stdin"))
    text, source = read_text(file)
    weights = parse_weights(text, source)
    minimum = parse_bounds(*read_text(min_file), "min", weights) if min_file else {}
    maximum = parse_bounds(*read_text(max_file), "max", weights) if max_file else {}
    result = apportion(weights, total, method, minimum=minimum, maximum=maximum)
    _write(result, fmt)
    for tie in result.ties:
        typer.echo(cli_text().t("cli_apportion_note", note=tie.describe()), err=True)
    if explain:
        _explain(result, weights, minimum, maximum)
