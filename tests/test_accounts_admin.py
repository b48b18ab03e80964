"""Accounts administered and audited (issue 15, point 7): `users disable|enable|passwd|role|list`,
`tokens list`, `sessions end`, run as an administrator would, and the audit chain and log they
leave (logins included)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from webapp_helpers import TestClient

GOOD = "violet kettle under the bridge"
NEWER = "seven otters paddle at dawn"


def _env(tmp_path: Path) -> dict[str, str]:
    return {"FAIRSHARE_HOME": str(tmp_path / "home"), "FAIRSHARE_DATABASE_URL": "",
            "FAIRSHARE_KEYS_DIR": ""}


def _client(tmp_path: Path) -> TestClient:
    from fairshare.api import Settings, create_app

    return TestClient(create_app(Settings.for_home(tmp_path / "home", secure_cookies=False)))


def _login(client: TestClient, username: str, password: str) -> int:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text[:300]
    r = client.post("/login", data={"username": username, "password": password,
                                    "csrf_token": token.group(1), "next": "/"},
                    follow_redirects=False)
    return r.status_code


def _audit(tmp_path: Path) -> list[Any]:
    from fairshare.service import open_context, show_audit
    from fairshare.service.settings import Settings as RegistrySettings

    ctx = open_context(RegistrySettings.for_home(tmp_path / "home"))
    try:
        return show_audit(ctx, entity_type="user")
    finally:
        ctx.close()


def test_accounts_are_administered_from_the_cli(run_cli: Callable[..., Any],
                                                tmp_path: Path) -> None:
    env = _env(tmp_path)
    made = run_cli("users", "create", "alice", "--role", "officer", "--jurisdiction", "QC",
                   "--password-stdin", input=GOOD + "\n", env=env)
    assert made.exit_code == 0, made
    token = run_cli("tokens", "create", "alice", "--name", "etl", env=env).stdout.strip()
    bearer = {"Authorization": f"Bearer {token}"}
    browser, api = _client(tmp_path), _client(tmp_path)
    assert _login(browser, "alice", "wrong password here") == 401
    assert _login(browser, "alice", GOOD) == 303
    assert browser.get("/api/v1/me").status_code == 200
    assert api.get("/api/v1/me", headers=bearer).status_code == 200

    listed = run_cli("users", "list", "--format", "json", env=env)
    assert listed.exit_code == 0 and '"state": "active"' in listed.stdout
    assert "password" not in listed.stdout

    off = run_cli("users", "disable", "alice", env=env)
    assert off.exit_code == 0 and "1 browser session(s) ended" in off.stdout, off
    assert api.get("/api/v1/me", headers=bearer).status_code == 401  # token refused
    assert browser.get("/api/v1/me").status_code == 401              # session ended
    assert _login(_client(tmp_path), "alice", GOOD) == 401            # no login
    tokens = run_cli("tokens", "list", "--format", "json", env=env)
    assert tokens.exit_code == 0 and '"state": "user disabled"' in tokens.stdout
    assert token not in tokens.stdout
    again = run_cli("users", "disable", "alice", env=env)
    assert again.exit_code == 2 and "already disabled" in again.stderr
    assert run_cli("tokens", "create", "alice", "--name", "x", env=env).exit_code == 2

    assert run_cli("users", "enable", "alice", env=env).exit_code == 0
    assert api.get("/api/v1/me", headers=bearer).status_code == 200
    assert browser.get("/api/v1/me").status_code == 401  # the old session stays ended

    # passwd reads the password from stdin or a prompt, never from the command line
    assert run_cli("users", "passwd", "alice", NEWER, env=env).exit_code == 2
    common = run_cli("users", "passwd", "alice", "--password-stdin", input="password1234\n",
                     env=env)
    assert common.exit_code == 2 and "common passwords" in common.stderr
    assert _login(browser, "alice", GOOD) == 303
    changed = run_cli("users", "passwd", "alice", "--password-stdin", input=NEWER + "\n",
                      env=env)
    assert changed.exit_code == 0 and "1 browser session(s) ended" in changed.stdout, changed
    assert browser.get("/api/v1/me").status_code == 401
    assert _login(_client(tmp_path), "alice", GOOD) == 401
    assert _login(browser, "alice", NEWER) == 303

    role = run_cli("users", "role", "alice", "--role", "analyst", env=env)
    assert role.exit_code == 0 and "now analyst" in role.stdout, role
    assert api.get("/api/v1/me", headers=bearer).json()["role"] == "analyst"
    assert run_cli("users", "role", "alice", "--role", "officer", env=env).exit_code == 2

    assert _login(browser, "alice", NEWER) == 303
    ended = run_cli("sessions", "end", "alice", env=env)
    assert ended.exit_code == 0 and "Ended 1 browser session(s)" in ended.stdout
    assert browser.get("/api/v1/me").status_code == 401
    assert run_cli("sessions", "end", "nobody", env=env).exit_code == 2

    entries = _audit(tmp_path)
    actions = [e.action for e in entries]
    for action in ("user.create", "token.create", "user.disable", "user.enable", "user.passwd",
                   "user.role", "session.end", "login.success", "login.failure"):
        assert action in actions, (action, actions)
    role_entry = next(e for e in entries if e.action == "user.role")
    assert role_entry.details["before"] == {"role": "officer", "jurisdiction": "QC"}
    assert role_entry.details["after"] == {"role": "analyst", "jurisdiction": None}
    verified = run_cli("audit", "verify", env=env)
    assert verified.exit_code == 0, verified
    raw = (tmp_path / "home" / "fairshare.sqlite").read_bytes()
    assert GOOD.encode() not in raw and NEWER.encode() not in raw


def test_login_outcomes_reach_the_audit_chain_and_the_log(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Success and failure are audited and logged; an unknown user's typed name never is."""
    from fairshare.api import Settings, prepare_database
    from fairshare.service import open_context
    from fairshare.service.accounts import register_user
    from fairshare.service.logins import Outcome, log_in

    settings = Settings.for_home(tmp_path / "home", secure_cookies=False)
    prepare_database(settings)
    ctx = open_context(settings.registry())
    try:
        register_user(ctx, username="bob", password=GOOD, role="auditor")
        with caplog.at_level(logging.INFO, logger="fairshare.accounts"):
            assert log_in(ctx, username="bob", password="not the password").outcome is \
                Outcome.failed
            typed = "my-secret-typed-as-name"
            assert log_in(ctx, username=typed, password=GOOD).outcome is Outcome.failed
            assert log_in(ctx, username="bob", password=GOOD).outcome is Outcome.ok
        from fairshare.service import show_audit

        entries = [e for e in show_audit(ctx) if e.action.startswith("login.")]
    finally:
        ctx.close()
    assert [(e.action, e.entity_id) for e in entries] == [
        ("login.failure", "bob"), ("login.failure", "unknown"), ("login.success", "bob")]
    text = caplog.text
    assert "login failed for bob" in text and "login succeeded for bob" in text
    assert "an unknown user" in text
    assert typed not in text and GOOD not in text and typed not in repr(entries)


