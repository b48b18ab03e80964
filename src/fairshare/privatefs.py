"""Files private by default: what fairshare creates is readable by its owner only.

The database (and with it SQLite's ``-wal`` and ``-shm`` files, which SQLite creates with the
database file's mode), keys, exports and reports hold pseudonymised personal data or secrets.
They are created ``0600`` in folders created ``0700`` whatever the process umask is (a mode
given to ``open``/``mkdir`` is only an upper bound the umask narrows, so the mode is set again
explicitly). Folders that already exist (the current directory, a user's chosen output folder)
are left as they are.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents with mode 0700; existing folders are untouched."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # created meanwhile by another process: leave it as it is
        folder.chmod(DIR_MODE)
    return path


def open_private(path: Path, mode: str = "w", *, encoding: str | None = "utf-8",
                 newline: str | None = None) -> IO[Any]:
    """Open ``path`` for writing (truncated), mode 0600 whether new or not; parents 0700.

    Args:
        path: The file to write.
        mode: ``"w"`` (text) or ``"wb"`` (bytes).
        encoding: Text encoding (ignored for bytes).
        newline: As for :func:`open`.
    """
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    if "b" in mode:
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding=encoding, newline=newline)


def write_private_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` with mode 0600."""
    with open_private(path) as handle:
        handle.write(text)
    return path


def write_private_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` with mode 0600."""
    with open_private(path, "wb") as handle:
        handle.write(data)
    return path


def create_private_file(path: Path) -> None:
    """Create an empty ``path`` with mode 0600 unless it exists (parents 0700)."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.fchmod(fd, FILE_MODE)
    os.close(fd)
