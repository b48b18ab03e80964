"""The recommendations switch: with it off, runs are refused and manual assignment works."""

from __future__ import annotations

import dataclasses

import pytest

import registry_fixtures as rf
from fairshare.errors import ConflictError, FairshareError, NotFoundError, PermissionDeniedError
from fairshare.exchange.pseudonym import load_key, pseudonymise
from fairshare.service import (
    ALGORITHM_ACTOR,
    Context,
    Settings,
    assign,
    change_consent,
    create_run,
    import_claimants,
    list_capacity,
    list_transfers,
    replay_run,
    show_audit,
    verify_audit,
)
from registry_fixtures import AGREEMENT, add_offers, families_rows, write_csv

registry = rf.registry


def test_switch_off_manual_assignment_keeps_working(registry: Context, tmp_path):
    ctx = dataclasses.replace(registry, settings=dataclasses.replace(registry.settings,
                                                                     recommendations=False))
    import_claimants(ctx, path=write_csv(tmp_path / "b.csv", families_rows(3)),
                     agreement_id=AGREEMENT)
    add_offers(ctx, tmp_path, [("MB-1", "MB", 2)])
    with pytest.raises(PermissionDeniedError, match="switched off"):
        create_run(ctx, policy="outcome", key="canada-population")
    key = load_key(ctx.settings.keys_dir, AGREEMENT)
    fams = [pseudonymise(key, "f", f"Q-F{i:04d}") for i in (1, 2, 3)]
    result = assign(ctx, family_id=fams[0], to="mb", reason="family in Winnipeg",
                    decided_by="ana", reason_code="family-ties")
    assert (result.destination, result.reason_code) == ("MB", "family-ties")
    assert [t.family_id for t in list_transfers(ctx)] == [fams[0]]
    assert list_capacity(ctx)[0].remaining == 0
    with pytest.raises(ConflictError, match="already placed|decided"):
        assign(ctx, family_id=fams[0], to="MB", reason="again", decided_by="ana")
    with pytest.raises(ConflictError, match="No capacity left in MB"):
        assign(ctx, family_id=fams[1], to="MB", reason="full?", decided_by="ana")
    change_consent(ctx, subject=fams[2], state="withdrawn")
    with pytest.raises(ConflictError, match="no longer consents"):
        assign(ctx, family_id=fams[2], to="ON", reason="not now", decided_by="ana")
    with pytest.raises(PermissionDeniedError):
        assign(ctx, family_id=fams[1], to="ON", reason="auto", decided_by=ALGORITHM_ACTOR)
    with pytest.raises(NotFoundError):
        assign(ctx, family_id="f-nobody", to="ON", reason="who?", decided_by="ana")
    with pytest.raises(FairshareError, match="manual assignment"):
        replay_run(ctx, run_id=result.run_id)
    assert [e.action for e in show_audit(ctx, entity_id=fams[0])][-2:] == [
        "decision.override", "transfer.create"]
    assert verify_audit(ctx).ok


def test_switch_from_the_environment():
    assert Settings.from_env({"FAIRSHARE_RECOMMENDATIONS": "off"}).recommendations is False
    assert Settings.from_env({}).recommendations is True
