"""Hostile bodies and concurrent retries get a clear 4xx, never a 500: deeply nested JSON,
4,300-digit integers, lone surrogates, capacities over 2^63; Idempotency-Key holds for
concurrent duplicates and for multipart retries; database errors show no SQL parameters.

Bounded stress tests (input, concurrency): fixed seeds, in-process client, under a minute.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from fairshare.api.bodies import MAX_DEPTH, check_json
from fairshare.api.security import body_digest
from fairshare.errors import JsonBodyError
from fairshare.i18n import Message, msg
from fairshare.store.tables import import_batches, transfers
from registry_fixtures import fresh_pg_database, pg_template
from webapp_helpers import SeededApp, TestClient, seeded_app

C = "coordinator"
JSON_ROUTES = ["/api/v1/runs", "/api/v1/assignments", "/api/v1/agreements",
               "/api/v1/claimants/c-x/consent", "/api/v1/runs/R00001/decisions"]
HOSTILE = {
    "nested arrays": "[" * 100_000 + "]" * 100_000,
    "nested objects": '{"a":' * 5_000 + "1" + "}" * 5_000,
    "4300-digit integer": '{"policy": "outcome", "x": ' + "9" * 4_300 + "}",
    "5000-digit integer": '{"reason": "abc", "x": ' + "9" * 5_000 + "}",
    "integer over 2^63": '{"family_id": "f", "to": "NB", "reason": "abc", "x": 9223372036854775808}',
    "lone surrogate": '{"family_id": "f", "to": "NB", "reason": "ab\\ud800c"}',
    "lone low surrogate key": '{"\\udc00": 1}',
    "NaN": '{"x": NaN}',
    "not UTF-8": b'{"reason": "\xed\xa0\x80abc"}',
    "not JSON": "{not json",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> SeededApp:
    return seeded_app(tmp_path_factory.mktemp("hardening"), families=12)


def _client(app: SeededApp) -> TestClient:
    return TestClient(app.client.app, raise_server_exceptions=False)


def _count(app: SeededApp, table: Any) -> int:
    with app.client.app.state.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.mark.parametrize("route", JSON_ROUTES)
def test_hostile_json_bodies_get_422(app: SeededApp, route: str) -> None:
    client = _client(app)
    for name, body in HOSTILE.items():
        data = body if isinstance(body, bytes) else body.encode()
        r = client.post(route, headers={**app.auth(C), "content-type": "application/json"},
                        content=data)
        assert r.status_code == 422, (route, name, r.text[:200])
        error = r.json()["error"]
        assert error["code"] == "invalid_json" and "Nothing was changed" in error["message"]
        assert "9999" not in r.text and "ud800" not in r.text.replace("\\\\ud800", "")


def test_a_refused_json_body_is_explained_in_the_readers_language(app: SeededApp) -> None:
    r = _client(app).post("/api/v1/runs", content="[" * 40 + "]" * 40, headers={
        **app.auth(C), "content-type": "application/json", "Accept-Language": "fr"})
    assert r.status_code == 422
    assert r.json()["error"]["message"] == ("Le corps de la requête a été refusé : le JSON est "
                                            "imbriqué sur 40 niveaux ; au plus 32 sont acceptés. "
                                            "Rien n'a été modifié.")


def test_a_json_syntax_error_names_its_reason_in_the_readers_language(app: SeededApp) -> None:
    """Python's English reason ("Expecting ',' delimiter") is worded by the catalogue."""
    for lang, reason in (("fr", "une virgule était attendue entre deux éléments"),
                         ("en", "a comma was expected between two items")):
        r = _client(app).post("/api/v1/runs", content=b'{"policy": "balanced" "x": 1}', headers={
            **app.auth(C), "content-type": "application/json", "Accept-Language": lang})
        assert r.status_code == 422
        message = r.json()["error"]["message"]
        assert reason in message and "Expecting" not in message, message
    for text, key in ((b"", "json_reason_value"), (b'{"a" 1}', "json_reason_colon"),
                      (b'"abc', "json_reason_unterminated"), (b'"\\q"', "json_reason_escape"),
                      (b'"\\u12"', "json_reason_unicode_escape"), (b"1 2", "json_reason_extra"),
                      (b'{1: 2}', "json_reason_name")):
        with pytest.raises(JsonBodyError) as caught:
            check_json(text)
        source = caught.value.source
        assert isinstance(source, Message) and source.values["problem"] == msg(key), text


