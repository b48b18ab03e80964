"""Signed checkpoints of the audit chain: what detects a truncated or rewritten tail.

The chain alone proves that no entry was changed *before* its last entry; deleting the last
entries, or rewriting them all consistently, leaves a shorter or different chain that still
verifies. A checkpoint is the chain's head (sequence number and hash) signed with Ed25519 by
the registry's signing key; keep it outside the database (send it to the auditor, print it,
commit it elsewhere). ``audit verify --checkpoint C.json`` then refuses a chain that no longer
contains that entry with that hash.

The signing key lives where the pseudonymisation keys do, outside the database, in the keys
folder (``$FAIRSHARE_KEYS_DIR``, default ``$FAIRSHARE_HOME/keys``), as
``_audit-signing.ed25519`` (PKCS#8 PEM, mode 0600). It is created by the first checkpoint;
back it up with the other keys. A copy of the database alone cannot forge a checkpoint.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fairshare.errors import InputError, StoreError
from fairshare.exchange.reader import Document, Source
from fairshare.i18n import Message, msg
from fairshare.privatefs import private_dir, write_private_text
from fairshare.service.context import Context
from fairshare.service.models import CheckpointInfo
from fairshare.store.audit import canonical_json, utc_text
from fairshare.store.engine import read_transaction
from fairshare.store.tables import audit_entries

FORMAT = "fairshare-audit-checkpoint/1"
KEY_FILE = "_audit-signing.ed25519"  # cannot clash with an agreement's "<id>.key"


def signing_key_path(keys_dir: Path) -> Path:
    """Where the registry's audit signing key is kept."""
    return keys_dir / KEY_FILE


def _load_private(keys_dir: Path, *, create: bool) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = signing_key_path(keys_dir)
    if not path.exists():
        if not create:
            raise StoreError(msg("checkpoint_key_missing", path=str(path)))
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            private_dir(keys_dir)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.fchmod(fd, 0o600)
        except OSError as exc:
            raise StoreError(msg("checkpoint_key_create", path=str(path),
                                 reason=str(exc.strerror))) from exc
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        return key
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise StoreError(msg("checkpoint_key_damaged", path=str(path))) from exc
    if not isinstance(loaded, Ed25519PrivateKey):
        raise StoreError(msg("checkpoint_key_not_ed25519", path=str(path)))
    return loaded


