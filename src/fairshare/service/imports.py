"""Use case: import a batch of consenting claimants under an agreement, all or nothing."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from fairshare.errors import ConflictError, InputError, StoreError
from fairshare.exchange.pseudonym import load_key, pseudonymise
from fairshare.exchange.reader import Source, read_batch, source_name
from fairshare.exchange.schema import PersonRecord, check_columns, validate_rows
from fairshare.i18n import Text, msg, render
from fairshare.service.access import reach_of
from fairshare.service.common import (
    PURPOSE,
    agreement_in_force,
    get_agreement,
    party_codes,
    record,
    require_active,
)
from fairshare.service.context import Context
from fairshare.service.integrity import batch_digests
from fairshare.service.models import ImportResult
from fairshare.service.roles import Action, Reach
from fairshare.store.bulk import bulk_insert
from fairshare.store.engine import read_transaction, serialise, write_transaction
from fairshare.store.tables import (
    claimants,
    consents,
    families,
    import_batches,
    jurisdictions,
    preferences,
)

Progress = Callable[[int, int], None]
CHUNK = 5000


@dataclass(frozen=True)
class BatchCheck:
    """What :func:`check_batch` found: the validation report (and the valid records)."""

    agreement_id: str
    agreement_active: bool
    rows: int
    families: int
    columns: list[str]
    problems: list[Text]
    columns_ok: bool
    records: list[PersonRecord] = field(repr=False)

    def report(self, *, limit: int = 200, lang: str = "en") -> dict[str, Any]:
        """The report as JSON (at most ``limit`` problems, in ``lang``, and how many more)."""
        return {"agreement_id": self.agreement_id, "agreement_active": self.agreement_active,
                "rows": self.rows, "families": self.families, "columns": self.columns,
                "valid": not self.problems, "problems": [render(p, lang) for p in self.problems[:limit]],
                "more_problems": max(0, len(self.problems) - limit)}


def _keyed_text(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _existing(conn: Connection, column: Any, hash_column: Any, ids: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for i in range(0, len(ids), 900):
        for row in conn.execute(select(column, hash_column).where(column.in_(ids[i:i + 900]))):
            found[row[0]] = row[1]
    return found


def check_batch(ctx: Context, *, path: Source, agreement_id: str,
                scope: str | None = None) -> BatchCheck:
    """Every problem of a claimant batch as the import sees them, without importing.

    Checks the columns against the schema and the agreement's fields, every row against the
    schema, that each row's jurisdiction is a party of the agreement, and (with ``scope``, a
    provincial officer's jurisdiction) that every row is in ``scope``.

    Raises:
        NotFoundError: no such agreement.
    """
    columns, rows, _ = read_batch(path)
    with read_transaction(ctx.engine) as conn:
        agreement = get_agreement(conn, agreement_id)
        codes = frozenset(conn.execute(select(jurisdictions.c.code)).scalars())
    if not codes:
        raise StoreError(msg("error_no_jurisdictions"))
    name = source_name(path)
    problems = list(check_columns(columns, list(agreement.fields), source=name))
    columns_ok = not problems
    records: list[PersonRecord] = []
    if columns_ok:
        records, errors = validate_rows(rows, codes=codes, year=ctx.today().year)
        problems += list(errors)
    parties = party_codes(agreement)
    problems += [msg("batch_cell", row=r.row, column="current_jurisdiction", problem=msg(
        "batch_not_a_party", code=r.current, agreement=agreement_id,
        parties=", ".join(sorted(parties)))) for r in records if r.current not in parties]
    limited = bool(scope) and reach_of(scope, Action.import_claimants) is Reach.own
    out_of_scope = sorted({r.current for r in records if limited and r.current != scope})
    if out_of_scope:
        problems.append(msg("batch_out_of_scope", codes=", ".join(out_of_scope), scope=scope))
    return BatchCheck(agreement_id=agreement_id,
                      agreement_active=agreement_in_force(agreement, ctx.today()),
                      rows=len(rows), families=len({r.family_id for r in records}),
                      columns=list(columns), problems=problems,
                      columns_ok=columns_ok, records=records)


def import_claimants(ctx: Context, *, path: Source, agreement_id: str,
                     actor: str | None = None, progress: Progress | None = None,
                     scope: str | None = None) -> ImportResult:
    """Validate and import a claimant batch (CSV or JSON: a path or an uploaded
    :class:`Document`) under ``agreement_id``.

    Every row is checked against the allow-list schema and the agreement's fields, and its
    jurisdiction must be a party of the agreement; all problems are reported together (row and
    column) and nothing is imported. Partner identifiers are pseudonymised with the
    agreement's key. The same batch twice is imported once; an id seen before with different
    content is a ConflictError naming the ids. One transaction with its audit entry (which
    carries the digests of the family and consent rows written): an interruption leaves
    nothing of the batch.
    """
    who = actor or ctx.settings.actor
    name = source_name(path)
    checked = check_batch(ctx, path=path, agreement_id=agreement_id, scope=scope)
    with read_transaction(ctx.engine) as conn:
        require_active(conn, agreement_id, ctx.today())
    if not checked.columns_ok:
        raise InputError(msg("error_columns_refused", source=name),
                         details=checked.problems)
    if checked.problems:
        raise InputError(msg("error_batch_problems", source=name, n=len(checked.problems)),
                         details=checked.problems)
    records = checked.records
    key = load_key(ctx.settings.keys_dir, agreement_id)
    contents = [r.person_key() for r in records]
    families_seen: dict[str, str] = {}
    for r in records:
        if r.family_id not in families_seen:
            families_seen[r.family_id] = repr(r.family_key())
    batch_hash = _keyed_text(key, repr([sorted(
        (r.claimant_id, r.family_id, c, r.consent_text_version,
         r.consent_at.isoformat() if r.consent_at else None)
        for r, c in zip(records, contents, strict=True)), sorted(families_seen.items())]))
    with write_transaction(ctx.engine) as conn:
        serialise(conn, "import")
        require_active(conn, agreement_id, ctx.today())
        done = conn.execute(select(import_batches.c.id).where(
            import_batches.c.agreement_id == agreement_id,
            import_batches.c.content_sha256 == batch_hash)).first()
        if done is not None:
            return ImportResult(agreement_id, int(done.id), len(records), 0, 0, len(records),
                                True, batch_hash)
        return _store(ctx, conn, records, contents, key=key, agreement_id=agreement_id, who=who,
                      batch_hash=batch_hash, source=Path(name).name, progress=progress)


def _store(ctx: Context, conn: Connection, records: list[PersonRecord],
           contents: list[str], *, key: bytes,
           agreement_id: str, who: str, batch_hash: str, source: str,
           progress: Progress | None) -> ImportResult:
    now = ctx.now()
    fam_ids: dict[str, str] = {}
    fam_first: dict[str, PersonRecord] = {}
    for r in records:
        if r.family_id not in fam_ids:
            fam_ids[r.family_id] = pseudonymise(key, "f", r.family_id)
            fam_first[r.family_id] = r
    people = [(r, pseudonymise(key, "c", r.claimant_id)) for r in records]
    person_hash = {pid: _keyed_text(key, f"{fam_ids[r.family_id]}|{c}")
                   for (r, pid), c in zip(people, contents, strict=True)}
    family_hash = {raw: _keyed_text(key, repr(r.family_key())) for raw, r in fam_first.items()}
    old_people = _existing(conn, claimants.c.id, claimants.c.content_sha256,
                           [pid for _, pid in people])
    old_families = _existing(conn, families.c.id, families.c.content_sha256,
                             list(fam_ids.values()))
    conflicts = [f"row {r.row}: claimant_id '{r.claimant_id}' was imported before with "
                 "different content" for r, pid in people
                 if pid in old_people and old_people[pid] != person_hash[pid]]
    conflicts += [f"row {r.row}: family_id '{raw}' was imported before with different family "
                  "fields" for raw, r in fam_first.items()
                  if fam_ids[raw] in old_families and old_families[fam_ids[raw]] != family_hash[raw]]
    if conflicts:
        raise ConflictError(msg("error_ids_conflict", source=source, n=len(conflicts)),
                            details=conflicts)
    batch_id = int(conn.execute(insert(import_batches).values(
        agreement_id=agreement_id, content_sha256=batch_hash, source_name=source[:300],
        rows=len(records), new_claimants=0, imported_at=now, imported_by=who)
        .returning(import_batches.c.id)).scalar_one())
    new_fams = [(raw, r) for raw, r in fam_first.items() if fam_ids[raw] not in old_families]
    fam_rows = [{"id": fam_ids[raw], "agreement_id": agreement_id, "batch_id": batch_id,
                 "current_code": r.current, "services": list(r.services),
                 "excluded": list(r.excluded), "ties": list(r.ties),
                 "content_sha256": family_hash[raw], "status": "waiting", "created_at": now}
                for raw, r in new_fams]
    pref_rows = [{"family_id": fam_ids[raw], "rank": i, "code": code}
                 for raw, r in new_fams for i, code in enumerate(r.preferences, start=1)]
    new_people = [(r, pid) for r, pid in people if pid not in old_people]
    total = len(fam_rows) + len(pref_rows) + 2 * len(new_people)
    done = 0

    def put(table: Any, batch: list[dict[str, Any]]) -> None:
        nonlocal done
        for i in range(0, len(batch), CHUNK):
            part = batch[i:i + CHUNK]
            bulk_insert(conn, table, part)
            done += len(part)
            if progress is not None:
                progress(done, total)

    put(families, fam_rows)
    put(preferences, pref_rows)
    put(claimants, [{"id": pid, "family_id": fam_ids[r.family_id], "batch_id": batch_id,
                     "birth_year": r.birth_year, "sex": r.sex,
                     "languages": [list(x) for x in r.languages], "education": r.education,
                     "work_experience_years": r.work_experience_years,
                     "occupation_group": r.occupation_group,
                     "arrived_on": r.arrived_on, "content_sha256": person_hash[pid],
                     "created_at": now} for r, pid in new_people])
    put(consents, [{"claimant_id": pid, "purpose": PURPOSE, "state": "given",
                    "text_version": r.consent_text_version,
                    "recorded_at": r.consent_at or now, "recorded_by": who}
                   for r, pid in new_people])
    conn.execute(import_batches.update().where(import_batches.c.id == batch_id).values(
        new_claimants=len(new_people)))
    digests = batch_digests(conn, batch_id)
    record(conn, at=now, actor=who, action="import.claimants", entity_type="import_batch",
           entity_id=str(batch_id),
           details={"agreement": agreement_id, "rows": len(records),
                    "new_claimants": len(new_people), "new_families": len(fam_rows),
                    "already_present": len(records) - len(new_people),
                    "row_digests": digests})
    return ImportResult(agreement_id, batch_id, len(records), len(new_people), len(fam_rows),
                        len(records) - len(new_people), False, batch_hash)
