"""Officers held to their jurisdiction (issue 15, point 2): every role × every action × the
family's relation to the caller's jurisdiction, through the real API, plus a family that moves.

The expected reach is written here as data, independently of fairshare.service.roles, so a change
of policy must change both. Relations of a family to an officer of J:

- ``own``: the family is now in J;
- ``offered``: it is elsewhere, with a pending recommendation to J;
- ``other``: neither (another province's family, or one that left J).

Outcomes: ``ok`` (the access check passed: 2xx, or a 409/422 about the state of the request),
``hidden`` (404: the family looks absent), ``refused`` (403).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from fairshare.exchange.synth import synth_claimant_rows, write_claimants_csv
from fairshare.service.accounts import create_token, create_user
from fairshare.service.roles import Action
from fairshare.store.engine import make_engine, write_transaction
from fairshare.store.tables import claimants, families
from webapp_helpers import SYSTEM_USER, SeededApp, login, seeded_app

C, QC, ON, NB, AN, AU, S = ("coordinator", "officer-qc", "officer-on", "officer-nb", "analyst",
                            "auditor", SYSTEM_USER)
ROLES = (C, QC, ON, AN, AU, S)
OFFICERS = {QC: "QC", ON: "ON", NB: "NB"}

# The reach of each role, per action (officers share one column).
EVERY, NONE, OWN, VISIBLE, PARTY = "every", "none", "own", "visible", "party"
EXPECTED: dict[Action, dict[str, str]] = {
    Action.read_aggregates: {"coordinator": EVERY, "officer": EVERY, "analyst": EVERY,
                             "auditor": EVERY, "system": EVERY},
    Action.read_claimants: {"coordinator": EVERY, "officer": VISIBLE, "analyst": NONE,
                            "auditor": EVERY, "system": NONE},
    Action.import_claimants: {"coordinator": EVERY, "officer": OWN, "analyst": NONE,
                              "auditor": NONE, "system": EVERY},
    Action.record_consent: {"coordinator": EVERY, "officer": OWN, "analyst": NONE,
                            "auditor": NONE, "system": NONE},
    Action.read_agreements: {"coordinator": EVERY, "officer": EVERY, "analyst": NONE,
                             "auditor": EVERY, "system": EVERY},
    Action.manage_agreements: {"coordinator": EVERY, "officer": NONE, "analyst": NONE,
                               "auditor": NONE, "system": NONE},
    Action.read_capacity: {"coordinator": EVERY, "officer": EVERY, "analyst": EVERY,
                           "auditor": EVERY, "system": EVERY},
    Action.manage_capacity: {"coordinator": EVERY, "officer": OWN, "analyst": NONE,
                             "auditor": NONE, "system": NONE},
    Action.read_runs: {"coordinator": EVERY, "officer": VISIBLE, "analyst": NONE,
                       "auditor": EVERY, "system": EVERY},
    Action.create_runs: {"coordinator": EVERY, "officer": NONE, "analyst": NONE,
                         "auditor": NONE, "system": EVERY},
    Action.replay_runs: {"coordinator": EVERY, "officer": NONE, "analyst": NONE,
                         "auditor": EVERY, "system": EVERY},
    Action.read_recommendations: {"coordinator": EVERY, "officer": VISIBLE, "analyst": NONE,
                                  "auditor": EVERY, "system": NONE},
    Action.decide: {"coordinator": EVERY, "officer": OWN, "analyst": NONE, "auditor": NONE,
                    "system": NONE},
    Action.read_transfers: {"coordinator": EVERY, "officer": PARTY, "analyst": NONE,
                            "auditor": EVERY, "system": NONE},
    Action.read_audit: {"coordinator": EVERY, "officer": NONE, "analyst": NONE,
                        "auditor": EVERY, "system": NONE},
}

# Decisions first: reading a recommendation opens its explanation, after which a decision by
# the same person would be taken for real (the probes must change nothing that matters).
ORDER = [Action.decide, *[a for a in Action if a is not Action.decide]]


def expected(user: str, action: Action, relation: str) -> str:
    """What ``user`` should get for ``action`` on an object of ``relation``."""
    kind = "officer" if user in OFFICERS else user
    if kind == SYSTEM_USER:
        kind = "system"
    reach = EXPECTED[action][kind]
    if reach == NONE:
        return "refused"
    if reach == EVERY or relation == "none":
        return "ok"
    if reach == VISIBLE:
        return "ok" if relation in ("own", "offered") else "hidden"
    if reach == PARTY:
        return "ok" if relation in ("own", "offered") else "hidden"
    # own: visible but not own is refused (403), invisible looks absent (404)
    return {"own": "ok", "offered": "refused", "other": "hidden"}[relation]


def outcome(status: int) -> str:
    assert status != 401 and status < 500, status
    return {403: "refused", 404: "hidden"}.get(status, "ok")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A seeded app (every family in QC), one run, a family moved to ON and one to BC.

    For the ON officer: ``own`` = moved to ON, ``offered`` = in QC and recommended to ON,
    ``other`` = in QC and recommended elsewhere, or moved to BC. For the QC officer: ``own`` = in
    QC, ``other`` = moved to ON or BC.
    """
    home = tmp_path_factory.mktemp("authz")
    app = seeded_app(home, families=30)
    with write_transaction(make_engine(app.settings.database_url)) as conn:
        create_user(conn, username=NB, password="brunswick tide pools", role="officer",
                    jurisdiction="NB")
        app.tokens[NB] = create_token(conn, username=NB, name="tests")[1]
    run = app.client.post("/api/v1/runs?wait=true", json={"policy": "balanced"},
                          headers=app.auth(C))
    assert run.status_code == 201, run.text
    run_id = run.json()["id"]
    recs = app.client.get(f"/api/v1/runs/{run_id}", headers=app.auth(C)).json()["recommendations"]
    to_on = sorted(r["family_id"] for r in recs if r["destination"] == "ON")
    elsewhere = sorted(r["family_id"] for r in recs if r["destination"] not in ("ON", None))
    assert len(to_on) >= 3 and len(elsewhere) >= 2, recs
    moved_on, offered, spare_on = to_on[:3]
    # The QC officer accepts a family recommended to ON: it moves there.
    h = app.auth(QC)
    assert app.client.get(f"/api/v1/runs/{run_id}/recommendations/{moved_on}",
                          headers=h).status_code == 200
    r = app.client.post(f"/api/v1/runs/{run_id}/decisions", headers=h, json={
        "family_id": moved_on, "kind": "accept", "reason": "fits the family"})
    assert r.status_code == 201, r.text
    moved_bc = elsewhere[0]
    r = app.client.post("/api/v1/assignments", headers=h, json={
        "family_id": moved_bc, "to": "BC", "reason": "family ties", "reason_code": "family-ties"})
    assert r.status_code == 201, r.text
    return {"app": app, "run_id": run_id, "home": home, "spare_on": spare_on,
            "families": {"moved_on": moved_on, "offered": offered, "qc": elsewhere[1],
                         "moved_bc": moved_bc}}


