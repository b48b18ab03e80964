"""Runs, human decisions, transfers, replay and retention through the service layer."""

from __future__ import annotations

import datetime as dt

import pytest

import registry_fixtures as rf
from fairshare.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from fairshare.service import (
    ALGORITHM_ACTOR,
    Context,
    change_consent,
    create_run,
    decide,
    export_claimants,
    import_claimants,
    ledger_transfers,
    list_capacity,
    list_transfers,
    open_explanation,
    purge,
    replay_run,
    show_audit,
    show_run,
    status,
    verify_audit,
)
from registry_fixtures import AGREEMENT, FrozenClock, add_offers, families_rows, table_counts, write_csv

registry = rf.registry
sqlite_registry = rf.sqlite_registry


def _seed(ctx: Context, folder, *, families: int = 6, offers=(("NB-1", "NB", 6), ("ON-1", "ON", 6))):
    import_claimants(ctx, path=write_csv(folder / "b.csv", families_rows(families)),
                     agreement_id=AGREEMENT)
    add_offers(ctx, folder, list(offers))


def test_run_decide_transfer_replay(registry: Context, tmp_path):
    _seed(registry, tmp_path)
    detail = create_run(registry, policy="balanced", key="canada-population", actor="ana")
    run = detail.run
    assert run.families == 6 and run.placed == 12 and run.created_by == "ana"
    assert run.versions["solver_version"] and run.versions["key"] == "canada-population"
    assert len(run.versions["model_sha256"]) == len(run.input_sha256) == 64
    assert all(r.status == "pending" and r.explanation for r in detail.recommendations)
    assert status(registry).counts["decisions"] == 0  # nothing is final without a human
    first, second = detail.recommendations[:2]
    for rec in (first, second):
        open_explanation(registry, run_id=run.id, family_id=rec.family_id, actor="bob")
    result = decide(registry, run_id=run.id, family_id=first.family_id, kind="accept",
                    reason="good fit", decided_by="bob")
    assert result.destination == first.destination and result.transfer_id
    other = "ON" if second.destination == "NB" else "NB"
    over = decide(registry, run_id=run.id, family_id=second.family_id, kind="override",
                  to=other, reason="relatives there", decided_by="bob",
                  reason_code="family-ties")
    assert over.destination == other and over.reason_code == "family-ties"
    assert result.reason_code == "recommended"
    transfers = list_transfers(registry)
    assert [(t.to_code, t.persons) for t in transfers] == [(first.destination, 2), (other, 2)]
    assert sum(t.count for t in ledger_transfers(registry)) == 4
    assert sum(o.used for o in list_capacity(registry)) == 4
    shown = show_run(registry, run_id=run.id)
    assert sorted(r.status for r in shown.recommendations)[:2] == ["accepted", "overridden"]
    replay = replay_run(registry, run_id=run.id)
    assert replay.identical and replay.replayed_plan_sha256 == run.plan_sha256
    # the placed families do not enter the next run
    nxt = create_run(registry, policy="balanced", key="canada-population")
    assert nxt.run.families == 4
    actions = [e.action for e in show_audit(registry)]
    assert actions.count("decision.accept") == 1 and actions.count("transfer.create") == 2
    assert verify_audit(registry).ok


