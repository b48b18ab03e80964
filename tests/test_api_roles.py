"""Access control: a role × route matrix generated from the OpenAPI schema, and object-level
scoping (a provincial officer sees only the families in or recommended to their jurisdiction).

The expected permissions are written here as data, independently of fairshare.service.roles, so a
change of policy must change both.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from webapp_helpers import SYSTEM_USER, SeededApp, finish_job, seeded_app

C, OF, AN, AU, S = "coordinator", "officer-qc", "analyst", "auditor", SYSTEM_USER
ALL = {C, OF, AN, AU, S}

EXPECTED: dict[tuple[str, str], set[str]] = {
    ("GET", "/api/v1/me"): ALL,
    ("GET", "/api/v1/keys"): ALL,
    ("GET", "/api/v1/keys/{key_id}"): ALL,
    ("GET", "/api/v1/jurisdictions"): ALL,
    ("GET", "/api/v1/shares"): ALL,
    ("GET", "/api/v1/balance"): ALL,
    ("GET", "/api/v1/status"): ALL,
    ("GET", "/api/v1/agreements"): {C, OF, AU, S},
    ("POST", "/api/v1/agreements"): {C},
    ("POST", "/api/v1/agreements/{agreement_id}/revoke"): {C},
    ("GET", "/api/v1/capacity"): {C, OF, AN, AU, S},
    ("POST", "/api/v1/capacity"): {C, OF},
    ("POST", "/api/v1/claimants/validate"): {C, OF, S},
    ("POST", "/api/v1/claimants/import"): {C, OF, S},
    ("GET", "/api/v1/families"): {C, OF, AU},
    ("GET", "/api/v1/claimants/{claimant_id}"): {C, OF, AU},
    ("POST", "/api/v1/claimants/{subject_id}/consent"): {C, OF},
    ("GET", "/api/v1/runs"): {C, OF, AU, S},
    ("POST", "/api/v1/runs"): {C, S},
    ("GET", "/api/v1/jobs/{job_id}"): {C, S},
    ("GET", "/api/v1/runs/{run_id}"): {C, OF, AU, S},
    ("GET", "/api/v1/runs/{run_id}/summary"): ALL,
    ("GET", "/api/v1/runs/{run_id}/report"): {C, OF, AU, S},
    ("POST", "/api/v1/runs/{run_id}/replay"): {C, AU, S},
    ("GET", "/api/v1/runs/{run_id}/recommendations/{family_id}"): {C, OF, AU},
    ("POST", "/api/v1/runs/{run_id}/decisions"): {C, OF},
    ("POST", "/api/v1/assignments"): {C, OF},
    ("GET", "/api/v1/transfers"): {C, OF, AU},
    ("GET", "/api/v1/audit/verify"): {C, AU},
    ("POST", "/api/v1/audit/verify"): {C, AU},
    ("GET", "/api/v1/audit"): {C, AU},
    ("GET", "/api/v1/pledges"): ALL,
    ("GET", "/api/v1/pledges/standing"): ALL,
}

# Bodies that pass authentication but change nothing (invalid, or naming nothing).
NO_OP_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/agreements"): {"json": {}},
    ("POST", "/api/v1/agreements/{agreement_id}/revoke"): {},
    ("POST", "/api/v1/capacity"): {"data": {}},
    ("POST", "/api/v1/claimants/validate"): {"data": {}},
    ("POST", "/api/v1/claimants/import"): {"data": {}},
    ("POST", "/api/v1/claimants/{subject_id}/consent"): {"json": {}},
    ("POST", "/api/v1/runs"): {"json": {"policy": "no-such-policy"}},
    ("POST", "/api/v1/runs/{run_id}/replay"): {},
    ("POST", "/api/v1/runs/{run_id}/decisions"): {"json": {}},
    ("POST", "/api/v1/assignments"): {"json": {}},
    ("POST", "/api/v1/audit/verify"): {"data": {}},
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app = seeded_app(tmp_path_factory.mktemp("roles"), families=30)
    run = app.client.post("/api/v1/runs", json={"policy": "balanced"}, headers=app.auth(C))
    job = finish_job(app.client, run, app.auth(C))
    assert job["status"] == "done", job
    run_id = job["run_id"]
    recs = app.client.get(f"/api/v1/runs/{run_id}", headers=app.auth(C)).json()["recommendations"]
    fams = app.client.get("/api/v1/families?limit=1", headers=app.auth(C)).json()["items"]
    from sqlalchemy import select

    from fairshare.store.engine import make_engine
    from fairshare.store.tables import claimants

    with make_engine(app.settings.database_url).connect() as conn:
        claimant = conn.execute(select(claimants.c.id).where(
            claimants.c.family_id == fams[0]["id"])).scalars().first()
    return {"app": app, "run_id": run_id, "recs": recs, "family_id": recs[0]["family_id"],
            "claimant_id": claimant, "job_id": job["id"]}


def _url(path: str, world: dict[str, Any]) -> str:
    values = {"key_id": "canada-population", "agreement_id": "no-such-agreement",
              "claimant_id": world["claimant_id"], "subject_id": "no-such-subject",
              "run_id": world["run_id"], "family_id": world["family_id"],
              "job_id": world["job_id"]}
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def test_matrix_covers_every_route(world: dict[str, Any]) -> None:
    spec = world["app"].client.app.openapi()
    routes = {(m.upper(), p) for p, item in spec["paths"].items() for m in item
              if p.startswith("/api/")}
    assert routes == set(EXPECTED)


@pytest.mark.parametrize("route", sorted(EXPECTED), ids=lambda r: f"{r[0]} {r[1]}")
def test_role_matrix(route: tuple[str, str], world: dict[str, Any]) -> None:
    app: SeededApp = world["app"]
    method, path = route
    url = _url(path, world)
    kwargs = NO_OP_BODIES.get(route, {})
    for role in sorted(ALL):
        r = app.client.request(method, url, headers=app.auth(role), **kwargs)
        if role in EXPECTED[route]:
            assert r.status_code not in (401, 403) and r.status_code < 500, (role, r.text[:300])
        else:
            assert r.status_code == 403, (role, r.status_code, r.text[:300])
            assert r.json()["error"]["code"] == "forbidden"
    for headers in ({}, {"Authorization": "Bearer fs_wrong"}):
        r = app.client.request(method, url, headers=headers, **kwargs)
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"


def test_health_needs_no_authentication(world: dict[str, Any]) -> None:
    r = world["app"].client.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["database"] == "ok"


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_api_reference_needs_authentication(path: str, world: dict[str, Any]) -> None:
    app: SeededApp = world["app"]
    assert app.client.get(path).status_code == 401
    assert app.client.get(path, headers=app.auth(AN)).status_code == 200


def test_officer_sees_only_families_in_or_recommended_to_their_jurisdiction(
        world: dict[str, Any]) -> None:
    app: SeededApp = world["app"]
    run_id, recs = world["run_id"], world["recs"]
    to_on = {r["family_id"] for r in recs if r["destination"] == "ON"}
    elsewhere = [r for r in recs if r["destination"] not in (None, "ON")]
    assert to_on and elsewhere, "the demo run should recommend families to ON and elsewhere"
    # Every seeded family is in QC: the QC officer sees all of them, the ON officer only those
    # recommended to ON.
    qc = app.client.get("/api/v1/families?limit=500", headers=app.auth("officer-qc")).json()
    on = app.client.get("/api/v1/families?limit=500", headers=app.auth("officer-on")).json()
    assert qc["total"] == len(recs)
    assert {f["id"] for f in on["items"]} == to_on
    detail = app.client.get(f"/api/v1/runs/{run_id}", headers=app.auth("officer-on")).json()
    assert {r["family_id"] for r in detail["recommendations"]} == to_on
    hidden = elsewhere[0]["family_id"]
    r = app.client.get(f"/api/v1/runs/{run_id}/recommendations/{hidden}",
                       headers=app.auth("officer-on"))
    assert r.status_code == 404
    r = app.client.post(f"/api/v1/runs/{run_id}/decisions", headers=app.auth("officer-on"),
                        json={"family_id": hidden, "kind": "override", "to": "ON",
                              "reason": "grab a family not offered to ON"})
    assert r.status_code == 404
    visible = sorted(to_on)[0]
    r = app.client.get(f"/api/v1/runs/{run_id}/recommendations/{visible}",
                       headers=app.auth("officer-on"))
    assert r.status_code == 200 and r.json()["explanation"]["en"]


def test_officer_cannot_read_a_claimant_outside_scope(world: dict[str, Any]) -> None:
    app: SeededApp = world["app"]
    recs = world["recs"]
    from sqlalchemy import select

    from fairshare.store.engine import make_engine
    from fairshare.store.tables import claimants

    outside = next(r["family_id"] for r in recs if r["destination"] != "ON")
    with make_engine(app.settings.database_url).connect() as conn:
        claimant = conn.execute(select(claimants.c.id).where(
            claimants.c.family_id == outside)).scalars().first()
    assert app.client.get(f"/api/v1/claimants/{claimant}",
                          headers=app.auth("officer-on")).status_code == 404
    ok = app.client.get(f"/api/v1/claimants/{claimant}", headers=app.auth("officer-qc"))
    assert ok.status_code == 200 and ok.json()["consents"]


def test_analyst_counts_are_suppressed_below_the_threshold(world: dict[str, Any]) -> None:
    app: SeededApp = world["app"]
    analyst = app.client.get("/api/v1/status", headers=app.auth(AN)).json()["counts"]
    coordinator = app.client.get("/api/v1/status", headers=app.auth(C)).json()["counts"]
    assert coordinator["runs"] >= 1
    for name, value in coordinator.items():
        expected = f"<{app.settings.small_cell_threshold}" if 0 < value < 10 else value
        assert analyst[name] == expected
    summary = app.client.get(f"/api/v1/runs/{world['run_id']}/summary",
                             headers=app.auth(AN)).json()
    small = [d for d in summary["destinations"] if isinstance(d["families"], str)]
    assert small and all(d["families"] == "<10" for d in small)


