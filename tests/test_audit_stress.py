"""A bounded stress test of the audit class (issue 15, "Done when"): many concurrent writers
keep one unbroken chain, and every random tampering of a seeded chain is detected and named.
Loopback databases only, fixed seeds, well under a minute."""

from __future__ import annotations

import random
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

from sqlalchemy import select

import registry_fixtures as rf
from fairshare.service import Context, Settings, open_context, verify_audit
from fairshare.store.audit import append_entry
from fairshare.store.engine import write_transaction
from fairshare.store.tables import audit_entries

registry = rf.registry
sqlite_registry = rf.sqlite_registry
WRITERS, EACH = 12, 10


def _write(ctx: Context, who: int, errors: list[BaseException]) -> None:
    try:
        for i in range(EACH):
            with write_transaction(ctx.engine) as conn:
                append_entry(conn, actor=f"writer-{who}", action="stress.write",
                             entity_type="thing", entity_id=f"w{who}-{i}", at=ctx.now(),
                             details={"writer": who, "i": i, "note": "é"})
    except BaseException as exc:  # reported by the main thread
        errors.append(exc)


def test_concurrent_writers_keep_one_unbroken_chain(registry: Context) -> None:
    with registry.engine.connect() as conn:
        before = len(conn.execute(select(audit_entries.c.seq)).all())
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_write, args=(registry, w, errors))
               for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with registry.engine.connect() as conn:
        seqs = list(conn.execute(select(audit_entries.c.seq).order_by(audit_entries.c.seq))
                    .scalars())
    assert seqs == list(range(1, before + WRITERS * EACH + 1))  # no gap, no duplicate
    assert verify_audit(registry).ok


MUTATIONS = (
    ("UPDATE audit_entries SET actor = 'mallory' WHERE seq = {seq}", "altered", 0),
    ("UPDATE audit_entries SET details = '{{\"i\": -1}}' WHERE seq = {seq}", "altered", 0),
    ("UPDATE audit_entries SET action = 'nothing.happened' WHERE seq = {seq}", "altered", 0),
    ("UPDATE audit_entries SET entity_id = 'someone-else' WHERE seq = {seq}", "altered", 0),
    ("DELETE FROM audit_entries WHERE seq = {seq}", "missing", 1),
)


def test_every_random_tampering_is_named(sqlite_registry: Context, tmp_path: Path) -> None:
    """40 rounds (seed 15): one random entry of a 30-entry chain changed or deleted behind the
    application's back; verify names that entry (or, for a deletion, the one after it)."""
    with write_transaction(sqlite_registry.engine) as conn:
        for i in range(30):
            append_entry(conn, actor="tester", action="stress.write", entity_type="thing",
                         entity_id=f"t{i}", at=sqlite_registry.now(), details={"i": i})
    with sqlite_registry.engine.connect() as conn:
        last = int(conn.execute(select(audit_entries.c.seq).order_by(
            audit_entries.c.seq.desc()).limit(1)).scalar_one())
    source = Path(str(sqlite_registry.engine.url.database))
    rng = random.Random(15)
    for round_no in range(40):
        seq = rng.randint(1, last - 1)  # the head's deletion needs a checkpoint (tested apart)
        statement, words, shift = rng.choice(MUTATIONS)
        folder = tmp_path / f"round-{round_no}"
        folder.mkdir()
        with closing(sqlite3.connect(source)) as src, \
                closing(sqlite3.connect(folder / "fairshare.sqlite")) as dst:
            src.backup(dst)  # a consistent copy, what the WAL holds included
        ctx = open_context(Settings.for_home(folder))
        try:
            rf.tamper(ctx, statement.format(seq=seq))
            result = verify_audit(ctx)
        finally:
            ctx.close()
        assert not result.ok, (round_no, statement, seq)
        assert result.first_broken == seq + shift, (round_no, statement, seq, result)
        assert words in str(result.problem), (round_no, statement, result.problem)