def test_decision_rules(registry: Context, tmp_path):
    _seed(registry, tmp_path, families=3, offers=(("NB-1", "NB", 2),))
    run = create_run(registry, policy="outcome", key="canada-population").run
    recs = {r.family_id: r for r in show_run(registry, run_id=run.id).recommendations}
    placed = next(f for f, r in recs.items() if r.destination)
    stay = next(f for f, r in recs.items() if not r.destination)
    before = table_counts(registry)
    with pytest.raises(ConflictError, match="bob has not opened the explanation"):
        decide(registry, run_id=run.id, family_id=placed, kind="accept", reason="fine",
               decided_by="bob")
    assert table_counts(registry) == before
    for family in (placed, stay):
        open_explanation(registry, run_id=run.id, family_id=family, actor="bob")
    with pytest.raises(ConflictError, match="carol has not opened"):  # opened by someone else
        decide(registry, run_id=run.id, family_id=placed, kind="accept", reason="fine",
               decided_by="carol")
    before = table_counts(registry)
    with pytest.raises(PermissionDeniedError):
        decide(registry, run_id=run.id, family_id=placed, kind="accept", reason="auto",
               decided_by=ALGORITHM_ACTOR)
    with pytest.raises(InputError, match="reason"):
        decide(registry, run_id=run.id, family_id=placed, kind="accept", reason=" ",
               decided_by="bob")
    with pytest.raises(InputError, match="Reason code 'whim'"):
        decide(registry, run_id=run.id, family_id=placed, kind="override", to="ON",
               reason="x y z", decided_by="bob", reason_code="whim")
    with pytest.raises(InputError, match="accept or override"):
        decide(registry, run_id=run.id, family_id=placed, kind="maybe", reason="x y z",
               decided_by="bob")
    with pytest.raises(InputError, match="recommends no move"):
        decide(registry, run_id=run.id, family_id=stay, kind="accept", reason="ok then",
               decided_by="bob")
    with pytest.raises(InputError, match="not a jurisdiction"):
        decide(registry, run_id=run.id, family_id=stay, kind="override", to="XX",
               reason="ok then", decided_by="bob")
    with pytest.raises(InputError, match="already in QC"):
        decide(registry, run_id=run.id, family_id=stay, kind="override", to="QC",
               reason="ok then", decided_by="bob")
    with pytest.raises(NotFoundError):
        decide(registry, run_id="R99999", family_id=stay, kind="accept", reason="ok then",
               decided_by="bob")
    with pytest.raises(ConflictError, match="No capacity left in ON"):
        decide(registry, run_id=run.id, family_id=stay, kind="override", to="ON",
               reason="ok then", decided_by="bob")
    assert table_counts(registry) == before  # every refusal changed nothing
    decide(registry, run_id=run.id, family_id=placed, kind="accept", reason="fine",
           decided_by="bob")
    with pytest.raises(ConflictError, match="accepted"):
        decide(registry, run_id=run.id, family_id=placed, kind="accept", reason="again",
               decided_by="bob")
    with pytest.raises(ConflictError, match="No capacity left in NB"):  # capacity used up
        decide(registry, run_id=run.id, family_id=stay, kind="override", to="NB",
               reason="try", decided_by="bob")
    kept = decide(registry, run_id=run.id, family_id=stay, kind="override", reason="stays",
                  decided_by="bob")
    assert kept.destination is None and kept.transfer_id is None


def test_withdrawal_withdraws_pending_recommendations(registry: Context, tmp_path):
    _seed(registry, tmp_path, families=4)
    run = create_run(registry, policy="outcome", key="canada-population").run
    rec = show_run(registry, run_id=run.id).recommendations[0]
    open_explanation(registry, run_id=run.id, family_id=rec.family_id, actor="bob")
    result = change_consent(registry, subject=rec.family_id, state="withdrawn")
    assert result.withdrawn_recommendations == 1 and len(result.claimant_ids) == 2
    with pytest.raises(ConflictError, match="withdrawn"):
        decide(registry, run_id=run.id, family_id=rec.family_id, kind="accept",
               reason="fits", decided_by="bob")
    later = create_run(registry, policy="outcome", key="canada-population")
    assert rec.family_id not in {r.family_id for r in later.recommendations}
    with pytest.raises(NotFoundError):
        change_consent(registry, subject="nobody", state="withdrawn")


def test_bad_run_inputs(sqlite_registry: Context, tmp_path):
    _seed(sqlite_registry, tmp_path, families=2)
    before = table_counts(sqlite_registry)
    with pytest.raises(InputError, match="neither a preset"):
        create_run(sqlite_registry, policy="nope", key="canada-population")
    with pytest.raises(Exception, match="nope-key"):
        create_run(sqlite_registry, policy="outcome", key="nope-key")
    with pytest.raises(NotFoundError):
        replay_run(sqlite_registry, run_id="R00042")
    assert table_counts(sqlite_registry) == before


