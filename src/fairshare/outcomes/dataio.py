"""Read history and members CSV files with clear errors, and hash them for model cards."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from fairshare.errors import InputError
from fairshare.i18n import Text, msg


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_csv(path: str | Path, *, what: Text = "file") -> pd.DataFrame:
    """Read a CSV as strings-or-numbers; missing, unreadable or empty files raise InputError."""
    p = Path(path)
    if not p.is_file():
        raise InputError(msg("data_file_missing", what=what, path=str(p)))
    try:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError as exc:
        raise InputError(msg("data_file_empty", what=what, path=str(p))) from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(msg("data_file_unreadable", what=what, path=str(p), problem=str(exc))) from exc
    if frame.empty:
        raise InputError(msg("data_file_no_rows", what=what, path=str(p)))
    frame.columns = [str(c).strip() for c in frame.columns]
    for col in ("age", "birth_year", "arrival_year", "children"):
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame
