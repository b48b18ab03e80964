"""Cells written to CSV files that spreadsheets open: formulas neutralised (any layer uses it)."""

from __future__ import annotations

from typing import Any


def escape_csv_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas: cells starting with = + - @ get a leading quote.

    >>> escape_csv_cell("=SUM(A1)")
    "'=SUM(A1)"
    >>> escape_csv_cell(-3)
    -3
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
