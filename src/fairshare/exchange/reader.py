"""Read a claimant batch from CSV or JSON into rows of text, with clear errors."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fairshare.errors import InputError, at
from fairshare.i18n import Num, msg

MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Document:
    """A file received as bytes (an upload): its name (which gives the format by its suffix
    and names it in errors) and its content. The services take one wherever they take a path,
    so an upload never goes through a temporary file."""

    name: str
    data: bytes = field(repr=False)  # never in a message or a log line


Source = str | Path | Document


def source_name(source: Source) -> str:
    """How errors name ``source``."""
    return source.name if isinstance(source, Document) else str(source)


def read_batch(path: Source) -> tuple[list[str], list[dict[str, Any]], bytes]:
    """Columns, rows and the file's bytes of a ``.csv`` or ``.json`` batch.

    JSON is a list of objects (or ``{"claimants": [...]}``); the columns are the union of the
    objects' keys in first-seen order.
    """
    if isinstance(path, Document):
        columns, rows = parse_batch(path.data, path.name)
        return columns, rows, path.data
    p = Path(path)
    if p.suffix.lower() not in (".csv", ".json"):
        raise InputError(msg("file_use_csv_json", where=str(p)))
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise InputError(msg("file_too_large", where=str(p), size=Num(size),
                                 limit=Num(MAX_BYTES)))
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(msg("file_cannot_read", where=str(p), reason=str(exc.strerror))) from exc
    columns, rows = parse_batch(data, str(p))
    return columns, rows, data


def parse_batch(data: bytes, name: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and rows of a batch given as bytes (an upload); ``name`` gives the format by its
    suffix (``.csv`` or ``.json``) and names the file in errors."""
    p = Path(name or "upload")
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise InputError(msg("file_use_csv_json", where=str(p)))
    if len(data) > MAX_BYTES:
        raise InputError(msg("file_too_large", where=str(p), size=Num(len(data)),
                             limit=Num(MAX_BYTES)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(msg("file_line_not_utf8", where=str(p), line=line, byte=exc.start)) from exc
    if "\x00" in text:
        raise InputError(msg("file_nul_bytes", where=str(p)))
    if suffix == ".csv":
        columns, rows = _csv_rows(p, text)
    else:
        columns, rows = _json_rows(p, text)
    if not rows:
        raise InputError(msg("file_no_rows", where=str(p)))
    return columns, rows


def _csv_rows(p: Path, text: str) -> tuple[list[str], list[dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header:
            raise InputError(msg("file_empty_header_first", where=str(p)))
        columns = [h.strip() for h in header]
        rows: list[dict[str, Any]] = []
        for number, cells in enumerate(reader, start=1):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(columns):
                raise InputError(msg("file_row_cells", where=str(p), row=number, cells=len(cells),
                                     columns=len(columns)))
            rows.append(dict(zip(columns, cells, strict=True)))
    except csv.Error as exc:
        raise InputError(msg("file_bad_csv_line", where=str(p), line=reader.line_num,
                             problem=str(exc))) from exc
    return columns, rows


def _json_rows(p: Path, text: str) -> tuple[list[str], list[dict[str, Any]]]:
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(msg("file_bad_json", where=str(p), line=exc.lineno, column=exc.colno,
                             problem=exc.msg)) from exc
    if isinstance(doc, dict) and isinstance(doc.get("claimants"), list):
        doc = doc["claimants"]
    if not isinstance(doc, list):
        raise InputError(msg("file_json_not_list", where=str(p)))
    columns: list[str] = []
    rows: list[dict[str, Any]] = []
    for number, item in enumerate(doc, start=1):
        if not isinstance(item, dict):
            raise InputError(msg("file_json_row_not_object", where=str(p), row=number))
        for key in item:
            if key not in columns:
                columns.append(str(key))
        cleaned: dict[str, Any] = {}
        for key, value in item.items():
            if isinstance(value, dict | list):
                raise InputError(msg("file_json_nested", where=at(p, number, str(key))))
            cleaned[str(key)] = "" if value is None else value
        rows.append(cleaned)
    return columns, rows
