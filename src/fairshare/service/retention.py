"""Use case: apply the retention schedule as of a date, leaving audit tombstones."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, func, select, update

from fairshare.errors import InputError
from fairshare.exchange.retention import RetentionPolicy, load_retention_policy
from fairshare.i18n import msg
from fairshare.service.common import PURPOSE, record
from fairshare.service.context import Context
from fairshare.service.models import PurgeResult
from fairshare.service.snapshot import load_snapshot, redact_snapshot, store_snapshot
from fairshare.store.engine import truncate_wal, write_transaction
from fairshare.store.tables import (
    agreements,
    claimants,
    consents,
    decisions,
    families,
    import_batches,
    preferences,
    recommendations,
    runs,
)

TOMBSTONE_IDS = 500
PURGED_REASON = "(removed under the retention schedule)"
PERSONAL = {"birth_year": None, "sex": None, "languages": None, "education": None,
            "work_experience_years": None, "occupation_group": None, "arrived_on": None}


def _tombstones(conn: Connection, ctx: Context, *, who: str, category: str, entity_type: str,
                ids: list[str], as_of: dt.date, action: str) -> int:
    n = 0
    for i in range(0, len(ids), TOMBSTONE_IDS):
        part = ids[i:i + TOMBSTONE_IDS]
        record(conn, at=ctx.now(), actor=who, action=f"purge.{action}", entity_type=entity_type,
               entity_id=part[0] if len(part) == 1 else f"{len(part)} {entity_type}s",
               details={"category": category, "as_of": as_of.isoformat(), "ids": part})
        n += 1
    return n


def _random_digests(conn: Connection, table: Any, ids: list[str]) -> None:
    """Replace the stored content digests of ``ids`` by random values: an HMAC of exactly the
    purged fields, with its key beside the database, would let anyone check guesses of them."""
    for i in ids:
        conn.execute(update(table).where(table.c.id == i).values(
            content_sha256=secrets.token_hex(32)))


def _anonymise(conn: Connection, ctx: Context, ids: list[str]) -> None:
    now = ctx.now()
    for i in range(0, len(ids), 500):
        conn.execute(update(claimants).where(claimants.c.id.in_(ids[i:i + 500])).values(
            **PERSONAL, anonymised_at=now))
    _random_digests(conn, claimants, ids)
    # A family is anonymised once none of its members keeps personal data.
    done = select(families.c.id).where(families.c.anonymised_at.is_(None), ~select(
        claimants.c.id).where(claimants.c.family_id == families.c.id,
                              claimants.c.anonymised_at.is_(None)).exists())
    fam_ids = list(conn.execute(done).scalars())
    for i in range(0, len(fam_ids), 500):
        part = fam_ids[i:i + 500]
        conn.execute(preferences.delete().where(preferences.c.family_id.in_(part)))
        conn.execute(update(families).where(families.c.id.in_(part)).values(
            services=[], excluded=[], ties=[], anonymised_at=now))
        # Explanations name the family's factors; reasons may describe its circumstances.
        conn.execute(update(recommendations).where(recommendations.c.family_id.in_(part))
                     .values(explanation=None))
        rec_ids = select(recommendations.c.id).where(recommendations.c.family_id.in_(part))
        conn.execute(update(decisions).where(decisions.c.recommendation_id.in_(rec_ids))
                     .values(reason=PURGED_REASON, reason_salt=None))
    _random_digests(conn, families, fam_ids)
    # A batch's digest covers its members' content: re-keyed once none of them keeps any.
    touched: set[int] = set()
    for i in range(0, len(ids), 500):
        touched |= set(conn.execute(select(claimants.c.batch_id).where(
            claimants.c.id.in_(ids[i:i + 500])).distinct()).scalars())
    for b in sorted(touched):
        kept = conn.execute(select(claimants.c.id).where(
            claimants.c.batch_id == b, claimants.c.anonymised_at.is_(None)).limit(1)).first()
        if kept is None:
            conn.execute(update(import_batches).where(import_batches.c.id == b).values(
                content_sha256=secrets.token_hex(32)))


def _redact_snapshots(conn: Connection) -> list[str]:
    """Clear the attributes of every anonymised claimant and family from every stored run
    snapshot (claimants purged before snapshots were redacted included); the runs changed."""
    members = set(conn.execute(select(claimants.c.id).where(
        claimants.c.anonymised_at.is_not(None))).scalars())
    fams = set(conn.execute(select(families.c.id).where(
        families.c.anonymised_at.is_not(None))).scalars())
    if not members and not fams:
        return []
    changed = []
    for run_id in list(conn.execute(select(runs.c.id).where(runs.c.snapshot.is_not(None))
                                    .order_by(runs.c.id)).scalars()):
        doc = load_snapshot(conn, run_id)
        redacted = redact_snapshot(doc, members=members, families=fams) if doc else None
        if redacted is not None:
            store_snapshot(conn, run_id, redacted)
            changed.append(run_id)
    return changed


def purge(ctx: Context, *, as_of: dt.date, policy: str | Path | None = None,
          actor: str | None = None) -> PurgeResult:
    """Anonymise or delete what has expired on ``as_of`` under the schedule, in one transaction.

    ``as_of`` may not be later than the context's clock (no purging ahead of time). Claimant
    data use the shorter of the schedule and the agreement's ``retention_days``.
    """
    schedule: RetentionPolicy = load_retention_policy(policy)
    if as_of > ctx.today():
        raise InputError(msg("error_purge_future", day=as_of, today=ctx.today()))
    who = actor or ctx.settings.actor
    counts: dict[str, int] = {}
    tombs = 0
    cats = schedule.categories
    with write_transaction(ctx.engine) as conn:
        if "claimants" in cats:
            rule = cats["claimants"]
            ids: list[str] = []
            for ag in conn.execute(select(agreements.c.id, agreements.c.retention_days)):
                days = min(rule.days, int(ag.retention_days))
                cutoff = dt.datetime.combine(as_of - dt.timedelta(days=days), dt.time(),
                                             tzinfo=dt.UTC)
                ids += conn.execute(select(claimants.c.id).join(
                    families, families.c.id == claimants.c.family_id).where(
                    families.c.agreement_id == ag.id, claimants.c.anonymised_at.is_(None),
                    claimants.c.created_at < cutoff).order_by(claimants.c.id)).scalars().all()
            _anonymise(conn, ctx, ids)
            counts["claimants"] = len(ids)
            tombs += _tombstones(conn, ctx, who=who, category="claimants",
                                 entity_type="claimant", ids=ids, as_of=as_of,
                                 action=rule.action)
        if "withdrawn_claimants" in cats:
            rule = cats["withdrawn_claimants"]
            latest = (select(consents.c.claimant_id, func.max(consents.c.id).label("last"))
                      .where(consents.c.purpose == PURPOSE)
                      .group_by(consents.c.claimant_id).subquery())
            ids = list(conn.execute(
                select(claimants.c.id).join(latest, latest.c.claimant_id == claimants.c.id)
                .join(consents, consents.c.id == latest.c.last)
                .where(and_(consents.c.state == "withdrawn",
                            consents.c.recorded_at < rule.cutoff(as_of),
                            claimants.c.anonymised_at.is_(None)))
                .order_by(claimants.c.id)).scalars())
            _anonymise(conn, ctx, ids)
            counts["withdrawn_claimants"] = len(ids)
            tombs += _tombstones(conn, ctx, who=who, category="withdrawn_claimants",
                                 entity_type="claimant", ids=ids, as_of=as_of,
                                 action=rule.action)
        if "run_snapshots" in cats:
            rule = cats["run_snapshots"]
            ids = list(conn.execute(select(runs.c.id).where(
                runs.c.created_at < rule.cutoff(as_of), runs.c.snapshot.is_not(None))
                .order_by(runs.c.id)).scalars())
            if ids:
                conn.execute(update(runs).where(runs.c.id.in_(ids)).values(snapshot=None))
            counts["run_snapshots"] = len(ids)
            tombs += _tombstones(conn, ctx, who=who, category="run_snapshots", entity_type="run",
                                 ids=ids, as_of=as_of, action=rule.action)
        if "explanations" in cats:
            rule = cats["explanations"]
            old_runs = select(runs.c.id).where(runs.c.created_at < rule.cutoff(as_of))
            ids = list(conn.execute(select(recommendations.c.run_id).where(
                recommendations.c.run_id.in_(old_runs),
                recommendations.c.explanation.is_not(None)).distinct()
                .order_by(recommendations.c.run_id)).scalars())
            n = 0
            if ids:
                n = conn.execute(update(recommendations).where(
                    recommendations.c.run_id.in_(ids)).values(explanation=None)).rowcount
            counts["explanations"] = int(n)
            tombs += _tombstones(conn, ctx, who=who, category="explanations", entity_type="run",
                                 ids=ids, as_of=as_of, action=rule.action)
        if "decision_reasons" in cats:
            rule = cats["decision_reasons"]
            ids = [str(i) for i in conn.execute(select(decisions.c.id).where(
                decisions.c.decided_at < rule.cutoff(as_of),
                decisions.c.reason != PURGED_REASON).order_by(decisions.c.id)).scalars()]
            for i in range(0, len(ids), 500):
                conn.execute(update(decisions).where(decisions.c.id.in_(
                    [int(x) for x in ids[i:i + 500]])).values(reason=PURGED_REASON,
                                                              reason_salt=None))
            counts["decision_reasons"] = len(ids)
            tombs += _tombstones(conn, ctx, who=who, category="decision_reasons",
                                 entity_type="decision", ids=ids, as_of=as_of,
                                 action=rule.action)
        redacted = _redact_snapshots(conn)
        counts["snapshots_redacted"] = len(redacted)
        if redacted:
            tombs += _tombstones(conn, ctx, who=who, category="run_snapshots",
                                 entity_type="run", ids=redacted, as_of=as_of, action="redact")
        record(conn, at=ctx.now(), actor=who, action="purge.run", entity_type="retention",
               entity_id=as_of.isoformat(), details={"counts": counts, "policy": schedule.label})
    # What the purge overwrote must not stay readable in SQLite's WAL.
    truncate_wal(ctx.engine)
    return PurgeResult(as_of, counts, tombs + 1)
