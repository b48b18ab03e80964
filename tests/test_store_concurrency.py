"""Capacity is never double-booked: decisions racing for the last places (real PostgreSQL
server with row locks, and SQLite with its single writer)."""

from __future__ import annotations

import threading

import registry_fixtures as rf
from fairshare.errors import ConflictError
from fairshare.service import (
    Context,
    create_run,
    decide,
    import_claimants,
    list_capacity,
    list_transfers,
    open_explanation,
    show_run,
    verify_audit,
)
from registry_fixtures import AGREEMENT, add_offers, families_rows, write_csv

registry = rf.registry


def test_two_decisions_race_for_the_last_places_exactly_one_wins(registry: Context, tmp_path):
    import_claimants(registry, path=write_csv(tmp_path / "b.csv", families_rows(4)),
                     agreement_id=AGREEMENT)
    add_offers(registry, tmp_path, [("NB-last", "NB", 2)])  # room for one family of two
    run = create_run(registry, policy="outcome", key="canada-population").run
    families = [r.family_id for r in show_run(registry, run_id=run.id).recommendations]
    for round_ in range(2):  # the second round races for nothing: both must lose
        barrier = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def attempt(family: str, barrier: threading.Barrier, outcomes: dict[str, str]) -> None:
            open_explanation(registry, run_id=run.id, family_id=family,
                             actor=f"officer-{family[:6]}")
            barrier.wait()
            try:
                decide(registry, run_id=run.id, family_id=family, kind="override", to="NB",
                       reason="last places", decided_by=f"officer-{family[:6]}")
                outcomes[family] = "won"
            except ConflictError as exc:
                outcomes[family] = f"lost: {exc}"

        pair = families[2 * round_: 2 * round_ + 2]
        threads = [threading.Thread(target=attempt, args=(f, barrier, outcomes)) for f in pair]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        wins = [f for f, o in outcomes.items() if o == "won"]
        assert len(outcomes) == 2
        assert len(wins) == (1 if round_ == 0 else 0), outcomes
        assert all("No capacity left in NB" in o for o in outcomes.values() if o != "won")
    assert len(list_transfers(registry)) == 1
    (offer,) = list_capacity(registry)
    assert (offer.used, offer.remaining) == (2, 0)
    assert verify_audit(registry).ok
