"""Read history and members CSV files with clear errors, and hash them for model cards."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from fairshare.errors import InputError


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_csv(path: str | Path, *, what: str = "file") -> pd.DataFrame:
    """Read a CSV as strings-or-numbers; missing, unreadable or empty files raise InputError."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what} {p} does not exist; give the path of a CSV file.")
    try:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{what} {p} is empty; it needs a header line and at least one row.") \
            from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{what} {p} is not a readable CSV file: {exc}") from exc
    if frame.empty:
        raise InputError(f"{what} {p} has a header but no rows; add at least one row.")
    frame.columns = [str(c).strip() for c in frame.columns]
    for col in ("age", "birth_year", "arrival_year", "children"):
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame
