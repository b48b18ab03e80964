"""Issue 10 through the service layer, on SQLite and PostgreSQL: a decision moves the family,
agreements bound what flows, the audit chain covers the rows it describes, signed checkpoints
catch a truncated or rewritten tail. Every refusal changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os

import pytest
from sqlalchemy import select

import registry_fixtures as rf
from fairshare.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from fairshare.exchange.agreements import synth_agreement_yaml
from fairshare.service import (
    Context,
    add_agreement,
    assign,
    change_consent,
    create_run,
    decide,
    export_claimants,
    import_claimants,
    open_explanation,
    reopen_family,
    revoke_agreement,
    show_audit,
    show_run,
    verify_audit,
    write_checkpoint,
)
from fairshare.store.tables import families, transfers
from registry_fixtures import (
    AGREEMENT,
    add_offers,
    families_rows,
    person,
    table_counts,
    tamper,
    write_agreement_with_parties,
    write_csv,
)

registry = rf.registry
QC_NB = "qc-nb-test"


def _decide(ctx: Context, run_id: str, family: str, kind: str = "accept",
            **kwargs: object) -> object:
    open_explanation(ctx, run_id=run_id, family_id=family, actor="bob")
    return decide(ctx, run_id=run_id, family_id=family, kind=kind, decided_by="bob",
                  reason=str(kwargs.pop("reason", "good fit")), **kwargs)  # type: ignore[arg-type]


def _family(ctx: Context, family_id: str) -> tuple[str, str]:
    with ctx.engine.connect() as conn:
        row = conn.execute(select(families.c.current_code, families.c.status).where(
            families.c.id == family_id)).one()
    return row.current_code, row.status


def _qc_nb(ctx: Context, folder, n: int = 3) -> None:
    add_agreement(ctx, path=write_agreement_with_parties(
        folder, QC_NB, [("QC", "provider"), ("NB", "recipient"), ("CA", "recipient")]))
    import_claimants(ctx, path=write_csv(folder / "nb.csv", families_rows(n, prefix="N")),
                     agreement_id=QC_NB)


def test_accept_moves_the_family_and_the_receiving_party_exports_it(registry: Context,
                                                                    tmp_path):
    _qc_nb(registry, tmp_path)
    add_offers(registry, tmp_path, [("NB-1", "NB", 2)])
    run = create_run(registry, policy="balanced", key="canada-population").run
    rec = next(r for r in show_run(registry, run_id=run.id).recommendations if r.destination)
    assert rec.destination == "NB" and _family(registry, rec.family_id) == ("QC", "waiting")
    _decide(registry, run.id, rec.family_id)
    assert _family(registry, rec.family_id) == ("NB", "placed")
    with registry.engine.connect() as conn:
        moved = conn.execute(select(transfers.c.from_code, transfers.c.to_code)).one()
    assert tuple(moved) == ("QC", "NB")
    result = export_claimants(registry, agreement_id=QC_NB, current="nb",
                              out=tmp_path / "nb-export.csv")
    with open(tmp_path / "nb-export.csv", encoding="utf-8", newline="") as handle:
        exported = list(csv.DictReader(handle))
    assert result.rows == rec.persons == len(exported) == 2
    assert {r["current_jurisdiction"] for r in exported} == {"NB"}
    assert export_claimants(registry, agreement_id=QC_NB, current="QC",
                            out=tmp_path / "qc.csv").rows == 4
    assert [e.details["current"] for e in show_audit(registry, action="export.claimants")] == [
        "NB", "QC"]
    before = table_counts(registry)
    with pytest.raises(PermissionDeniedError, match="ON is not a party of agreement"):
        export_claimants(registry, agreement_id=QC_NB, current="ON", out=tmp_path / "on.csv")
    with pytest.raises(PermissionDeniedError, match="NB is not a party"):  # QC-CA only
        export_claimants(registry, agreement_id=AGREEMENT, current="NB",
                         out=tmp_path / "nb2.csv")
    assert not (tmp_path / "on.csv").exists() and not (tmp_path / "nb2.csv").exists()
    assert table_counts(registry) == before
    decision = show_audit(registry, action="decision.accept")[-1]
    assert decision.details["status"] == "placed"
    assert {d["table"] for d in decision.details["row_digests"]} == {"decisions", "families"}


def test_override_without_destination_keeps_the_family_until_reopened(registry: Context,
                                                                       tmp_path):
    import_claimants(registry, path=write_csv(tmp_path / "b.csv", families_rows(3)),
                     agreement_id=AGREEMENT)
    add_offers(registry, tmp_path, [("NB-1", "NB", 6)])
    run = create_run(registry, policy="balanced", key="canada-population").run
    family = show_run(registry, run_id=run.id).recommendations[0].family_id
    result = _decide(registry, run.id, family, "override", reason="wants to stay")
    assert result.destination is None  # type: ignore[attr-defined]
    assert _family(registry, family) == ("QC", "staying")
    later = create_run(registry, policy="balanced", key="canada-population")
    assert family not in {r.family_id for r in later.recommendations}
    waiting = later.recommendations[0].family_id
    before = table_counts(registry)
    for kwargs, error, words in [
        ({"family_id": family, "reason": "  "}, InputError, "reason"),
        ({"family_id": "f-nobody", "reason": "new facts"}, NotFoundError, "No family"),
        ({"family_id": waiting, "reason": "new facts"}, ConflictError, "is waiting, not staying"),
    ]:
        with pytest.raises(error, match=words):
            reopen_family(registry, actor="bob", **kwargs)  # type: ignore[arg-type]
    assert table_counts(registry) == before
    with pytest.raises(ConflictError, match="is staying .reopen it"):  # not placed by hand either
        assign(registry, family_id=family, to="NB", reason="by hand", decided_by="bob")
    state = reopen_family(registry, family_id=family, reason="new job offer in NB", actor="bob")
    assert (state.status, state.current_code) == ("waiting", "QC")
    assert show_audit(registry, action="family.reopen")[-1].entity_id == family
    again = create_run(registry, policy="balanced", key="canada-population")
    assert family in {r.family_id for r in again.recommendations}
    assert verify_audit(registry).ok


def test_a_newer_run_supersedes_the_pending_recommendations(registry: Context, tmp_path):
    import_claimants(registry, path=write_csv(tmp_path / "b.csv", families_rows(3)),
                     agreement_id=AGREEMENT)
    add_offers(registry, tmp_path, [("NB-1", "NB", 6)])
    first = create_run(registry, policy="balanced", key="canada-population").run
    family = show_run(registry, run_id=first.id).recommendations[0].family_id
    open_explanation(registry, run_id=first.id, family_id=family, actor="bob")
    second = create_run(registry, policy="balanced", key="canada-population").run
    assert {r.status for r in show_run(registry, run_id=first.id).recommendations} == {
        "superseded"}
    assert {r.status for r in show_run(registry, run_id=second.id).recommendations} == {
        "pending"}
    assert show_audit(registry, action="run.create")[-1].details["superseded"] == 3
    with pytest.raises(ConflictError, match="superseded"):
        decide(registry, run_id=first.id, family_id=family, kind="accept", reason="old plan",
               decided_by="bob")


def test_import_refuses_rows_of_jurisdictions_outside_the_agreement(registry: Context,
                                                                    tmp_path):
    rows = [person("A-1", "F-1"), person("A-2", "F-2", current_jurisdiction="ON"),
            person("A-3", "F-2", current_jurisdiction="ON")]
    before = table_counts(registry)
    with pytest.raises(InputError) as err:
        import_claimants(registry, path=write_csv(tmp_path / "b.csv", rows),
                         agreement_id=AGREEMENT)
    assert err.value.details == [
        f"row {n}, column current_jurisdiction: ON is not a party of agreement '{AGREEMENT}' "
        "(parties: CA, QC); import it under an agreement with that jurisdiction"
        for n in (2, 3)]
    assert table_counts(registry) == before


def test_revoked_and_expired_agreements_take_their_families_out_of_the_pool(
        registry: Context, tmp_path):
    import_claimants(registry, path=write_csv(tmp_path / "a.csv", families_rows(2)),
                     agreement_id=AGREEMENT)
    _qc_nb(registry, tmp_path, n=2)
    short = tmp_path / "short.yaml"
    short.write_text(synth_agreement_yaml(agreement_id="qc-ca-short",
                                          expires_on=dt.date(2026, 6, 30)), encoding="utf-8")
    add_agreement(registry, path=short)
    import_claimants(registry, path=write_csv(tmp_path / "s.csv", families_rows(2, prefix="S")),
                     agreement_id="qc-ca-short")
    add_offers(registry, tmp_path, [("NB-1", "NB", 20)])
    run = create_run(registry, policy="balanced", key="canada-population")
    assert run.run.families == 6
    nb_family = next(r.family_id for r in run.recommendations
                     if r.family_id in _families_of(registry, QC_NB))
    open_explanation(registry, run_id=run.run.id, family_id=nb_family, actor="bob")
    revoke_agreement(registry, agreement_id=QC_NB, actor="carol")
    entry = show_audit(registry, action="agreement.revoke")[-1]
    assert entry.details["families_leaving_pool"] == 2
    assert entry.details["withdrawn_recommendations"] == 2
    with pytest.raises(ConflictError, match="withdrawn"):
        decide(registry, run_id=run.run.id, family_id=nb_family, kind="accept",
               reason="good fit", decided_by="bob")
    after = create_run(registry, policy="balanced", key="canada-population")
    assert after.run.families == 4
    assert not _families_of(registry, QC_NB) & {r.family_id for r in after.recommendations}
    registry.clock.advance(days=31)  # type: ignore[attr-defined]  # qc-ca-short has expired
    expired = create_run(registry, policy="balanced", key="canada-population")
    assert {r.family_id for r in expired.recommendations} == _families_of(registry, AGREEMENT)
    with pytest.raises(PermissionDeniedError, match="not in force"):
        export_claimants(registry, agreement_id="qc-ca-short", out=tmp_path / "x.csv")


def _families_of(ctx: Context, agreement_id: str) -> set[str]:
    with ctx.engine.connect() as conn:
        return set(conn.execute(select(families.c.id).where(
            families.c.agreement_id == agreement_id)).scalars())


def _history(ctx: Context, folder) -> None:
    """An import, a run, an accepted decision (a transfer) and a consent withdrawal."""
    import_claimants(ctx, path=write_csv(folder / "b.csv", families_rows(3)),
                     agreement_id=AGREEMENT)
    add_offers(ctx, folder, [("NB-1", "NB", 6)])
    run = create_run(ctx, policy="balanced", key="canada-population")
    recs = run.recommendations
    _decide(ctx, run.run.id, recs[0].family_id)
    change_consent(ctx, subject=recs[1].family_id, state="withdrawn")


@pytest.mark.parametrize(("statement", "words"), [
    ("UPDATE transfers SET to_code = 'ON'", "transfers row 1 (family f-"),
    ("UPDATE decisions SET kind = 'override'", "decisions row 1 was altered"),
    ("DELETE FROM transfers", "transfers row 1 was deleted"),
    ("UPDATE consents SET state = 'given' WHERE state = 'withdrawn' AND claimant_id IN "
     "(SELECT claimant_id FROM consents WHERE state = 'withdrawn' ORDER BY id LIMIT 1)",
     "consents row"),
    ("UPDATE families SET current_code = 'ON' WHERE status = 'placed'",
     "families row f-"),
    ("UPDATE families SET current_code = 'ON' WHERE status = 'waiting'",
     "families of import batch 1"),
    ("UPDATE consents SET recorded_by = 'mallory' WHERE id = 1", "consents of import batch 1"),
    ("UPDATE agreements SET expires_on = '2030-12-31'", "agreements row qc-ca-test"),
    ("INSERT INTO consents (claimant_id, purpose, state, text_version, recorded_at, "
     "recorded_by) SELECT claimant_id, purpose, 'given', 'forged', recorded_at, 'mallory' "
     "FROM consents WHERE state = 'withdrawn'", "not recorded by any audit entry"),
])
def test_audit_verify_names_the_first_business_row_that_disagrees(registry: Context, tmp_path,
                                                                   statement, words):
    _history(registry, tmp_path)
    clean = verify_audit(registry)
    assert clean.ok and clean.checked == ["chain", "rows"] and clean.rows_checked >= 12
    tamper(registry, statement)
    result = verify_audit(registry)
    assert not result.ok and result.first_bad_row and words in str(result.first_bad_row), result


def test_a_signed_checkpoint_detects_a_deleted_or_rewritten_tail(registry: Context, tmp_path):
    from fairshare.service.checkpoint import signing_key_path
    from fairshare.store.audit import entry_hash

    _history(registry, tmp_path)
    run_id = show_audit(registry, action="run.create")[-1].entity_id
    family = show_run(registry, run_id=run_id).recommendations[2].family_id
    open_explanation(registry, run_id=run_id, family_id=family, actor="dora")  # last entry
    info = write_checkpoint(registry, out=tmp_path / "cp" / "c.json")
    key = signing_key_path(registry.settings.keys_dir)
    assert key.exists() and (os.stat(key).st_mode & 0o777) == 0o600
    good = verify_audit(registry, checkpoint=tmp_path / "cp" / "c.json")
    assert good.ok and good.checked == ["chain", "rows", "checkpoint"]
    assert good.checkpoint == {"seq": info.seq, "hash": info.hash,
                               "at": json.loads((tmp_path / "cp" / "c.json").read_text())["at"],
                               "ok": True}
    # bad checkpoint files: clear errors, nothing checked as if it were fine
    (tmp_path / "junk.json").write_text("not json", encoding="utf-8")
    (tmp_path / "part.json").write_text('{"format": "x"}', encoding="utf-8")
    for path, words in [(tmp_path / "junk.json", "not JSON"), (tmp_path / "part.json", "missing"),
                        (tmp_path / "none.json", "cannot read")]:
        with pytest.raises(InputError, match=words):
            verify_audit(registry, checkpoint=path)
    forged = json.loads((tmp_path / "cp" / "c.json").read_text())
    forged["seq"] -= 1
    (tmp_path / "forged.json").write_text(json.dumps(forged), encoding="utf-8")
    bad = verify_audit(registry, checkpoint=tmp_path / "forged.json")
    assert not bad.ok and "signature is not valid" in str(bad.problem)
    # the last entry rewritten consistently: the chain alone still verifies
    last = show_audit(registry)[-1]
    forged_hash = entry_hash(seq=last.seq, at=last.at, actor="mallory", action=last.action,
                             entity_type=last.entity_type, entity_id=last.entity_id,
                             details=json.dumps(last.details, sort_keys=True,
                                                separators=(",", ":")),
                             prev_hash=show_audit(registry)[-2].hash)
    tamper(registry, f"UPDATE audit_entries SET actor = 'mallory', details = "
                     f"'{json.dumps(last.details, sort_keys=True, separators=(',', ':'))}', "
                     f"hash = '{forged_hash}' WHERE seq = {last.seq}")
    assert verify_audit(registry).ok
    rewritten = verify_audit(registry, checkpoint=tmp_path / "cp" / "c.json")
    assert not rewritten.ok and "was rewritten" in str(rewritten.problem)
    # the last entry deleted: the chain alone still verifies, the checkpoint does not
    tamper(registry, f"DELETE FROM audit_entries WHERE seq = {last.seq}")
    assert verify_audit(registry).ok
    cut = verify_audit(registry, checkpoint=tmp_path / "cp" / "c.json")
    assert not cut.ok and f"now ends at entry {last.seq - 1}" in str(cut.problem)
    assert "truncated tail" in str(cut.problem)
    key.unlink()
    with pytest.raises(Exception, match="audit signing key is missing"):
        verify_audit(registry, checkpoint=tmp_path / "cp" / "c.json")


def test_a_deleted_revocation_entry_shows_on_the_agreement_row(registry: Context, tmp_path):
    """The last entry deleted: no checkpoint needed when it recorded a row (here the
    revocation), since the row no longer matches the entry before it."""
    revoke_agreement(registry, agreement_id=AGREEMENT, actor="carol")
    assert verify_audit(registry).ok
    tamper(registry, "DELETE FROM audit_entries WHERE seq = (SELECT max(seq) FROM audit_entries)")
    result = verify_audit(registry)
    assert not result.ok and f"agreements row {AGREEMENT}" in str(result.first_bad_row)
