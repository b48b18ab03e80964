"""Write an export: only the agreement's fields, CSV cells safe from spreadsheet formulas."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fairshare.errors import InputError
from fairshare.i18n import msg
from fairshare.privatefs import open_private, write_private_text


def escape_formula(value: Any) -> Any:
    """A leading = + - @ (or tab / carriage return) is neutralised with a quote.

    >>> escape_formula("=HYPERLINK(1)"), escape_formula("-2"), escape_formula(3)
    ("'=HYPERLINK(1)", "'-2", 3)
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_export(rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
                 out: str | Path) -> Path:
    """Write ``rows`` (only ``columns``) to ``out`` (.csv with formula escaping, or .json)."""
    p = Path(out)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise InputError(msg("error_export_format", path=str(p)))
    if suffix == ".json":
        write_private_text(p, json.dumps([{c: r.get(c) for c in columns} for r in rows],
                                         ensure_ascii=False, indent=1) + "\n")
        return p
    with open_private(p, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow([escape_formula(r.get(c, "")) for c in columns])
    return p