def relation(user: str, family_key: str) -> str:
    """The relation of a world family to ``user``'s jurisdiction ('none' for unscoped roles)."""
    if user not in OFFICERS:
        return "none"
    return {QC: {"moved_on": "other", "offered": "own", "qc": "own", "moved_bc": "other"},
            ON: {"moved_on": "own", "offered": "offered", "qc": "other",
                 "moved_bc": "other"}}[user][family_key]


def _member(app: SeededApp, family_id: str) -> str:
    with make_engine(app.settings.database_url).connect() as conn:
        return str(conn.execute(select(claimants.c.id).where(
            claimants.c.family_id == family_id).order_by(claimants.c.id)).scalars().first())


def _current(app: SeededApp, family_id: str) -> str:
    with make_engine(app.settings.database_url).connect() as conn:
        return str(conn.execute(select(families.c.current_code).where(
            families.c.id == family_id)).scalar_one())


Probe = Callable[[dict[str, Any], str, str], str]
_counter = itertools.count(1)


def _family_probe(action: Action) -> Probe:
    def probe(world: dict[str, Any], user: str, family_id: str) -> str:
        app: SeededApp = world["app"]
        client, h, run_id = app.client, app.auth(user), world["run_id"]
        if action is Action.read_claimants:
            listed = client.get("/api/v1/families?limit=500", headers=h)
            one = client.get(f"/api/v1/claimants/{_member(app, family_id)}", headers=h)
            if listed.status_code == 200:  # the list agrees with the single read
                present = family_id in {f["id"] for f in listed.json()["items"]}
                assert present == (one.status_code == 200), (user, family_id)
            return outcome(one.status_code)
        if action is Action.read_recommendations:
            return outcome(client.get(f"/api/v1/runs/{run_id}/recommendations/{family_id}",
                                      headers=h).status_code)
        if action is Action.read_runs:
            r = client.get(f"/api/v1/runs/{run_id}?limit=5000", headers=h)
            if r.status_code != 200:
                return outcome(r.status_code)
            ids = {x["family_id"] for x in r.json()["recommendations"]}
            return "ok" if family_id in ids else "hidden"
        if action is Action.decide:
            # Never opened by this caller: an allowed decision stops at 409 (nothing recorded).
            r = client.post(f"/api/v1/runs/{run_id}/decisions", headers=h, json={
                "family_id": family_id, "kind": "override", "to": "NB",
                "reason": "probe of the access table", "reason_code": "other"})
            assert r.status_code != 201, (user, family_id, r.text)
            manual = client.post("/api/v1/assignments", headers=h, json={
                "family_id": family_id, "to": _current(app, family_id),
                "reason": "probe of the access table"})  # already there: 422, nothing recorded
            assert manual.status_code != 201, (user, family_id, manual.text)
            assert outcome(manual.status_code) == outcome(r.status_code), (user, manual.text)
            return outcome(r.status_code)
        if action is Action.record_consent:
            r = client.post(f"/api/v1/claimants/{family_id}/consent", headers=h,
                            json={"state": "given", "text_version": "2026-01"})
            return outcome(r.status_code)
        if action is Action.read_transfers:
            r = client.get("/api/v1/transfers", headers=h)
            if r.status_code != 200:
                return outcome(r.status_code)
            return "ok" if family_id in {t["family_id"] for t in r.json()} else "hidden"
        raise AssertionError(action)

    return probe