def _public_hex(key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    return str(raw.hex())


def _payload(doc: dict[str, Any]) -> bytes:
    return canonical_json({k: doc[k] for k in ("format", "seq", "hash", "at", "public_key")}
                          ).encode("utf-8")


def write_checkpoint(ctx: Context, *, out: str | Path) -> CheckpointInfo:
    """Sign the chain's current head and write it to ``out`` (JSON).

    Raises:
        InputError: the chain is empty, or ``out`` cannot be written.
    """
    with read_transaction(ctx.engine) as conn:
        head = conn.execute(select_head()).first()
    if head is None:
        raise InputError(msg("checkpoint_chain_empty"))
    key = _load_private(ctx.settings.keys_dir, create=True)
    doc: dict[str, Any] = {"format": FORMAT, "seq": int(head.seq), "hash": str(head.hash),
                           "at": utc_text(ctx.now()), "public_key": _public_hex(key)}
    doc["signature"] = key.sign(_payload(doc)).hex()
    path = Path(out)
    try:
        write_private_text(path, json.dumps(doc, indent=2) + "\n")
    except OSError as exc:
        raise InputError(msg("checkpoint_cannot_write", where=str(path),
                             reason=str(exc.strerror))) from exc
    return CheckpointInfo(str(path), doc["seq"], doc["hash"], doc["public_key"])


def select_head() -> Any:
    """The query of the chain's last entry."""
    from sqlalchemy import select

    return select(audit_entries.c.seq, audit_entries.c.hash).order_by(
        audit_entries.c.seq.desc()).limit(1)


def read_checkpoint(source: Source) -> dict[str, Any]:
    """A checkpoint file's content, checked for shape (not yet for its signature)."""
    if isinstance(source, Document):
        name, data = source.name, source.data
    else:
        name = str(source)
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise InputError(msg("checkpoint_cannot_read", where=name,
                                 reason=str(exc.strerror))) from exc
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(msg("checkpoint_not_json", where=name)) from exc
    missing = [k for k in ("format", "seq", "hash", "at", "public_key", "signature")
               if not isinstance(doc, dict) or k not in doc]
    if missing:
        raise InputError(msg("checkpoint_missing_fields", where=name, missing=", ".join(missing)))
    if doc["format"] != FORMAT:
        raise InputError(msg("checkpoint_format", where=name, format=str(doc["format"]),
                             expected=FORMAT))
    if not isinstance(doc["seq"], int) or doc["seq"] < 1:
        raise InputError(msg("checkpoint_seq", where=name))
    return dict(doc)


def check_checkpoint(ctx: Context, conn: Any, doc: dict[str, Any]) -> Message | None:
    """None when the chain still holds the checkpoint's head; otherwise what is wrong."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from sqlalchemy import select

    key = _load_private(ctx.settings.keys_dir, create=False)
    if doc["public_key"] != _public_hex(key):
        return msg("audit_checkpoint_other_key")
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(doc["public_key"])).verify(
            bytes.fromhex(str(doc["signature"])), _payload(doc))
    except (InvalidSignature, ValueError):
        return msg("audit_checkpoint_bad_signature")
    row = conn.execute(select(audit_entries.c.hash).where(
        audit_entries.c.seq == doc["seq"])).first()
    if row is None:
        last = conn.execute(select_head()).first()
        now = 0 if last is None else int(last.seq)
        return msg("audit_checkpoint_truncated", at=doc["at"], seq=doc["seq"], now=now)
    if row.hash != doc["hash"]:
        return msg("audit_checkpoint_rewritten", at=doc["at"], seq=doc["seq"])
    return None


def checkpoint_if_changed(ctx: Context, folder: str | Path) -> CheckpointInfo | None:
    """Write ``folder/checkpoint-<seq>.json`` for the chain's head unless one exists already
    for that entry (or the chain is empty); returns what was written, else None."""
    with read_transaction(ctx.engine) as conn:
        head = conn.execute(select_head()).first()
    if head is None:
        return None
    path = Path(folder) / f"checkpoint-{int(head.seq):012d}.json"
    if path.exists():
        return None
    return write_checkpoint(ctx, out=path)


class CheckpointSchedule:
    """Signed checkpoints written by a background thread: at start, every ``minutes``, and at
    stop (``serve --checkpoint-dir DIR``). A checkpoint is written only when the head moved;
    a failure is logged and retried at the next tick (it never stops the server).

    The folder should be outside the database's reach (another disk, a mounted share the
    auditor owns): a checkpoint beside the database can be deleted with it.
    """

    def __init__(self, ctx: Context, folder: str | Path, minutes: float) -> None:
        import threading

        if not minutes > 0:
            raise InputError(msg("checkpoint_minutes", minutes=minutes))
        self.ctx = ctx
        self.folder = Path(folder)
        self.seconds = minutes * 60.0
        self.written: list[CheckpointInfo] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="fairshare-checkpoints",
                                        daemon=True)

    def tick(self) -> CheckpointInfo | None:
        """One checkpoint now, if the head moved (errors logged, not raised)."""
        import logging

        try:
            info = checkpoint_if_changed(self.ctx, self.folder)
        except Exception as exc:  # keep serving; the next tick tries again
            logging.getLogger("fairshare.checkpoint").error(
                "scheduled audit checkpoint failed: %s", exc)
            return None
        if info is not None:
            self.written.append(info)
            logging.getLogger("fairshare.checkpoint").info(
                "audit checkpoint of entry %s written to %s", info.seq, info.path)
        return info

    def _loop(self) -> None:
        self.tick()
        while not self._stop.wait(self.seconds):
            self.tick()

    def start(self) -> CheckpointSchedule:
        """Check the folder can be written, then start the thread."""
        try:
            private_dir(self.folder)
        except OSError as exc:
            raise InputError(msg("checkpoint_dir", folder=str(self.folder),
                                 reason=str(exc.strerror))) from exc
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread and write a last checkpoint."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.tick()
