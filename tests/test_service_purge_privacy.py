"""Anonymisation that holds: after a purge, nothing that could restore a purged claimant is left
in the database file, its WAL, any run snapshot or (on PostgreSQL) any table's text.

Each purged value is a canary: occupation, languages, birth year, a free-text decision reason,
the partner's raw ids, the content digests (HMACs of exactly the purged fields, whose key sits
beside the database) and the unsalted digest of the reason.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

from sqlalchemy import inspect, select, text

import registry_fixtures as rf
from fairshare.exchange.pseudonym import load_key, pseudonymise
from fairshare.service import (
    Context,
    change_consent,
    create_run,
    decide,
    import_claimants,
    open_explanation,
    purge,
    replay_run,
    show_audit,
    show_run,
    verify_audit,
)
from fairshare.service.snapshot import decode_snapshot
from fairshare.store.audit import canonical_json
from fairshare.store.tables import claimants, decisions, families, import_batches, runs
from registry_fixtures import AGREEMENT, FrozenClock, add_offers, person, write_csv

registry = rf.registry

REASON = "CANARY-REASON her brother Yusuf works at the Moncton hospital"
BIRTH_YEAR = 1931
OCCUPATION = "agriculture_food"


def _seed(ctx: Context, folder: Path) -> list[dict[str, str]]:
    rows = [person(f"ZQX-C{f}-{m}", f"ZQX-F{f}", birth_year=BIRTH_YEAR + f,
                   occupation_group=OCCUPATION, languages="ar:fluent;fr:basic",
                   work_experience_years="37.5", preferences="NB;ON", ties="NB")
            for f in range(3) for m in range(2)]
    cols = [*rows[0]]
    import_claimants(ctx, path=write_csv(folder / "b.csv", rows, cols), agreement_id=AGREEMENT)
    add_offers(ctx, folder, [("NB-1", "NB", 6), ("ON-1", "ON", 6)])
    return rows


def _table_text(ctx: Context) -> str:
    """Every row of every table as text (what SQL can read)."""
    out = []
    with ctx.engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            if conn.dialect.name == "postgresql":
                out += [str(r[0]) for r in conn.execute(text(f'SELECT t::text FROM "{name}" t'))]
            else:
                out += [repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{name}"'))]
    return "\n".join(out)


def _file_bytes(ctx: Context) -> tuple[bytes, bytes]:
    path = Path(ctx.engine.url.database or "")
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes(), (wal.read_bytes() if wal.exists() else b"")


def test_purge_leaves_nothing_that_restores_a_claimant(registry: Context, tmp_path):
    clock = registry.clock
    assert isinstance(clock, FrozenClock)
    rows = _seed(registry, tmp_path)
    key = load_key(registry.settings.keys_dir, AGREEMENT)
    fam_ids = sorted({pseudonymise(key, "f", r["family_id"]) for r in rows})
    run = create_run(registry, policy="outcome", key="canada-population").run
    rec = show_run(registry, run_id=run.id).recommendations[0]
    open_explanation(registry, run_id=run.id, family_id=rec.family_id, actor="bob")
    decide(registry, run_id=run.id, family_id=rec.family_id, kind="accept", reason=REASON,
           decided_by="bob")
    with registry.engine.connect() as conn:
        digests = [*conn.execute(select(claimants.c.content_sha256)).scalars(),
                   *conn.execute(select(families.c.content_sha256)).scalars(),
                   *conn.execute(select(import_batches.c.content_sha256)).scalars()]
        salt = conn.execute(select(decisions.c.reason_salt)).scalar_one()
    assert salt and len(digests) == 6 + 3 + 1
    entry = show_audit(registry, action="decision.accept")[-1]
    salted = hmac.new(bytes.fromhex(salt), REASON.encode(), hashlib.sha256).hexdigest()
    assert entry.details["reason_sha256"] == salted  # checkable while the salt is kept
    unsalted = hashlib.sha256(REASON.encode()).hexdigest()
    for fid in fam_ids:
        change_consent(registry, subject=fid, state="withdrawn")
    clock.advance(days=31)
    result = purge(registry, as_of=clock().date())
    assert result.counts["withdrawn_claimants"] == 6
    assert result.counts["snapshots_redacted"] == 1

    # The audit entry keeps the salted digest; without the salt it matches no guess.
    canaries = [REASON, "Yusuf", OCCUPATION, "fluent", "37.5", unsalted, salt,
                *digests, *{r["claimant_id"] for r in rows}, *{r["family_id"] for r in rows}]
    # Timestamps print fractional seconds ("14:28:37.51"): a work experience of 37.5 years
    # counts only where no colon or digit is glued to it.
    tables = re.sub(r"[:\d]37\.5|37\.5\d", "", _table_text(registry))
    assert [c for c in canaries if c in tables] == []
    with registry.engine.connect() as conn:
        docs = [decode_snapshot(s) for s in conn.execute(select(runs.c.snapshot)).scalars()]
    snapshots = "\n".join(canonical_json(d) for d in docs if d is not None)
    assert snapshots  # the run keeps its (redacted) snapshot until its own retention ends
    years = [f'"birth_year":{BIRTH_YEAR + f}' for f in range(3)]
    assert [c for c in [*canaries, *years] if c in snapshots] == []
    if registry.engine.dialect.name == "sqlite":
        database, wal = _file_bytes(registry)
        assert wal == b""  # checkpointed and truncated
        found = [c for c in canaries if c.encode() in database]
        assert found == []
    # A new digest is no HMAC of the purged fields: recomputing one from the record misses.
    with registry.engine.connect() as conn:
        kept = set(conn.execute(select(claimants.c.content_sha256)).scalars())
    assert not kept & set(digests)
    replay = replay_run(registry, run_id=run.id)
    assert not replay.identical and "no longer matches its recorded hash" in str(replay.differences[0])
    assert [e.details["category"] for e in show_audit(registry, action="purge.redact")] == [
        "run_snapshots"]
    assert verify_audit(registry).ok
    assert purge(registry, as_of=clock().date()).counts["snapshots_redacted"] == 0  # once


def test_sqlite_connections_zero_what_they_delete(tmp_path):
    from fairshare.store.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    engine.dispose()