def _code_probe(action: Action) -> Callable[[dict[str, Any], str, str], str]:
    """Import rows or capacity offers for a jurisdiction ``code``."""

    def probe(world: dict[str, Any], user: str, code: str) -> str:
        app: SeededApp = world["app"]
        h = app.auth(user)
        if action is Action.manage_capacity:
            csv = (f"offer_id,jurisdiction,persons,expires_on\n"
                   f"probe-{next(_counter)},{code},5,{dt.date.today().year + 1}-12-31\n")
            r = app.client.post("/api/v1/capacity", headers=h,
                                files={"file": ("c.csv", csv.encode(), "text/csv")})
            return outcome(r.status_code)
        rows = [dict(row, current_jurisdiction=code)
                for row in synth_claimant_rows(families=2, seed=next(_counter) + 500)]
        path = write_claimants_csv(rows, Path(world["home"]) / f"probe-{code}.csv")
        r = app.client.post("/api/v1/claimants/validate", headers=h,
                            files={"file": ("b.csv", path.read_bytes(), "text/csv")},
                            data={"agreement_id": "demo-qc-ca"})
        if r.status_code != 200:
            return outcome(r.status_code)
        problems = r.json()["problems"]  # rows outside the agreement's parties are problems too
        return "refused" if any("an officer of" in p for p in problems) else "ok"

    return probe


def _plain_probe(action: Action) -> Callable[[dict[str, Any], str], str]:
    """Actions on no family: only the role counts."""

    def probe(world: dict[str, Any], user: str) -> str:
        app: SeededApp = world["app"]
        client, h, run_id = app.client, app.auth(user), world["run_id"]
        r = {Action.read_aggregates: lambda: client.get("/api/v1/status", headers=h),
             Action.read_agreements: lambda: client.get("/api/v1/agreements", headers=h),
             Action.manage_agreements: lambda: client.post("/api/v1/agreements", headers=h,
                                                           json={"document": "id: ["}),
             Action.read_capacity: lambda: client.get("/api/v1/capacity", headers=h),
             Action.create_runs: lambda: client.post("/api/v1/runs", headers=h,
                                                     json={"policy": "no-such-policy"}),
             Action.replay_runs: lambda: client.post(f"/api/v1/runs/{run_id}/replay",
                                                     headers=h),
             Action.read_audit: lambda: client.get("/api/v1/audit?limit=5", headers=h),
             }[action]()
        return outcome(r.status_code)

    return probe


