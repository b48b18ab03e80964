"""State machine over the service layer (hypothesis): whatever sequence of runs, decisions
(by people or by the optimiser's account, valid or not) and consent changes happens, nothing
becomes final without a human decision with a reason, no family moves twice, capacity is never
exceeded, and the audit chain verifies."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select

from fairshare.errors import FairshareError
from fairshare.service import (
    ALGORITHM_ACTOR,
    Settings,
    add_agreement,
    change_consent,
    create_run,
    decide,
    import_claimants,
    open_context,
    open_explanation,
    verify_audit,
)
from fairshare.store.tables import capacity_offers, decisions, recommendations, transfers
from registry_fixtures import (
    AGREEMENT,
    FrozenClock,
    add_offers,
    families_rows,
    sqlite_copy,
    write_agreement,
    write_csv,
)

CODES = ["NB", "ON", "MB", "QC", "XX"]
OFFERS = [("NB-1", "NB", 4), ("ON-1", "ON", 4), ("MB-1", "MB", 2)]


class Registry(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.home = Path(tempfile.mkdtemp(prefix="fairshare-sm-"))
        sqlite_copy(self.home / "fairshare.sqlite")
        self.ctx = open_context(Settings.for_home(self.home), clock=FrozenClock())
        add_agreement(self.ctx, path=write_agreement(self.home))
        import_claimants(self.ctx, path=write_csv(self.home / "b.csv", families_rows(6)),
                         agreement_id=AGREEMENT)
        add_offers(self.ctx, self.home, OFFERS)
        self.runs: list[tuple[str, list[str]]] = []

    def teardown(self) -> None:
        self.ctx.close()
        shutil.rmtree(self.home, ignore_errors=True)

    @rule()
    def run(self) -> None:
        detail = create_run(self.ctx, policy="outcome", key="canada-population")
        self.runs.append((detail.run.id, [r.family_id for r in detail.recommendations]))

    @rule(data=st.data(), kind=st.sampled_from(["accept", "override", "reject"]),
          to=st.sampled_from([None, *CODES]),
          by=st.sampled_from(["ana", "bob", ALGORITHM_ACTOR, " "]),
          reason=st.sampled_from(["relatives there", "", "ok"]), opened=st.booleans())
    def decide_something(self, data, kind, to, by, reason, opened) -> None:
        if not self.runs:
            return
        run_id, fams = data.draw(st.sampled_from(self.runs))
        if not fams:
            return
        family = data.draw(st.sampled_from(fams))
        if opened:
            with contextlib.suppress(FairshareError):
                open_explanation(self.ctx, run_id=run_id, family_id=family, actor=by)
        with contextlib.suppress(FairshareError):  # refusals: the invariants check the rest
            decide(self.ctx, run_id=run_id, family_id=family, kind=kind, reason=reason,
                   decided_by=by, to=to)

    @rule(data=st.data(), state=st.sampled_from(["withdrawn", "given"]))
    def consent(self, data, state) -> None:
        if not self.runs or not self.runs[0][1]:
            return
        family = data.draw(st.sampled_from(self.runs[0][1]))
        change_consent(self.ctx, subject=family, state=state, text_version="v2")

    @invariant()
    def nothing_final_without_a_human(self) -> None:
        with self.ctx.engine.connect() as conn:
            decided = conn.execute(select(recommendations.c.id).where(
                recommendations.c.status.in_(["accepted", "overridden"]))).scalars().all()
            rows = conn.execute(select(decisions)).all()
            assert sorted(decided) == sorted(r.recommendation_id for r in rows)
            assert all(r.decided_by.strip() and r.decided_by != ALGORITHM_ACTOR
                       and len(r.reason) >= 3 for r in rows)
            moved = conn.execute(select(transfers.c.family_id)).scalars().all()
            assert len(moved) == len(set(moved))
            for offer in conn.execute(select(capacity_offers)):
                used = conn.execute(select(func.coalesce(func.sum(transfers.c.persons), 0))
                                    .where(transfers.c.offer_id == offer.id)).scalar_one()
                assert used <= offer.persons

    @invariant()
    def every_decider_read_the_explanation(self) -> None:
        from fairshare.service import show_audit

        opened = {(e.actor, e.details["run"], e.entity_id)
                  for e in show_audit(self.ctx, action="explanation.open")}
        for e in show_audit(self.ctx):
            if e.action in ("decision.accept", "decision.override"):
                assert (e.actor, e.details["run"], e.entity_id) in opened

    @invariant()
    def chain_verifies(self) -> None:
        assert verify_audit(self.ctx).ok


Registry.TestCase.settings = settings(max_examples=8, stateful_step_count=12, deadline=None,
                                      suppress_health_check=[HealthCheck.too_slow])
test_decisions_state_machine = Registry.TestCase