def test_a_bounded_random_fuzz_of_json_bodies_never_500(app: SeededApp) -> None:
    rnd = random.Random(1515)
    client = _client(app)
    atoms = ['"x"', "1", "-0", "1e999", "null", "true", '"\\ud83d"', '"\\u0000"', "9" * 25,
             "[]", "{}"]
    for _ in range(150):
        depth = rnd.choice([1, 5, MAX_DEPTH, MAX_DEPTH + 1, 400])
        inner = rnd.choice(atoms)
        body = '{"k":' * depth + inner + "}" * depth if rnd.random() < 0.5 else (
            "[" * depth + inner + "]" * depth)
        r = client.post(rnd.choice(JSON_ROUTES), headers={
            **app.auth(C), "content-type": "application/json"}, content=body.encode())
        assert 400 <= r.status_code < 500, (body[:80], r.status_code)


def test_check_json_names_what_is_wrong() -> None:
    assert check_json(b'{"persons": 9223372036854775807}') == {"persons": 2**63 - 1}
    with pytest.raises(JsonBodyError, match="2\\^63"):
        check_json(b'{"persons": 9223372036854775808}')
    with pytest.raises(JsonBodyError, match="surrogate"):
        check_json(b'["\\udfff"]')
    assert check_json(b'["\\ud83d\\ude00"]') == ["\U0001f600"]  # a pair is fine


@pytest.mark.parametrize("persons", [str(2**63 + 5), "9" * 4_300, str(2**40), "-1"])
def test_capacity_beyond_any_offer_is_422_without_echoing_the_file(app: SeededApp,
                                                                   persons: str) -> None:
    csv = ("offer_id,jurisdiction,period,persons,services,expires_on\n"
           f"NB-HUGE,NB,2026,{persons},english,2027-06-30\n")
    r = _client(app).post("/api/v1/capacity", headers=app.auth(C),
                          files={"file": ("cap.csv", csv.encode())})
    assert r.status_code == 422, r.text[:300]
    assert "Document(" not in r.text and "offer_id,jurisdiction" not in r.text
    assert "row 1, column persons" in r.text