FAMILY_ACTIONS = (Action.read_claimants, Action.read_recommendations, Action.read_runs,
                  Action.decide, Action.record_consent, Action.read_transfers)
CODE_ACTIONS = (Action.import_claimants, Action.manage_capacity)


def test_the_walk_covers_every_action() -> None:
    assert set(FAMILY_ACTIONS) | set(CODE_ACTIONS) | {
        a for a in Action if a not in FAMILY_ACTIONS and a not in CODE_ACTIONS} == set(Action)
    assert set(EXPECTED) == set(Action)


def test_every_role_action_and_jurisdiction(world: dict[str, Any]) -> None:
    """The whole table, walked: each (role, action, relation) gives the expected outcome."""
    seen: list[tuple[str, str, str, str, str]] = []
    for action in ORDER:
        for user in ROLES:
            if action in FAMILY_ACTIONS:
                for key, family_id in world["families"].items():
                    if action is Action.read_transfers and key in ("offered", "qc"):
                        continue  # no transfer: nothing to see
                    rel = relation(user, key)
                    if action is Action.read_transfers and user in OFFICERS:
                        rel = "own" if _party(user, key) else "other"
                    got = _family_probe(action)(world, user, family_id)
                    seen.append((action.value, user, key, expected(user, action, rel), got))
            elif action in CODE_ACTIONS:
                for code in ("QC", "ON", "BC"):
                    rel = "none" if user not in OFFICERS else (
                        "own" if OFFICERS[user] == code else "other")
                    want = expected(user, action, rel)
                    if want == "hidden":  # a jurisdiction code is public: refused, not hidden
                        want = "refused"
                    got = _code_probe(action)(world, user, code)
                    seen.append((action.value, user, code, want, got))
            else:
                got = _plain_probe(action)(world, user)
                seen.append((action.value, user, "-", expected(user, action, "none"), got))
    wrong = [s for s in seen if s[3] != s[4]]
    assert not wrong, "\n".join(f"{a} by {u} on {k}: expected {w}, got {g}"
                                for a, u, k, w, g in wrong)
    assert len(seen) > 200


def _party(user: str, key: str) -> bool:
    """Whether the transfer of the moved family ``key`` is from or to ``user``'s jurisdiction."""
    to = {"moved_on": "ON", "moved_bc": "BC"}[key]
    return OFFICERS[user] in ("QC", to)


