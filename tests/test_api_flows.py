"""API behaviour: hardening (headers, CSRF, idempotency, tokens), errors, and the workflow
(import, validate, consent, run, explanation before decision, transfer)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fairshare.exchange.synth import synth_claimant_rows, write_claimants_csv
from fairshare.service.accounts import create_token, revoke_token
from fairshare.store.engine import make_engine, write_transaction
from webapp_helpers import SeededApp, create_run_job, finish_job, login, seeded_app

C = "coordinator"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> SeededApp:
    return seeded_app(tmp_path_factory.mktemp("flows"), families=20)


SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy",
                    "x-frame-options")


@pytest.mark.parametrize("path", ["/health", "/api/v1/keys", "/api/v1/nope", "/login",
                                  "/static/app.css", "/static/app.js", "/", "/nope"])
def test_security_headers_on_every_response(app: SeededApp, path: str) -> None:
    r = app.client.get(path, follow_redirects=False)
    for name in SECURITY_HEADERS:
        assert name in r.headers, (path, name)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_errors_are_json_4xx_with_a_message(app: SeededApp) -> None:
    h = app.auth(C)
    cases = [app.client.get("/api/v1/keys/no-such-key", headers=h),
             app.client.get("/api/v1/shares?key=no-such-key", headers=h),
             app.client.get("/api/v1/balance?years=1800", headers=h),
             app.client.get("/api/v1/runs/R99999", headers=h),
             app.client.post("/api/v1/runs", headers=h, json={"policy": "balanced", "typo": 1}),
             app.client.post("/api/v1/runs", headers=h, content=b"{not json",
                             ),
             app.client.get("/api/v1/nothing-here", headers=h)]
    for r in cases:
        assert 400 <= r.status_code < 500, r.text
        body = r.json()["error"]
        assert body["status"] == r.status_code and body["message"]


def test_unknown_fields_are_rejected(app: SeededApp) -> None:
    r = app.client.post("/api/v1/runs", headers=app.auth(C),
                        json={"policy": "balanced", "solver": "auto", "priority": "high"})
    assert r.status_code == 422
    assert any(d["location"][-1] == "priority" for d in r.json()["error"]["details"])


def test_validation_errors_read_in_the_api_readers_language(app: SeededApp) -> None:
    body = {"policy": "balanced", "solver": "auto", "priority": "high"}
    r = app.client.post("/api/v1/runs", headers={**app.auth(C), "Accept-Language": "fr-CA"},
                        json=body)
    assert r.status_code == 422
    error = r.json()["error"]
    problems = {d["location"][-1]: d["problem"] for d in error["details"]}
    assert problems["priority"] == "n'est pas un champ de cette requête (vérifiez l'orthographe)"
    assert "Input" not in error["message"] and "Input" not in r.text
    english = app.client.post("/api/v1/runs", headers=app.auth(C), json=body).json()["error"]
    assert {d["location"][-1]: d["problem"] for d in english["details"]}["priority"] == \
        "not a field of this request (check its spelling)"


def test_validation_errors_do_not_echo_submitted_values(app: SeededApp) -> None:
    canary = "CANARY-Jane-Doe-1970"
    r = app.client.post("/api/v1/runs/R00001/decisions", headers=app.auth(C),
                        json={"family_id": canary + " !!", "kind": "accept", "reason": "x"})
    assert r.status_code == 422 and canary not in r.text


def test_revoked_and_expired_tokens_are_refused(app: SeededApp) -> None:
    engine = make_engine(app.settings.database_url)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    with write_transaction(engine) as conn:
        token_id, token = create_token(conn, username="analyst", name="short-lived")
        _, expired = create_token(conn, username="analyst", name="old", expires_at=past)
    h = {"Authorization": f"Bearer {token}"}
    assert app.client.get("/api/v1/keys", headers=h).status_code == 200
    with write_transaction(engine) as conn:
        revoke_token(conn, token_id)
    assert app.client.get("/api/v1/keys", headers=h).status_code == 401
    assert app.client.get("/api/v1/keys",
                          headers={"Authorization": f"Bearer {expired}"}).status_code == 401


def test_session_writes_to_the_api_need_the_csrf_header(app: SeededApp) -> None:
    from fastapi.testclient import TestClient

    browser = TestClient(app.client.app)
    csrf = login(browser, C, app.passwords[C])
    assert browser.get("/api/v1/me").json()["via"] == "session"
    body = {"policy": "no-such-policy"}
    assert browser.post("/api/v1/runs", json=body).status_code == 403
    assert browser.post("/api/v1/runs", json=body, headers={"X-CSRF-Token": "x"}).status_code == 403
    assert browser.post("/api/v1/runs", json=body, headers={"X-CSRF-Token": csrf}).status_code == 422


def test_idempotency_key_replays_and_refuses_reuse(app: SeededApp) -> None:
    h = {**app.auth(C), "Idempotency-Key": "create-run-1"}
    first = app.client.post("/api/v1/runs", headers=h, json={"policy": "outcome"})
    again = app.client.post("/api/v1/runs", headers=h, json={"policy": "outcome"})
    assert first.status_code == 202 and again.status_code == 202
    assert again.json()["job"]["id"] == first.json()["job"]["id"]  # one job, one run
    assert finish_job(app.client, first, app.auth(C))["status"] == "done"
    assert again.headers["idempotent-replayed"] == "true"
    other = app.client.post("/api/v1/runs", headers=h, json={"policy": "balanced"})
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    # Another caller with the same key is a different request.
    mine = app.client.post("/api/v1/runs", headers={**app.auth("optimiser"),
                                                     "Idempotency-Key": "create-run-1"},
                           json={"policy": "outcome"})
    assert mine.status_code == 202 and mine.json()["job"]["id"] != first.json()["job"]["id"]
    finish_job(app.client, mine, app.auth("optimiser"))


def _batch(tmp_path: Any, families: int, seed: int) -> bytes:
    path = write_claimants_csv(synth_claimant_rows(families=families, seed=seed),
                               tmp_path / f"batch-{seed}.csv")
    return bytes(path.read_bytes())


def test_validate_then_import_a_batch(app: SeededApp, tmp_path: Any) -> None:
    h = app.auth("officer-qc")
    data = _batch(tmp_path, 5, seed=77)
    files = {"file": ("batch.csv", data, "text/csv")}
    form = {"agreement_id": "demo-qc-ca"}
    report = app.client.post("/api/v1/claimants/validate", headers=h, files=files, data=form)
    assert report.status_code == 200 and report.json()["valid"] and report.json()["families"] == 5
    before = app.client.get("/api/v1/status", headers=app.auth(C)).json()["counts"]
    done = app.client.post("/api/v1/claimants/import", headers=h, files=files, data=form)
    assert done.status_code == 200 and done.json()["new_families"] == 5
    again = app.client.post("/api/v1/claimants/import", headers=h, files=files, data=form)
    assert again.json()["already_imported"] is True
    after = app.client.get("/api/v1/status", headers=app.auth(C)).json()["counts"]
    assert after["families"] == before["families"] + 5


def test_invalid_batch_reports_rows_and_imports_nothing(app: SeededApp) -> None:
    bad = (b"claimant_id,family_id,current_jurisdiction,consent,consent_text_version,religion\n"
           b"A1,F1,QC,yes,2026-01,x\n")
    files = {"file": ("bad.csv", bad, "text/csv")}
    form = {"agreement_id": "demo-qc-ca"}
    report = app.client.post("/api/v1/claimants/validate", headers=app.auth(C), files=files,
                             data=form).json()
    assert not report["valid"] and any("religion" in p for p in report["problems"])
    before = app.client.get("/api/v1/status", headers=app.auth(C)).json()["counts"]
    r = app.client.post("/api/v1/claimants/import", headers=app.auth(C), files=files, data=form)
    assert r.status_code == 422 and "religion" in r.text
    assert app.client.get("/api/v1/status", headers=app.auth(C)).json()["counts"] == before


def test_officer_imports_only_their_jurisdiction(app: SeededApp, tmp_path: Any) -> None:
    data = _batch(tmp_path, 3, seed=78)
    r = app.client.post("/api/v1/claimants/import", headers=app.auth("officer-on"),
                        files={"file": ("b.csv", data, "text/csv")},
                        data={"agreement_id": "demo-qc-ca"})
    assert r.status_code == 422 and "officer of ON" in r.text


def test_upload_limit(app: SeededApp) -> None:
    from dataclasses import replace

    client_app = app.client.app
    original = client_app.state.settings
    client_app.state.settings = replace(original, max_upload_bytes=100)
    try:
        r = app.client.post("/api/v1/claimants/validate", headers=app.auth(C),
                            files={"file": ("b.csv", b"x" * 500, "text/csv")},
                            data={"agreement_id": "demo-qc-ca"})
    finally:
        client_app.state.settings = original
    assert r.status_code == 422 and "larger than" in r.text


def _decidable(app: SeededApp) -> tuple[str, dict[str, Any]]:
    run = create_run_job(app.client, app.auth(C), {"policy": "balanced"})
    recs = app.client.get(f"/api/v1/runs/{run['id']}", headers=app.auth(C)).json()
    pending = [r for r in recs["recommendations"] if r["destination"] and r["status"] == "pending"]
    assert pending
    return run["id"], pending[0]


def test_decision_needs_the_explanation_opened_and_a_person(app: SeededApp) -> None:
    run_id, rec = _decidable(app)
    body = {"family_id": rec["family_id"], "kind": "accept", "reason": "fits the family"}
    url = f"/api/v1/runs/{run_id}/decisions"
    # The optimiser's (system) account can never finalise.
    assert app.client.post(url, headers=app.auth("optimiser"), json=body).status_code == 403
    early = app.client.post(url, headers=app.auth(C), json=body)
    assert early.status_code == 409 and "explanation" in early.json()["error"]["message"]
    expl = app.client.get(f"/api/v1/runs/{run_id}/recommendations/{rec['family_id']}",
                          headers=app.auth(C)).json()["explanation"]
    assert expl["en"] and expl["fr"] and expl["destination"] == rec["destination"]
    done = app.client.post(url, headers=app.auth(C), json=body)
    assert done.status_code == 201 and done.json()["transfer_id"]
    twice = app.client.post(url, headers=app.auth(C), json=body)
    assert twice.status_code == 409
    transfers = app.client.get("/api/v1/transfers", headers=app.auth(C)).json()
    assert any(t["family_id"] == rec["family_id"] and t["to_code"] == rec["destination"]
               for t in transfers)
    audit = app.client.get("/api/v1/audit?action=decision.accept",
                           headers=app.auth("auditor")).json()
    assert audit and audit[-1]["actor"] == C
    assert app.client.get("/api/v1/audit/verify", headers=app.auth("auditor")).json()["ok"]


def test_consent_withdrawal_withdraws_pending_recommendations(app: SeededApp) -> None:
    run_id, rec = _decidable(app)
    r = app.client.post(f"/api/v1/claimants/{rec['family_id']}/consent", headers=app.auth(C),
                        json={"state": "withdrawn"})
    assert r.status_code == 200 and r.json()["withdrawn_recommendations"] >= 1
    detail = app.client.get(f"/api/v1/runs/{run_id}", headers=app.auth(C)).json()
    status = {x["family_id"]: x["status"] for x in detail["recommendations"]}
    assert status[rec["family_id"]] == "withdrawn"


def test_replay_gives_the_same_plan(app: SeededApp) -> None:
    run_id, _ = _decidable(app)
    r = app.client.post(f"/api/v1/runs/{run_id}/replay", headers=app.auth("auditor"))
    assert r.status_code == 200 and r.json()["identical"] is True


def test_run_report_compares_with_the_baselines(app: SeededApp) -> None:
    run_id, _ = _decidable(app)
    report = app.client.get(f"/api/v1/runs/{run_id}/report", headers=app.auth(C)).json()
    plans = {c["plan"]: c for c in report["comparison"]}
    assert {"this plan", "greedy by score", "status quo"} <= set(plans)
    assert plans["this plan"]["violations"] == 0
    assert plans["status quo"]["persons_placed"] == 0
    assert plans["this plan"]["persons_placed"] >= plans["greedy by score"]["persons_placed"]
    assert all(d["persons"] <= d["capacity"] for d in report["destinations"])


@pytest.mark.parametrize("key", ["/etc/passwd", "../keys/x.yaml", "my-key.yaml", "a/b"])
def test_keys_are_preset_ids_never_server_paths(app: SeededApp, key: str) -> None:
    for url in ("/api/v1/shares", "/api/v1/balance"):
        r = app.client.get(url, params={"key": key}, headers=app.auth(C))
        assert r.status_code == 422 and "root:" not in r.text


def test_recommendations_switched_off_manual_assignment_keeps_working(app: SeededApp) -> None:
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from fairshare.api import create_app

    off = TestClient(create_app(replace(app.settings, recommendations=False)))
    h = app.auth(C)
    r = off.post("/api/v1/runs", headers=h, json={"policy": "balanced"})
    assert r.status_code == 403 and "switched off" in r.json()["error"]["message"]
    waiting = off.get("/api/v1/families?status=waiting&limit=500", headers=h).json()["items"]
    family = next(f for f in waiting if f["consenting"])
    for code in ("NB", "ON", "MB", "NS", "AB", "BC", "SK"):  # the family may exclude some
        done = off.post("/api/v1/assignments", headers=h,
                        json={"family_id": family["id"], "to": code, "reason": "room there",
                              "reason_code": "housing"})
        if done.status_code == 201:
            break
        assert done.status_code in (409, 422), done.text
    assert done.status_code == 201, done.text
    assert done.json()["reason_code"] == "housing" and done.json()["transfer_id"]
    assert off.post("/api/v1/assignments", headers=app.auth("optimiser"),
                    json={"family_id": family["id"], "to": "NB",
                          "reason": "x" * 5}).status_code == 403
    browser = TestClient(off.app)
    login(browser, C, app.passwords[C])
    page = browser.get("/matching").text
    assert 'id="recommendations-off"' in page and 'id="run-form"' not in page
    assert 'id="assign-form"' in page


def test_idempotency_key_is_not_spent_by_an_error(app: SeededApp) -> None:
    h = {**app.auth(C), "Idempotency-Key": "fix-and-retry"}
    bad = app.client.post("/api/v1/runs", headers=h, json={"policy": "no-such-policy"})
    assert bad.status_code == 422
    good = app.client.post("/api/v1/runs", headers=h, json={"policy": "no-such-policy"})
    assert good.status_code == 422 and "idempotent-replayed" not in good.headers