@pytest.mark.parametrize(("password", "problem"), [
    ("short-pass", "at least 12"),
    ("x" * 257, "at most 256"),
    ("password1234", "common passwords"),
    ("Sunshine2024!!", "common passwords"),
    ("qwertyuiopasdf", "common passwords"),
    ("abababababababab", "repeats"),
    ("carol-is-my-name", "must not contain 'carol'"),
    ("my fairshare login", "must not contain 'fairshare'"),
])
def test_password_rule_refuses(password: str, problem: str) -> None:
    from fairshare.service.passwords import password_problem

    found = password_problem(password, username="carol")
    assert found is not None and problem in found, found


@pytest.mark.parametrize("password", [
    GOOD, "correct horse battery staple", "ZK4#q9!vLm2@pR7$", "é" * 3 + "ü" * 3 + "ß" * 3 + "ñ" * 3,
    "a" + "b" * 60 + "c" * 60 + "0123456789",  # long, any characters, no composition rule
])
def test_password_rule_accepts(password: str) -> None:
    from fairshare.service.passwords import MAX_PASSWORD, password_problem

    assert len(password) <= MAX_PASSWORD
    assert password_problem(password, username="carol") is None


def test_the_common_password_list_is_shipped_and_large() -> None:
    from fairshare.service.passwords import common_passwords

    words = common_passwords()
    assert len(words) >= 25_000 and "password" in words and "dragon" in words