def _multipart(boundary: str, name: str, data: bytes) -> tuple[bytes, str]:
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"agreement_id\"\r\n\r\n"
            f"demo-qc-ca\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n").encode() + data + (
        f"\r\n--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_multipart_digest_ignores_the_boundary() -> None:
    a, ta = _multipart("aaaa1111", "c.csv", b"x,y\n1,2\n")
    b, tb = _multipart("bbbb2222", "c.csv", b"x,y\n1,2\n")
    c, tc = _multipart("bbbb2222", "c.csv", b"x,y\n1,3\n")
    assert body_digest(ta.encode(), a) == body_digest(tb.encode(), b)
    assert body_digest(tb.encode(), b) != body_digest(tc.encode(), c)


def test_a_multipart_retry_with_a_new_boundary_is_replayed(app: SeededApp) -> None:
    csv = (b"offer_id,jurisdiction,period,persons,services,expires_on\n"
           b"ON-RETRY,ON,2026,7,english,2027-06-30\n")
    h = {**app.auth(C), "Idempotency-Key": "cap-retry-1"}
    first_body, first_type = _multipart("first0boundary", "cap.csv", csv)
    first = app.client.post("/api/v1/capacity", headers={**h, "content-type": first_type},
                            content=first_body)
    assert first.status_code == 201, first.text[:300]
    retry_body, retry_type = _multipart("other9boundary", "cap.csv", csv)
    again = app.client.post("/api/v1/capacity", headers={**h, "content-type": retry_type},
                            content=retry_body)
    assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true"
    changed, changed_type = _multipart("other9boundary", "cap.csv", csv.replace(b",7,", b",8,"))
    other = app.client.post("/api/v1/capacity", headers={**h, "content-type": changed_type},
                            content=changed)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"


def _concurrent_duplicates(app: SeededApp, key: str) -> list[Any]:
    h = app.auth(C)
    fams = [f for f in app.client.get("/api/v1/families?status=waiting&limit=200",
                                      headers=h).json()["items"]
            if f["consenting"] and not f["services"]]
    csv = ("offer_id,jurisdiction,period,persons,services,expires_on\n"
           f"MB-{key},MB,2026,50,english,2099-06-30\nSK-{key},SK,2026,50,english,2099-06-30\n")
    added = app.client.post("/api/v1/capacity", headers=h,
                            files={"file": ("c.csv", csv.encode())})
    assert added.status_code == 201, added.text[:300]
    offers = [o for o in added.json() if o["id"].endswith(key)]
    with app.client.app.state.engine.connect() as conn:
        from fairshare.store.tables import families as fam_table

        excluded = dict(conn.execute(select(fam_table.c.id, fam_table.c.excluded)).all())
    family, offer = next((f, o) for f in fams for o in offers
                         if o["code"] != f["current_jurisdiction"]
                         and o["code"] not in excluded[f["id"]] and o["remaining"] >= f["size"])
    body = {"family_id": family["id"], "to": offer["code"], "reason": "duplicate retries"}
    barrier = threading.Barrier(10)
    answers: list[Any] = [None] * 10

    def one(i: int) -> None:
        client = _client(app)
        barrier.wait()
        r = client.post("/api/v1/assignments", json=body,
                        headers={**app.auth(C), "Idempotency-Key": key})
        answers[i] = (r.status_code, r.json())

    threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return answers


def _check_one_executed(app: SeededApp, answers: list[Any], before: int) -> None:
    assert all(a is not None for a in answers)
    statuses = sorted(s for s, _ in answers)
    assert set(statuses) <= {201, 409}, answers
    created = [b for s, b in answers if s == 201]
    assert created and all(b == created[0] for b in created), answers  # the same, replayed
    assert all(b["error"]["code"] == "idempotency_key_in_flight" for s, b in answers if s == 409)
    assert _count(app, transfers) == before + 1


def test_concurrent_duplicates_with_one_idempotency_key_run_once(app: SeededApp) -> None:
    before = _count(app, transfers)
    _check_one_executed(app, _concurrent_duplicates(app, "dup-assign-1"), before)


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededApp]:
    url, drop = fresh_pg_database(pg_template())
    app = seeded_app(tmp_path_factory.mktemp("pg-hardening"), families=12, database_url=url)
    try:
        yield app
    finally:
        app.client.app.state.engine.dispose()
        drop()


@pytest.mark.postgres
def test_concurrent_duplicates_run_once_on_postgresql(pg_app: SeededApp) -> None:
    before = _count(pg_app, transfers)
    _check_one_executed(pg_app, _concurrent_duplicates(pg_app, "dup-assign-pg"), before)
    assert _count(pg_app, import_batches) >= 1


def test_database_errors_show_no_sql_parameters(app: SeededApp,
                                                caplog: pytest.LogCaptureFixture) -> None:
    from sqlalchemy import text

    canary = "CANARY-Amina-1984"
    fastapi_app = app.client.app

    def boom() -> None:
        with fastapi_app.state.engine.begin() as conn:
            conn.execute(text("INSERT INTO jurisdictions (code, name, name_fr, iso_3166_2) "
                              "VALUES ('NB', :n, :n, 'x')"), {"n": canary})

    fastapi_app.add_api_route("/api/v1/_test-integrity", boom, methods=["POST"])
    with caplog.at_level(logging.DEBUG):
        r = _client(app).post("/api/v1/_test-integrity", headers=app.auth(C))
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    assert canary not in r.text and "INSERT" not in r.text
    assert canary not in caplog.text
