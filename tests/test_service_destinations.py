"""One rule for the decision's destinations: what the pages offer, the service accepts; what they
leave out, the service refuses with the same reason (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

import registry_fixtures as rf
from fairshare.errors import FairshareError
from fairshare.exchange.pseudonym import load_key, pseudonymise
from fairshare.service import (
    Context,
    add_capacity,
    change_consent,
    create_run,
    decide,
    decision_options,
    import_claimants,
    list_transfers,
    open_explanation,
)
from fairshare.service.destinations import DecisionOptions
from registry_fixtures import AGREEMENT, person, write_csv

registry = rf.registry
OPEN = ("MB", "NB", "ON")  # room for a family of 2, not excluded, not where the family is


def _setup(ctx: Context, folder: Path) -> tuple[str, list[str]]:
    """Five families of two in QC that excluded NS; capacity: ON, MB, NB and NS with room, BC
    too small (1 person), AB with housing units for 3-4 persons only, nothing elsewhere."""
    rows = [person(f"Q-C{f:04d}-{m}", f"Q-F{f:04d}", excluded="NS")
            for f in range(1, 6) for m in range(2)]
    import_claimants(ctx, path=write_csv(folder / "b.csv", rows), agreement_id=AGREEMENT)
    offers = [{"offer_id": f"{c}-1", "jurisdiction": c, "period": "2026", "persons": "100",
               "units_1_2": "", "units_3_4": "", "units_5_plus": "", "services": "french",
               "expires_on": "2027-06-30"} for c in ("ON", "MB", "NB", "NS")]
    offers.append({**offers[0], "offer_id": "BC-1", "jurisdiction": "BC", "persons": "1"})
    offers.append({**offers[0], "offer_id": "AB-1", "jurisdiction": "AB", "persons": "50",
                   "units_1_2": "0", "units_3_4": "5", "units_5_plus": "0"})
    add_capacity(ctx, path=write_csv(folder / "cap.csv", offers))
    run = create_run(ctx, policy="outcome", key="canada-population", solver="greedy")
    key = load_key(ctx.settings.keys_dir, AGREEMENT)
    fams = [pseudonymise(key, "f", f"Q-F{i:04d}") for i in range(1, 6)]
    for fam in fams:
        open_explanation(ctx, run_id=run.run.id, family_id=fam, actor="ana")
    return run.run.id, fams


def _assert_refusals_hold(ctx: Context, options: DecisionOptions) -> None:
    """Every destination left out is refused by decide with the same error and message."""
    for choice in options.refused:
        assert choice.refusal is not None
        expected = choice.refusal.error()
        with pytest.raises(type(expected)) as caught:
            decide(ctx, run_id=options.run_id, family_id=options.family_id, kind="override",
                   to=choice.code, reason="try it", decided_by="ana", reason_code="other")
        assert caught.value.message == str(choice.refusal.message), choice.code


def test_offered_destinations_are_accepted_and_left_out_ones_refused(registry: Context,
                                                                     tmp_path: Path) -> None:
    run_id, fams = _setup(registry, tmp_path)
    options = decision_options(registry, run_id=run_id, family_id=fams[0])
    reasons = {c.code: c.refusal.code for c in options.refused if c.refusal}
    assert sorted(options.open) == list(OPEN)
    assert reasons["QC"] == "current" and reasons["NS"] == "excluded"
    assert reasons["BC"] == reasons["AB"] == reasons["YT"] == "no-capacity"
    assert set(reasons) | set(options.open) == {c.code for c in options.choices}
    assert options.stay is None
    _assert_refusals_hold(registry, options)
    for fam, dest in zip(fams, OPEN, strict=False):
        now = decision_options(registry, run_id=run_id, family_id=fam)
        assert dest in now.open
        result = decide(registry, run_id=run_id, family_id=fam, kind="override", to=dest,
                        reason="offered, so accepted", decided_by="ana", reason_code="other")
        assert result.destination == dest
    assert sorted(t.to_code for t in list_transfers(registry)) == list(OPEN)


def test_a_full_destination_leaves_the_list_with_its_reason(registry: Context,
                                                            tmp_path: Path) -> None:
    run_id, fams = _setup(registry, tmp_path)
    add_capacity(registry, path=write_csv(tmp_path / "pe.csv", [
        {"offer_id": "PE-1", "jurisdiction": "PE", "period": "2026", "persons": "2",
         "services": "", "expires_on": "2027-06-30"}]))
    assert "PE" in decision_options(registry, run_id=run_id, family_id=fams[0]).open
    decide(registry, run_id=run_id, family_id=fams[0], kind="override", to="PE",
           reason="the last places", decided_by="ana", reason_code="other")
    after = decision_options(registry, run_id=run_id, family_id=fams[1])
    left = {c.code: c.refusal for c in after.refused}
    assert "PE" not in after.open and left["PE"] is not None
    assert left["PE"].code == "no-capacity" and "family of 2" in str(left["PE"].message)
    _assert_refusals_hold(registry, after)


def test_a_family_that_no_longer_consents_has_no_choice(registry: Context,
                                                        tmp_path: Path) -> None:
    run_id, fams = _setup(registry, tmp_path)
    key = load_key(registry.settings.keys_dir, AGREEMENT)
    change_consent(registry, subject=pseudonymise(key, "c", "Q-C0002-0"), state="withdrawn")
    options = decision_options(registry, run_id=run_id, family_id=fams[1])
    # Withdrawing consent withdrew the family's pending recommendation.
    assert options.open == [] and options.stay is not None and options.stay.code == "decided"
    assert "withdrawn" in str(options.stay.message)
    _assert_refusals_hold(registry, options)
    with pytest.raises(FairshareError) as caught:
        decide(registry, run_id=run_id, family_id=fams[1], kind="override", reason="stay",
               decided_by="ana", reason_code="other")
    assert caught.value.message == str(options.stay.message)


def test_an_expired_agreement_refuses_every_destination(registry: Context,
                                                        tmp_path: Path) -> None:
    run_id, fams = _setup(registry, tmp_path)
    registry.clock.advance(days=600)  # type: ignore[attr-defined]  # past 2027-12-31
    options = decision_options(registry, run_id=run_id, family_id=fams[2])
    assert options.open == [] and {c.refusal.code for c in options.refused
                                   if c.refusal} == {"agreement"}
    _assert_refusals_hold(registry, options)
