"""Logins and request bodies (issue 15, point 4): a throttle held in the database (real servers,
20 threads, two app instances sharing one database, SQLite and PostgreSQL), bounded password
hashing, body limits checked as the body streams, Secure cookies and HSTS behind a TLS proxy,
and the Host allow-list."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairshare.api import Settings, create_app, prepare_database
from webapp_helpers import TestClient

GOOD = "violet kettle under the bridge"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def live_servers(settings: Settings, count: int = 2) -> Iterator[list[str]]:
    """``count`` uvicorn servers on loopback, each its own app and engine (like workers)."""
    import uvicorn

    servers, threads, urls = [], [], []
    for _ in range(count):
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                               log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append(server)
        threads.append(thread)
        urls.append(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 30
    while not all(s.started for s in servers):
        assert time.monotonic() < deadline, "the test servers did not start"
        time.sleep(0.05)
    # FastAPI (0.16x) builds each route's state on an app's first request, writing to the
    # route objects, which the module-level routers share between apps. Two apps in one
    # process (real workers are processes) would build that state at once from two threads,
    # so each server answers the login page once before the parallel part starts.
    for url in urls:
        assert httpx.get(f"{url}/login", timeout=60).status_code == 200
    try:
        yield urls
    finally:
        for s in servers:
            s.should_exit = True
        for t in threads:
            t.join(timeout=10)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings of a fresh database (SQLite file or PostgreSQL) with one auditor account."""
    base = Settings.for_home(tmp_path / "home", secure_cookies=False)
    drop = None
    if request.param == "postgresql":
        from registry_fixtures import fresh_pg_database, pg_template

        url, drop = fresh_pg_database(pg_template())
        base = replace(base, database_url=url)
    prepare_database(base)
    from fairshare.service import open_context
    from fairshare.service.accounts import register_user

    ctx = open_context(base.registry())
    try:
        register_user(ctx, username="auditor", password=GOOD, role="auditor")
    finally:
        ctx.close()
    try:
        yield base
    finally:
        if drop is not None:
            drop()


def _attempt(base_url: str, username: str, password: str) -> int:
    with httpx.Client(base_url=base_url, timeout=60) as client:
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text[:300]
        r = client.post("/login", data={"username": username, "password": password,
                                        "csrf_token": token.group(1), "next": "/"},
                        follow_redirects=False)
        return r.status_code


def _failures(settings: Settings) -> int:
    from fairshare.service import open_context, show_audit

    ctx = open_context(settings.registry())
    try:
        return sum(1 for e in show_audit(ctx) if e.action == "login.failure")
    finally:
        ctx.close()


def test_parallel_guesses_share_one_limit_across_workers(settings: Settings) -> None:
    """20 parallel wrong guesses at one account, split over two app instances: only
    ``login_attempts`` passwords are checked, the others are refused unchecked (429)."""
    limit = settings.login_attempts
    with live_servers(settings, count=2) as urls, ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(lambda i: _attempt(urls[i % 2], "auditor", f"guess number {i:03d}"),
                              range(20)))
        counts = Counter(codes)
        assert counts[429] == 20 - limit, counts
        assert counts[401] + counts[503] == limit, counts  # 503: no hashing slot, not checked
        assert _failures(settings) == counts[401]
        # The right password is refused too while the window lasts: nothing is checked.
        assert _attempt(urls[0], "auditor", GOOD) == 429


def test_an_anonymous_flood_is_bounded_per_address(tmp_path: Path) -> None:
    """Logins for 60 made-up users from one address: at most ``login_attempts_per_address``
    are hashed; the rest are refused before any work."""
    settings = Settings.for_home(tmp_path / "home", secure_cookies=False,
                                 login_attempts_per_address=8)
    prepare_database(settings)
    with live_servers(settings, count=1) as urls, ThreadPoolExecutor(20) as pool:
        codes = Counter(pool.map(lambda i: _attempt(urls[0], f"nobody{i:03d}", "x" * 20),
                                 range(60)))
    assert codes[429] == 60 - 8, codes
    assert _failures(settings) == codes[401] <= 8


