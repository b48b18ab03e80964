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
from fairshare.cli import app
from fairshare.cli.render import HELP, OutputFormat, cli_text, column_label, format_cell, render
from fairshare.errors import InputError

_EXPONENT_LIMIT = 100  # 1e999999999 would become an integer with a billion digits
_METHOD_HELP = HELP.t("cli_help_apportion_method", methods=", ".join(METHODS),
                      aliases=", ".join(a for a in ALIASES if a.isascii()))


@dataclass(frozen=True)
class _Table:
    """The data rows of a two-column CSV file: (row number, name, raw value)."""

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
            raise InputError(f"{path}: no such file; give the path of a CSV file or '-' "
                             "for standard input.") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror}).") from None
    try:
        return data.decode("utf-8-sig"), source
    except UnicodeDecodeError as exc:
        row = data[:exc.start].count(b"\n") + 1
        raise InputError(f"{source}, row {row}: byte {data[exc.start]:#04x} at offset {exc.start} "
                         "is not UTF-8; save the file as UTF-8 (CSV UTF-8 in spreadsheets).") from None


def _parse_table(text: str, source: str, value_columns: tuple[str, ...], expected: str) -> _Table:
    """Split a ``name,<value>`` CSV into rows, checking the header, names and duplicates."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [(n, row) for n, row in enumerate(reader, start=1)
                if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise InputError(f"{source}, row {reader.line_num}: not readable as CSV ({exc}).") from None
    if not rows:
        raise InputError(f"{source} is empty; expected CSV with the header {expected} and one "
                         "row per name.")
    header_row, header = rows[0]
    columns = [cell.strip().lower() for cell in header]
    value_column = next((c for c in value_columns if c in columns), None)
    if "name" not in columns or value_column is None:
        raise InputError(f"{source}, row {header_row}: the header must be {expected} "
                         f"(found {','.join(header)!r}); add it as the first row.")
    name_at, value_at = columns.index("name"), columns.index(value_column)
    seen: dict[str, int] = {}
    parsed = []
    for number, row in rows[1:]:
        if len(row) != len(header):
            hint = (" (a thousands separator such as 1,234 splits a number: write 1234)"
                    if len(row) > len(header) else "")
            raise InputError(f"{source}, row {number}: {len(row)} cells but the header has "
                             f"{len(header)}; write one name and one {value_column} per row"
                             f"{hint}.")
        name = row[name_at].strip()
        if not name:
            raise InputError(f"{source}, row {number}, column {name_at + 1} (name): the name "
                             "is empty.")
        if name in seen:
            raise InputError(f"{source}, row {number}, column {name_at + 1} (name): {name!r} "
                             f"appears again (first on row {seen[name]}); each name must appear "
                             "once.")
        seen[name] = number
        parsed.append((number, name, row[value_at].strip()))
    if not parsed:
        raise InputError(f"{source} has a header but no rows; add one row per name.")
    return _Table(source, f"column {value_at + 1} ({value_column})", parsed)


def parse_weights(text: str, source: str = "<stdin>") -> dict[str, Fraction]:
    """Parse CSV ``name,weight`` into exact weights, in file order.

    >>> parse_weights("name,weight\\nA,0.1\\nB,2\\n")
    {'A': Fraction(1, 10), 'B': Fraction(2, 1)}
    """
    table = _parse_table(text, source, ("weight",), "name,weight")
    weights: dict[str, Fraction] = {}
    for number, name, raw in table.rows:
        where = f"{table.source}, row {number}, {table.value_column}"
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise InputError(f"{where}: {raw!r} is not a number; write a weight such as "
                             "1234 or 0.25.") from None
        if not value.is_finite():
            raise InputError(f"{where}: {raw!r} is not a finite number; weights must be >= 0.")
        if value < 0:
            raise InputError(f"{where}: {raw} is negative; weights must be >= 0.")
        if value and not -_EXPONENT_LIMIT <= value.adjusted() <= _EXPONENT_LIMIT:
            raise InputError(f"{where}: {raw} is out of range; write a weight between "
                             f"1e-{_EXPONENT_LIMIT} and 1e{_EXPONENT_LIMIT}.")
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
    table = _parse_table(text, source, aliases, f"name,seats (or name,{kind})")
    bounds: dict[str, int] = {}
    for number, name, raw in table.rows:
        if name not in names:
            raise InputError(f"{table.source}, row {number}, column 1 (name): {name!r} is not in "
                             "the weights; check the spelling or remove the row.")
        try:
            value = int(raw)
        except ValueError:
            raise InputError(f"{table.source}, row {number}, {table.value_column}: {raw!r} is not "
                             "a whole number of seats.") from None
        if value < 0:
            raise InputError(f"{table.source}, row {number}, {table.value_column}: {value} is "
                             "negative; bounds must be >= 0.")
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
        raise InputError("Only one input can come from stdin ('-'); give the others as files.")
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
