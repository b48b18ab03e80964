"""Helpers shared by the API, page and browser tests: a seeded demo app and its callers."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

with warnings.catch_warnings():  # starlette asks for the `httpx2` fork; httpx works the same
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from fairshare.api import Settings, create_app, prepare_database
from fairshare.api.demo import DEMO_ACCOUNTS, seed_demo
from fairshare.service.accounts import create_token
from fairshare.store.engine import make_engine, write_transaction

SYSTEM_USER = "optimiser"


@dataclass
class SeededApp:
    """A demo-seeded app on its own database, with a token and a password per demo account."""

    settings: Settings
    client: TestClient
    passwords: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, username: str) -> dict[str, str]:
        """Authorization header for ``username``."""
        return {"Authorization": f"Bearer {self.tokens[username]}"}


def seeded_app(home: Path, *, families: int = 30, database_url: str | None = None) -> SeededApp:
    """Initialise, seed and build an app in ``home`` (its SQLite file, or ``database_url``);
    tokens for every account plus a system one."""
    from fairshare.service.accounts import create_user

    settings = Settings.for_home(home, secure_cookies=False, demo=True)
    if database_url:
        from dataclasses import replace

        settings = replace(settings, database_url=database_url)
    prepare_database(settings)
    accounts = seed_demo(settings, families=families)
    passwords = {u: p for u, p, _ in accounts}
    engine = make_engine(settings.database_url)
    tokens: dict[str, str] = {}
    with write_transaction(engine) as conn:
        create_user(conn, username=SYSTEM_USER, password="system-account-pw", role="system")
        passwords[SYSTEM_USER] = "system-account-pw"
        for username in [*(a[0] for a in DEMO_ACCOUNTS), SYSTEM_USER]:
            tokens[username] = create_token(conn, username=username, name="tests")[1]
    engine.dispose()
    client = TestClient(create_app(settings))
    return SeededApp(settings=settings, client=client, passwords=passwords, tokens=tokens)


def login(client: TestClient, username: str, password: str) -> str:
    """Log ``client`` in through the form; returns the session's CSRF token (from a page)."""
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text[:500]
    r = client.post("/login", data={"username": username, "password": password,
                                    "csrf_token": token.group(1), "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    return csrf_of(client.get("/keys").text)


def csrf_of(html: str) -> str:
    """The CSRF token embedded in a page's forms."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def finish_job(client: TestClient, accepted: Any, headers: dict[str, str] | None = None,
               ) -> dict[str, Any]:
    """Wait for the job a 202 answer started (the server's own pool, no sleeping) and return
    the job as ``GET /api/v1/jobs/{id}`` shows it."""
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()["job"]
    assert accepted.headers.get("location", body["url"]) == body["url"]
    client.app.state.jobs.wait(body["id"], timeout=600)  # type: ignore[attr-defined]
    r = client.get(body["url"], headers=headers)
    assert r.status_code == 200, r.text
    job: dict[str, Any] = r.json()
    return job


def create_run_job(client: TestClient, headers: dict[str, str], body: dict[str, Any],
                   ) -> dict[str, Any]:
    """POST /api/v1/runs, wait for its job to finish and return the run (RunPublic)."""
    job = finish_job(client, client.post("/api/v1/runs", headers=headers, json=body), headers)
    assert job["status"] == "done", job
    run: dict[str, Any] = client.get(f"/api/v1/runs/{job['run_id']}?limit=1",
                                     headers=headers).json()["run"]
    versions = run["versions"]
    run["model"] = {"id": versions.get("model"), "sha256": versions.get("model_sha256"),
                    "name": versions.get("model_name")}
    return run
