"""`fairshare users create`, `tokens create|revoke` and `serve --help`, run as a user would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


def _env(tmp_path: Path) -> dict[str, str]:
    return {"FAIRSHARE_HOME": str(tmp_path / "home"), "FAIRSHARE_DATABASE_URL": "",
            "FAIRSHARE_KEYS_DIR": ""}


def test_users_and_tokens_lifecycle(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    env = _env(tmp_path)
    ok = run_cli("users", "create", "alice", "--role", "officer", "--jurisdiction", "QC",
                 "--password-stdin", input="correct-horse-battery\n", env=env)
    assert ok.exit_code == 0, ok
    dup = run_cli("users", "create", "alice", "--role", "analyst", "--password-stdin",
                  input="correct-horse-battery\n", env=env)
    assert dup.exit_code == 2 and "already exists" in dup.stderr

    made = run_cli("tokens", "create", "alice", "--name", "etl", env=env)
    assert made.exit_code == 0, made
    secret = made.stdout.strip()
    assert secret.startswith("fs_") and "Token 1" in made.stderr

    from fairshare.api import Settings, create_app

    home = tmp_path / "home"
    settings = Settings.for_home(home, database_url=f"sqlite:///{home / 'fairshare.sqlite'}",
                                 secure_cookies=False)
    from webapp_helpers import TestClient as Client

    client = Client(create_app(settings))
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json() == {"username": "alice", "role": "officer",
                                                   "jurisdiction": "QC", "via": "token"}
    revoked = run_cli("tokens", "revoke", "1", env=env)
    assert revoked.exit_code == 0
    assert client.get("/api/v1/me",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert run_cli("tokens", "revoke", "99", env=env).exit_code == 2
    # Only the hash of the token and of the password are stored.
    raw = (home / "fairshare.sqlite").read_bytes()
    assert secret.encode() not in raw and b"correct-horse-battery" not in raw


def test_serve_help(run_cli: Callable[..., Any]) -> None:
    r = run_cli("serve", "--help")
    assert r.exit_code == 0
    for option in ("--host", "--port", "--demo"):
        assert option in r.stdout


def test_account_rules() -> None:
    """Usernames, roles, password length and officers' jurisdiction are checked."""
    import pytest
    from sqlalchemy import create_engine

    from fairshare.errors import InputError, NotFoundError
    from fairshare.service.accounts import ACCOUNT_TABLES, create_token, create_user
    from fairshare.store.tables import metadata

    engine = create_engine("sqlite://")
    metadata.create_all(engine, tables=list(ACCOUNT_TABLES))
    good = "correct-horse-battery"
    with engine.begin() as conn:
        for kwargs, message in [
            ({"username": "Bad Name", "role": "analyst"}, "not valid"),
            ({"username": "bob", "role": "analyst", "password": "short"}, "12 characters"),
            ({"username": "carol", "role": "officer"}, "--jurisdiction"),
            ({"username": "carol", "role": "officer", "jurisdiction": "XX"}, "Unknown jurisdiction"),
            ({"username": "dave", "role": "root"}, "Unknown role"),
            ({"username": "erin", "role": "auditor", "jurisdiction": "QC"}, "Only officers"),
        ]:
            with pytest.raises(InputError, match=message):
                create_user(conn, **{"password": good, "codes": ("QC", "ON"), **kwargs})
        with pytest.raises(NotFoundError):
            create_token(conn, username="nobody", name="x")
