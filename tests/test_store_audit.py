"""The store: pragmas, migrations, and the append-only, hash-chained audit log (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

import registry_fixtures as rf
from fairshare.service import Context, init_database, show_audit, status, verify_audit
from fairshare.store import make_engine
from fairshare.store.audit import append_entry
from fairshare.store.engine import write_transaction
from fairshare.store.tables import audit_entries

registry = rf.registry
sqlite_registry = rf.sqlite_registry


def _append(ctx: Context, n: int) -> None:
    with write_transaction(ctx.engine) as conn:
        for i in range(n):
            append_entry(conn, actor="tester", action="test.write", entity_type="thing",
                         entity_id=f"t{i}", at=ctx.now(), details={"i": i, "note": "é"})


def test_sqlite_engine_is_durable(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x' / 'db.sqlite'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_unsupported_database_url_is_a_clear_error():
    from fairshare.errors import StoreError

    with pytest.raises(StoreError, match="not supported"):
        make_engine("mysql://user@host/db")


def test_init_is_idempotent(registry: Context):
    before = status(registry)
    again = init_database(registry)
    assert again.revision == before.revision is not None
    assert again.counts == before.counts  # no new audit entry, no duplicate reference rows


def test_chain_verifies_and_show_filters(registry: Context):
    _append(registry, 5)
    result = verify_audit(registry)
    assert result.ok and result.entries >= 7  # init + agreement + 5
    shown = show_audit(registry, entity_type="thing", entity_id="t3")
    assert [e.details["i"] for e in shown] == [3]
    assert show_audit(registry, limit=2)[-1].entity_id == "t4"


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 2",
    "DELETE FROM audit_entries WHERE seq = 2",
])
def test_triggers_refuse_update_and_delete(registry: Context, statement: str):
    _append(registry, 2)
    with pytest.raises(DBAPIError, match="append-only"), registry.engine.begin() as conn:
        conn.execute(text(statement))
    assert verify_audit(registry).ok


def _tamper(ctx: Context, statement: str) -> None:
    """Change the audit table behind the triggers' back."""
    with ctx.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_entries_no_update"))
            conn.execute(text("DROP TRIGGER audit_entries_no_delete"))
            conn.exec_driver_sql(statement)
        else:
            conn.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
            conn.exec_driver_sql(statement)
            conn.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER USER"))


@pytest.mark.parametrize(("statement", "first_broken", "words"), [
    ("UPDATE audit_entries SET details = '{\"i\":99}' WHERE seq = 4", 4, "altered"),
    ("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 3", 3, "altered"),
    ("DELETE FROM audit_entries WHERE seq = 5", 6, "missing"),
    ("UPDATE audit_entries SET seq = seq + 100 WHERE seq = 7", 8, "missing"),
])
def test_verify_names_the_first_broken_entry(registry: Context, statement, first_broken, words):
    _append(registry, 6)  # entries 1..8
    _tamper(registry, statement)
    result = verify_audit(registry)
    assert not result.ok
    assert result.first_broken == first_broken
    assert words in str(result.problem)


def test_recomputed_hash_after_edit_still_breaks_the_link(registry: Context):
    """Even an attacker who recomputes the edited entry's hash breaks the next link."""
    from fairshare.store.audit import entry_hash

    _append(registry, 4)
    with registry.engine.connect() as conn:
        row = conn.execute(select(audit_entries).where(audit_entries.c.seq == 3)).mappings().one()
    new_hash = entry_hash(seq=3, at=row["at"], actor="mallory", action=row["action"],
                          entity_type=row["entity_type"], entity_id=row["entity_id"],
                          details=row["details"], prev_hash=row["prev_hash"])
    _tamper(registry, f"UPDATE audit_entries SET actor = 'mallory', hash = '{new_hash}' "
                      "WHERE seq = 3")
    result = verify_audit(registry)
    assert not result.ok and result.first_broken == 4


def _first_entry(ctx: Context) -> dict[str, object]:
    with ctx.engine.connect() as conn:
        row = conn.execute(select(audit_entries).where(audit_entries.c.seq == 1)).one()
    return dict(row._mapping)


@pytest.mark.parametrize("clash", ["seq", "hash", "prev_hash"])
def test_sqlite_insert_or_replace_cannot_rewrite_an_entry(sqlite_registry: Context, clash: str):
    """REPLACE deletes the clashing row then inserts; it must be refused like a DELETE."""
    _append(sqlite_registry, 2)
    original = _first_entry(sqlite_registry)
    forged = {**original, "actor": "mallory"}
    if clash != "seq":
        forged["seq"] = 10_000
    for other in ("hash", "prev_hash"):
        if other != clash:
            forged[other] = f"{other[0]}" * 64
    columns = ", ".join(forged)
    values = ", ".join(f":{name}" for name in forged)
    for verb in ("INSERT OR REPLACE", "REPLACE"):
        with pytest.raises(DBAPIError, match="append-only"), sqlite_registry.engine.begin() as conn:
            conn.execute(text(f"{verb} INTO audit_entries ({columns}) VALUES ({values})"), forged)
    assert _first_entry(sqlite_registry) == original
    assert verify_audit(sqlite_registry).ok


def test_sqlite_connections_fire_delete_triggers_on_replace(sqlite_registry: Context):
    with sqlite_registry.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA recursive_triggers").scalar() == 1


def test_upsert_on_conflict_do_update_is_refused(registry: Context):
    """``INSERT ... ON CONFLICT DO UPDATE`` (PostgreSQL, and SQLite's UPSERT) cannot edit."""
    _append(registry, 2)
    original = _first_entry(registry)
    with pytest.raises(DBAPIError, match="append-only"), registry.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO audit_entries (seq, at, actor, action, entity_type, entity_id, details, "
            "prev_hash, hash) VALUES (:seq, :at, 'mallory', :action, :entity_type, :entity_id, "
            ":details, :prev_hash, :hash) ON CONFLICT (seq) DO UPDATE SET actor = EXCLUDED.actor"),
            original)
    assert _first_entry(registry) == original
    assert verify_audit(registry).ok
