"""Property: after a consent withdrawal, the person appears in no later recommendation and no
later export, and no recommendation of their family stays pending (hypothesis, any sequence of
withdrawals, renewed consents, runs and exports)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fairshare.exchange.pseudonym import load_key, pseudonymise
from fairshare.service import (
    Settings,
    add_agreement,
    change_consent,
    create_run,
    export_claimants,
    import_claimants,
    open_context,
)
from fairshare.store.tables import claimants, recommendations
from registry_fixtures import (
    AGREEMENT,
    FrozenClock,
    add_offers,
    person,
    sqlite_copy,
    write_agreement,
    write_csv,
)

PEOPLE = [(f"P-{i}", f"F-{i // 2}") for i in range(8)]  # 4 families of two

operation = st.one_of(
    st.tuples(st.just("withdraw"), st.integers(0, len(PEOPLE) - 1)),
    st.tuples(st.just("give"), st.integers(0, len(PEOPLE) - 1)),
    st.tuples(st.just("run"), st.just(0)),
    st.tuples(st.just("export"), st.just(0)),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=7))
def test_no_recommendation_or_export_after_withdrawal(ops):
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        sqlite_copy(home / "fairshare.sqlite")
        ctx = open_context(Settings.for_home(home), clock=FrozenClock())
        add_agreement(ctx, path=write_agreement(home))
        import_claimants(ctx, path=write_csv(home / "b.csv", [person(c, f) for c, f in PEOPLE]),
                         agreement_id=AGREEMENT)
        add_offers(ctx, home, [("NB-1", "NB", 6), ("ON-1", "ON", 6)])
        key = load_key(ctx.settings.keys_dir, AGREEMENT)
        stored = {raw: pseudonymise(key, "c", raw) for raw, _ in PEOPLE}
        family_of = {stored[c]: pseudonymise(key, "f", f) for c, f in PEOPLE}
        withdrawn: set[str] = set()
        for step, (kind, index) in enumerate(ops):
            raw = PEOPLE[index][0]
            if kind == "withdraw":
                change_consent(ctx, subject=raw, state="withdrawn", agreement_id=AGREEMENT)
                withdrawn.add(stored[raw])
            elif kind == "give":
                change_consent(ctx, subject=raw, state="given", text_version="v2",
                               agreement_id=AGREEMENT)
                withdrawn.discard(stored[raw])
            elif kind == "run":
                recs = create_run(ctx, policy="outcome", key="canada-population").recommendations
                blocked = {family_of[c] for c in withdrawn}
                assert not blocked & {r.family_id for r in recs}
            else:
                out = home / f"export-{step}.json"
                export_claimants(ctx, agreement_id=AGREEMENT, out=out)
                ids = {r["claimant_id"] for r in json.loads(out.read_text(encoding="utf-8"))}
                assert not ids & {pseudonymise(key, "c", c) for c in withdrawn}
            with ctx.engine.connect() as conn:
                pending = set(conn.execute(select(recommendations.c.family_id).where(
                    recommendations.c.status == "pending")).scalars())
                members = {r.id: r.family_id for r in conn.execute(select(claimants))}
            assert not pending & {members[c] for c in withdrawn}
        ctx.close()