def test_officer_cannot_decide_assign_or_give_consent_for_an_offered_family(
        world: dict[str, Any]) -> None:
    """The probe's findings: an ON officer overrode a Quebec family to NB, assigned one to BC
    and re-gave a Quebec family's consent. Each is refused now and changes nothing."""
    app: SeededApp = world["app"]
    h, run_id, fam = app.auth(ON), world["run_id"], world["spare_on"]
    assert app.client.get(f"/api/v1/runs/{run_id}/recommendations/{fam}",
                          headers=h).status_code == 200  # the receiving officer reads the offer
    before = app.client.get("/api/v1/audit?limit=1", headers=app.auth(AU)).json()
    override = app.client.post(f"/api/v1/runs/{run_id}/decisions", headers=h, json={
        "family_id": fam, "kind": "override", "to": "NB", "reason": "not my family",
        "reason_code": "other"})
    assert override.status_code == 403, override.text
    assert "acts only on families now in ON" in override.json()["error"]["message"]
    assign = app.client.post("/api/v1/assignments", headers=h, json={
        "family_id": fam, "to": "BC", "reason": "not my family"})
    assert assign.status_code == 403, assign.text
    consent = app.client.post(f"/api/v1/claimants/{fam}/consent", headers=h,
                              json={"state": "given", "text_version": "2026-01"})
    assert consent.status_code == 403, consent.text
    assert _current(app, fam) == "QC"
    after = app.client.get("/api/v1/audit?limit=1", headers=app.auth(AU)).json()
    assert [e["seq"] for e in after] == [e["seq"] for e in before]
    # The same refusal on the pages (the web shell shares the service rule).
    browser = type(app.client)(app.client.app)
    login(browser, ON, app.passwords[ON])
    page = browser.get(f"/matching/runs/{run_id}/families/{fam}")
    assert page.status_code == 200
    from webapp_helpers import csrf_of

    r = browser.post(f"/matching/runs/{run_id}/families/{fam}/decide", data={
        "kind": "override", "to": "NB", "reason": "not my family", "reason_code": "other",
        "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 403 and _current(app, fam) == "QC"


def test_a_family_that_moves_changes_hands(world: dict[str, Any]) -> None:
    """The sending officer loses the family at once, the receiving one gains it; an officer
    whose offer was overridden away loses it too."""
    app: SeededApp = world["app"]
    run_id, fam = world["run_id"], world["spare_on"]
    member = _member(app, fam)

    def sees(user: str) -> bool:
        claimant = app.client.get(f"/api/v1/claimants/{member}", headers=app.auth(user))
        rec = app.client.get(f"/api/v1/runs/{run_id}/recommendations/{fam}",
                             headers=app.auth(user))
        assert claimant.status_code == rec.status_code, (user, claimant.text, rec.text)
        return claimant.status_code == 200

    assert sees(QC) and sees(ON) and not sees(NB)
    r = app.client.post(f"/api/v1/runs/{run_id}/decisions", headers=app.auth(QC), json={
        "family_id": fam, "kind": "override", "to": "NB", "reason": "family ties in NB",
        "reason_code": "family-ties"})
    assert r.status_code == 201, r.text
    assert _current(app, fam) == "NB"
    assert not sees(QC) and not sees(ON) and sees(NB)
    consent = app.client.post(f"/api/v1/claimants/{fam}/consent", headers=app.auth(QC),
                              json={"state": "withdrawn"})
    assert consent.status_code == 404
    consent = app.client.post(f"/api/v1/claimants/{fam}/consent", headers=app.auth(NB),
                              json={"state": "given", "text_version": "2026-01"})
    assert consent.status_code == 200, consent.text
    listed = app.client.get("/api/v1/families?limit=500", headers=app.auth(ON)).json()
    assert fam not in {f["id"] for f in listed["items"]}
    page = app.client.get(f"/api/v1/runs/{run_id}?limit=5000", headers=app.auth(QC)).json()
    assert fam not in {x["family_id"] for x in page["recommendations"]}


def test_stress_random_probes_in_parallel(world: dict[str, Any]) -> None:
    """Bounded stress (seed 15): 240 random (role, action, family) probes from 8 threads at
    once give the table's answer every time, and never a 500."""
    import random
    from concurrent.futures import ThreadPoolExecutor

    rng = random.Random(15)
    actions = [Action.read_claimants, Action.read_recommendations, Action.read_runs,
               Action.record_consent, Action.read_transfers]
    plain = [Action.read_aggregates, Action.read_audit, Action.read_capacity,
             Action.read_agreements]
    keys = sorted(world["families"])
    cases: list[tuple[Action, str, str | None]] = []
    for _ in range(240):
        user = rng.choice(ROLES)
        if rng.random() < 0.2:
            cases.append((rng.choice(plain), user, None))
            continue
        action, key = rng.choice(actions), rng.choice(keys)
        if action is Action.read_transfers and key in ("offered", "qc"):
            key = "moved_on"
        cases.append((action, user, key))

    def run(case: tuple[Action, str, str | None]) -> tuple[str, str]:
        action, user, key = case
        if key is None:
            return expected(user, action, "none"), _plain_probe(action)(world, user)
        rel = relation(user, key)
        if action is Action.read_transfers and user in OFFICERS:
            rel = "own" if _party(user, key) else "other"
        got = _family_probe(action)(world, user, world["families"][key])
        return expected(user, action, rel), got

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(run, cases))
    wrong = [(c, r) for c, r in zip(cases, results, strict=True) if r[0] != r[1]]
    assert not wrong, wrong[:10]
