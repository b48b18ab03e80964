"""Pseudonyms: partner identifiers replaced by a keyed hash (HMAC-SHA256), a key per agreement.

The keys live in files outside the database (``$FAIRSHARE_HOME/keys/<agreement>.key`` by
default), so a copy of the database alone cannot be joined back to the partner's records, and
the same person exported under two agreements gets two unrelated pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from fairshare.errors import StoreError
from fairshare.i18n import msg
from fairshare.privatefs import private_dir

KEY_BYTES = 32


def key_path(keys_dir: Path, agreement_id: str) -> Path:
    """Where the key of ``agreement_id`` is kept."""
    return keys_dir / f"{agreement_id}.key"


def ensure_key(keys_dir: Path, agreement_id: str) -> Path:
    """Create the agreement's key (32 random bytes, hex, mode 0600) unless it exists."""
    path = key_path(keys_dir, agreement_id)
    if path.exists():
        return path
    private_dir(keys_dir)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    return path


def load_key(keys_dir: Path, agreement_id: str) -> bytes:
    """The agreement's key; a clear error when the file is missing or damaged."""
    path = key_path(keys_dir, agreement_id)
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except FileNotFoundError as exc:
        raise StoreError(msg("key_file_missing", agreement=agreement_id, path=str(path))) from exc
    except (OSError, ValueError) as exc:
        raise StoreError(msg("key_file_damaged", path=str(path))) from exc
    if len(key) < 16:
        raise StoreError(msg("key_file_too_short", path=str(path)))
    return key


def pseudonymise(key: bytes, kind: str, raw_id: str) -> str:
    """The pseudonym of ``raw_id`` (``kind`` is ``c`` for claimants, ``f`` for families).

    >>> pseudonymise(b"k" * 32, "c", "Q-1") == pseudonymise(b"k" * 32, "c", "Q-1")
    True
    >>> pseudonymise(b"k" * 32, "c", "Q-1") != pseudonymise(b"j" * 32, "c", "Q-1")
    True
    """
    digest = hmac.new(key, f"{kind}:{raw_id}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}-{digest[:32]}"
