"""The API's workflow on a real PostgreSQL server (accounts migration, read models, decisions)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from registry_fixtures import fresh_pg_database, pg_template
from webapp_helpers import SeededApp, finish_job, login, seeded_app

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededApp]:
    url, drop = fresh_pg_database(pg_template())
    app = seeded_app(tmp_path_factory.mktemp("pg"), families=15, database_url=url)
    try:
        yield app
    finally:
        app.client.app.state.engine.dispose()
        drop()


def test_workflow_on_postgresql(pg_app: SeededApp) -> None:
    app = pg_app
    h = app.auth("coordinator")
    assert app.client.get("/health").json()["database"] == "ok"
    assert app.client.get("/api/v1/families?limit=5", headers=h).json()["total"] == 15
    run = app.client.post("/api/v1/runs", headers={**h, "Idempotency-Key": "pg-1"},
                          json={"policy": "balanced"})
    assert run.status_code == 202
    again = app.client.post("/api/v1/runs", headers={**h, "Idempotency-Key": "pg-1"},
                            json={"policy": "balanced"})
    assert again.json()["job"]["id"] == run.json()["job"]["id"]
    job = finish_job(app.client, run, h)
    assert job["status"] == "done", job
    run_id = job["run_id"]
    detail = app.client.get(f"/api/v1/runs/{run_id}", headers=h).json()
    rec = next(r for r in detail["recommendations"] if r["destination"])
    assert app.client.get(f"/api/v1/runs/{run_id}/summary",
                          headers=app.auth("analyst")).status_code == 200
    url = f"/api/v1/runs/{run_id}/decisions"
    body = {"family_id": rec["family_id"], "kind": "accept", "reason": "fits the family"}
    assert app.client.post(url, headers=h, json=body).status_code == 409
    app.client.get(f"/api/v1/runs/{run_id}/recommendations/{rec['family_id']}", headers=h)
    assert app.client.post(url, headers=h, json=body).status_code == 201
    assert app.client.get("/api/v1/audit/verify", headers=app.auth("auditor")).json()["ok"]
    from fastapi.testclient import TestClient

    browser = TestClient(app.client.app)
    login(browser, "officer-on", app.passwords["officer-on"])
    assert browser.get("/").status_code == 200
    assert browser.get(f"/matching/runs/{run_id}").status_code == 200