@pytest.fixture
def app_client(tmp_path: Path) -> TestClient:
    settings = Settings.for_home(tmp_path / "home", secure_cookies=False,
                                 max_body_bytes=64 * 1024, max_upload_bytes=256 * 1024)
    prepare_database(settings)
    from fairshare.service import open_context
    from fairshare.service.accounts import issue_token, register_user

    ctx = open_context(settings.registry())
    try:
        register_user(ctx, username="coord", password=GOOD, role="coordinator")
        secret = issue_token(ctx, username="coord", name="tests")[1]
    finally:
        ctx.close()
    client = TestClient(create_app(settings))
    client.headers["Authorization"] = f"Bearer {secret}"
    return client


def test_hashing_is_bounded_and_cheap_checks_come_first(tmp_path: Path) -> None:
    """With every hashing slot taken, a login answers 'busy' at once instead of queueing
    more argon2 work; an over-long password or a throttled name never reaches hashing; an
    unknown user does the same hashing work as a known one."""
    from fairshare.service import open_context
    from fairshare.service.accounts import register_user
    from fairshare.service.logins import Limits, Outcome, log_in
    from fairshare.service.passwords import _SLOTS, HASH_SLOTS

    settings = Settings.for_home(tmp_path / "home", secure_cookies=False)
    prepare_database(settings)
    ctx = open_context(settings.registry())
    try:
        register_user(ctx, username="dana", password=GOOD, role="analyst")
        tight = Limits(per_user=1, per_address=100, window_seconds=300)
        for _ in range(HASH_SLOTS):
            assert _SLOTS.acquire(timeout=5)
        try:
            assert log_in(ctx, username="dana", password=GOOD).outcome is Outcome.busy
            assert log_in(ctx, username="nobody-here", password=GOOD).outcome is Outcome.busy
            assert log_in(ctx, username="dana", password="y" * 10_000).outcome is Outcome.failed
            assert log_in(ctx, username="erin", password="z" * 20, limits=tight).outcome is \
                Outcome.busy
            assert log_in(ctx, username="erin", password="z" * 20, limits=tight).outcome is \
                Outcome.throttled
        finally:
            for _ in range(HASH_SLOTS):
                _SLOTS.release()
        assert log_in(ctx, username="dana", password=GOOD).outcome is Outcome.ok
    finally:
        ctx.close()


def test_the_login_page_answers_busy_and_throttled(tmp_path: Path) -> None:
    from fairshare.service.passwords import _SLOTS, HASH_SLOTS

    settings = Settings.for_home(tmp_path / "home", secure_cookies=False, login_attempts=1)
    prepare_database(settings)
    client = TestClient(create_app(settings))

    def post(username: str) -> httpx.Response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        return client.post("/login", data={"username": username, "password": "x" * 20,
                                           "csrf_token": token.group(1)})

    for _ in range(HASH_SLOTS):
        assert _SLOTS.acquire(timeout=5)
    try:
        busy = post("frank")
    finally:
        for _ in range(HASH_SLOTS):
            _SLOTS.release()
    assert busy.status_code == 503 and "many logins at once" in busy.text
    throttled = post("frank")
    assert throttled.status_code == 429 and "Too many login attempts" in throttled.text


def test_json_bodies_over_the_limit_get_413(app_client: TestClient) -> None:
    big = {"policy": "balanced", "key": "k" * (70 * 1024)}
    r = app_client.post("/api/v1/runs", json=big)
    assert r.status_code == 413, r.text
    error = r.json()["error"]
    assert error["code"] == "too_large" and "larger than 64 KB" in error["message"]
    r = app_client.post("/api/v1/runs", json=big, headers={"Accept-Language": "fr"})
    assert r.status_code == 413 and "dépasse 64 Ko" in r.json()["error"]["message"], r.text
    assert app_client.post("/api/v1/runs", json={"policy": "no-such"}).status_code == 422


def test_uploads_over_the_limit_get_413(app_client: TestClient) -> None:
    data = b"claimant_id,family_id\n" + b"a,b\n" * (100 * 1024)  # 400 KB > 256 KB
    r = app_client.post("/api/v1/claimants/validate", data={"agreement_id": "x"},
                        files={"file": ("big.csv", data, "text/csv")})
    assert r.status_code == 413 and "256 KB" in r.json()["error"]["message"]
    r = app_client.post("/login", data={"username": "x" * (70 * 1024), "password": "p"})
    assert r.status_code == 413