def test_purge_with_a_frozen_clock(registry: Context, tmp_path):
    clock = registry.clock
    assert isinstance(clock, FrozenClock)
    _seed(registry, tmp_path, families=3)
    run = create_run(registry, policy="outcome", key="canada-population").run
    fam = show_run(registry, run_id=run.id).recommendations[0].family_id
    change_consent(registry, subject=fam, state="withdrawn")
    with pytest.raises(InputError, match="future"):
        purge(registry, as_of=clock().date() + dt.timedelta(days=1))
    clock.advance(days=29)
    assert purge(registry, as_of=clock().date()).counts["withdrawn_claimants"] == 0
    clock.advance(days=2)  # 31 days after the withdrawal
    result = purge(registry, as_of=clock().date())
    assert result.counts["withdrawn_claimants"] == 2 and result.counts["claimants"] == 0
    tombs = show_audit(registry, action="purge.anonymise")
    assert tombs and tombs[-1].details["category"] == "withdrawn_claimants"
    # The snapshot is kept 1095 days, but without the purged family's attributes: the replay
    # says it no longer matches the recorded input.
    replay = replay_run(registry, run_id=run.id)
    assert not replay.identical and "recorded hash" in str(replay.differences[0])
    clock.advance(days=800)  # past the agreement's 730 days and the clock of claimants
    result = purge(registry, as_of=clock().date())
    assert result.counts["claimants"] == 4
    with pytest.raises(PermissionDeniedError, match="not in force"):  # expired by now
        export_claimants(registry, agreement_id=AGREEMENT, out=tmp_path / "x.csv")
    with registry.engine.connect() as conn:
        from sqlalchemy import text

        kept = conn.execute(text("SELECT count(*) FROM claimants WHERE birth_year IS NOT NULL "
                                 "OR languages IS NOT NULL OR sex IS NOT NULL")).scalar()
        prefs = conn.execute(text("SELECT count(*) FROM preferences")).scalar()
    assert kept == 0 and prefs == 0
    clock.advance(days=400)
    result = purge(registry, as_of=clock().date())
    # The explanations went with the families they explain, when those were anonymised.
    assert result.counts["run_snapshots"] == 1 and result.counts["explanations"] == 0
    assert result.counts["decision_reasons"] == 0  # nothing decided in this run
    with pytest.raises(Exception, match="purged"):
        replay_run(registry, run_id=run.id)
    assert verify_audit(registry).ok
    assert status(registry).counts["audit_entries"] >= 8


def test_decision_reasons_stay_out_of_the_audit_chain_and_expire(registry: Context, tmp_path):
    from sqlalchemy import select

    from fairshare.service.decisions import reason_digest
    from fairshare.service.retention import PURGED_REASON
    from fairshare.store.tables import audit_entries, decisions

    clock = registry.clock
    assert isinstance(clock, FrozenClock)
    _seed(registry, tmp_path, families=2)
    run = create_run(registry, policy="outcome", key="canada-population").run
    rec = show_run(registry, run_id=run.id).recommendations[0]
    canary = "CANARY-REASON mother needs dialysis near Moncton"
    open_explanation(registry, run_id=run.id, family_id=rec.family_id, actor="bob")
    decide(registry, run_id=run.id, family_id=rec.family_id, kind="accept", reason=canary,
           decided_by="bob")
    entry = show_audit(registry, action="decision.accept")[-1]
    assert "reason" not in entry.details
    with registry.engine.connect() as conn:
        salt = conn.execute(select(decisions.c.reason_salt)).scalar_one()
        assert entry.details["reason_sha256"] == reason_digest(canary, salt)
        audit_text = " ".join(str(r.details) for r in conn.execute(select(audit_entries)))
        assert "CANARY-REASON" not in audit_text
        assert conn.execute(select(decisions.c.reason)).scalar_one() == canary
    # Only the reasons' own schedule (the claimants' would remove the reason with them).
    reasons_only = tmp_path / "reasons.yaml"
    reasons_only.write_text("label: reasons only\ncategories:\n  decision_reasons:\n"
                            "    description: reasons\n    days: 1095\n    action: delete\n")
    clock.advance(days=1094)
    assert purge(registry, as_of=clock().date(),
                 policy=reasons_only).counts["decision_reasons"] == 0
    clock.advance(days=2)
    result = purge(registry, as_of=clock().date(), policy=reasons_only)
    assert result.counts["decision_reasons"] == 1
    with registry.engine.connect() as conn:
        row = conn.execute(select(decisions)).one()
    assert row.reason == PURGED_REASON and row.kind == "accept" and row.decided_by == "bob"
    assert row.reason_salt is None  # the digest in the chain can no longer be checked
    tomb = show_audit(registry, action="purge.delete")[-1]
    assert tomb.details["category"] == "decision_reasons"
    assert purge(registry, as_of=clock().date(),
                 policy=reasons_only).counts["decision_reasons"] == 0  # once
    assert verify_audit(registry).ok