def test_a_streamed_body_is_refused_before_it_is_buffered(app_client: TestClient) -> None:
    """A chunked body (no Content-Length) of 40 MB: the app stops reading it just past the
    limit and answers 413."""
    import anyio

    app = app_client.app
    chunk = b"x" * (64 * 1024)
    pulled = 0
    sent: list[dict[str, Any]] = []

    head = (b'--zzz\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n")

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled == 0:
            pulled = len(head)
            return {"type": "http.request", "body": head, "more_body": True}
        if pulled >= 40 * 1024 * 1024:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/api/v1/claimants/validate",
             "raw_path": b"/api/v1/claimants/validate", "query_string": b"",
             "root_path": "", "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"testserver"),
                         (b"authorization", app_client.headers["Authorization"].encode()),
                         (b"content-type", b"multipart/form-data; boundary=zzz"),
                         (b"transfer-encoding", b"chunked")]}
    anyio.run(app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413, sent
    assert pulled <= 256 * 1024 + 64 * 1024 + len(chunk)  # the limit (with framing), one chunk


def test_host_allow_list(tmp_path: Path) -> None:
    dev = Settings.for_home(tmp_path / "home", secure_cookies=False)
    prepare_database(dev)
    client = TestClient(create_app(dev))
    assert client.get("/health").status_code == 200
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000"):
        assert client.get("/health", headers={"Host": host}).status_code == 200, host
    evil = client.get("/login", headers={"Host": "evil.example"})
    assert evil.status_code == 400 and evil.json()["error"]["code"] == "bad_host"
    assert "FAIRSHARE_ALLOWED_HOSTS" in evil.json()["error"]["message"]
    french = client.get("/login?lang=fr", headers={"Host": "evil.example"}).json()["error"]
    assert french["message"].startswith("Ce serveur ne répond pas au nom d'hôte « evil.example »")
    public = replace(dev, public_url="https://fairshare.example.org",
                     allowed_hosts=("intranet.example",))
    client = TestClient(create_app(public), base_url="https://fairshare.example.org")
    assert client.get("/health").status_code == 200
    assert client.get("/health", headers={"Host": "intranet.example"}).status_code == 200
    assert client.get("/health", headers={"Host": "localhost"}).status_code == 400


@pytest.mark.parametrize("behind", [{"public_url": "https://fairshare.example.org"},
                                    {"proxy_headers": True}, {}])
def test_secure_cookies_and_hsts_behind_a_tls_proxy(tmp_path: Path,
                                                    behind: dict[str, Any]) -> None:
    settings = replace(Settings.for_home(tmp_path / "home", secure_cookies=False,
                                         allowed_hosts=("testserver",)), **behind)
    prepare_database(settings)
    client = TestClient(create_app(settings))
    r = client.get("/login")
    cookie = r.headers["set-cookie"].lower()
    tls = bool(behind)
    assert ("; secure" in cookie) is tls, cookie
    assert ("strict-transport-security" in r.headers) is tls


def test_public_url_must_be_an_http_address() -> None:
    from fairshare.errors import InputError

    with pytest.raises(InputError, match="FAIRSHARE_PUBLIC_URL"):
        Settings.for_home(Path("unused"), public_url="fairshare.example.org")


def test_serve_offers_the_proxy_options(run_cli: Any) -> None:
    r = run_cli("serve", "--help")
    assert r.exit_code == 0
    assert "--proxy-headers" in r.stdout and "--allowed-host" in r.stdout


def test_stress_mixed_credentials_in_parallel(tmp_path: Path) -> None:
    """Bounded stress (seed 15, loopback): 300 requests from 16 threads mixing good, revoked,
    disabled, forged and malformed credentials, wrong Hosts and odd logins. Each gets its
    class's answer; no 500; only the right password opens a session."""
    import random

    from fairshare.service import open_context
    from fairshare.service.account_admin import set_disabled
    from fairshare.service.accounts import issue_token, register_user, withdraw_token

    settings = Settings.for_home(tmp_path / "home", secure_cookies=False)
    prepare_database(settings)
    ctx = open_context(settings.registry())
    try:
        tokens = {}
        for name, role in (("ann", "coordinator"), ("ben", "analyst"), ("cy", "auditor")):
            register_user(ctx, username=name, password=f"{GOOD} {role}", role=role)
            tokens[name] = issue_token(ctx, username=name, name="stress")[1]
        revoked_id, revoked = issue_token(ctx, username="ann", name="old")
        withdraw_token(ctx, token_id=revoked_id)
        set_disabled(ctx, username="cy", disabled=True)
    finally:
        ctx.close()
    rng = random.Random(15)
    kinds = ["token", "revoked", "disabled", "forged", "malformed", "cookie", "host", "login",
             "login-long"]
    plan = [(rng.choice(kinds), rng.getrandbits(32)) for _ in range(300)]

    def one(case: tuple[str, int], client: httpx.Client) -> tuple[str, int]:
        kind, seed = case
        rng = random.Random(seed)  # each request's choices are fixed, whatever thread runs it
        if kind == "token":
            name = rng.choice(["ann", "ben"])
            r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens[name]}"})
            assert r.status_code != 200 or r.json()["username"] == name
            return kind, r.status_code
        headers = {"revoked": {"Authorization": f"Bearer {revoked}"},
                   "disabled": {"Authorization": f"Bearer {tokens['cy']}"},
                   "forged": {"Authorization": "Bearer fs_" + "".join(
                       rng.choice("abcdefXYZ019_-") for _ in range(43))},
                   "malformed": {"Authorization": rng.choice(
                       ["Bearer", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "bearer  ", "Token x",
                        "Bearer fs_\u00e9"])},
                   "cookie": {"Cookie": f"fs_session={rng.getrandbits(128):x}"},
                   "host": {"Host": rng.choice(["evil.example", "127.0.0.2", "localhost.evil"])},
                   }.get(kind)
        if headers is not None:
            try:
                return kind, client.get("/api/v1/me", headers=headers).status_code
            except (httpx.LocalProtocolError, UnicodeEncodeError):
                return kind, 401  # the client itself refuses a non-ASCII header
        password = "x" * 300 if kind == "login-long" else rng.choice(
            [f"{GOOD} coordinator", "wrong wrong wrong", "\u00fc" * 20, ""])
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token
        r = client.post("/login", data={"username": rng.choice(["ann", "ben", "zed", ""]),
                                        "password": password, "csrf_token": token.group(1)},
                        follow_redirects=False)
        return kind, r.status_code

    allowed = {"token": {200}, "revoked": {401}, "disabled": {401}, "forged": {401},
               "malformed": {401}, "cookie": {401}, "host": {400},
               "login": {303, 401, 422, 429, 503}, "login-long": {401, 422, 429}}
    with live_servers(settings, count=1) as urls:
        def worker(cases: list[tuple[str, int]]) -> list[tuple[str, int]]:
            with httpx.Client(base_url=urls[0], timeout=60) as client:
                return [one(c, client) for c in cases]

        with ThreadPoolExecutor(16) as pool:
            chunks = [plan[i::16] for i in range(16)]
            results = [r for chunk in pool.map(worker, chunks) for r in chunk]
    wrong = [(k, s) for k, s in results if s not in allowed[k]]
    assert not wrong, wrong[:10]
    assert len(results) == 300


def test_successful_logins_do_not_use_up_the_address_limit(tmp_path: Path) -> None:
    """Many people behind one proxy address: only failures (and checks in flight) count."""
    from fairshare.service import open_context
    from fairshare.service.accounts import register_user
    from fairshare.service.logins import Limits, Outcome, log_in

    settings = Settings.for_home(tmp_path / "home", secure_cookies=False)
    prepare_database(settings)
    ctx = open_context(settings.registry())
    try:
        register_user(ctx, username="gail", password=GOOD, role="analyst")
        limits = Limits(per_user=5, per_address=3, window_seconds=300)
        for _ in range(6):
            assert log_in(ctx, username="gail", password=GOOD, address="10.0.0.1",
                          limits=limits).outcome is Outcome.ok
        for name in ("h1", "h2", "h3"):
            assert log_in(ctx, username=name, password=GOOD, address="10.0.0.1",
                          limits=limits).outcome is Outcome.failed
        assert log_in(ctx, username="gail", password=GOOD, address="10.0.0.1",
                      limits=limits).outcome is Outcome.throttled
    finally:
        ctx.close()
