"""Append-only that holds on PostgreSQL (issue 15, point 8): the application connects as a
restricted role (`fairshare init --app-role`) that owns nothing, so it can neither disable the
audit triggers nor rewrite the audit log, while the registry works as usual; and `serve` writes
signed checkpoints on a schedule to a folder outside the database."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy.exc import DBAPIError

import registry_fixtures as rf
from fairshare.errors import InputError
from fairshare.service import (
    Settings,
    add_agreement,
    create_run,
    import_claimants,
    open_context,
    verify_audit,
)
from fairshare.service.checkpoint import CheckpointSchedule, checkpoint_if_changed, read_checkpoint
from fairshare.service.setup import grant_app_role

registry = rf.registry

ATTACKS = [
    "ALTER TABLE audit_entries DISABLE TRIGGER ALL",
    "SET session_replication_role = replica",
    "UPDATE audit_entries SET actor = 'mallory'",
    "DELETE FROM audit_entries",
    "TRUNCATE audit_entries",
    "DROP TRIGGER audit_entries_no_change ON audit_entries",
    "CREATE TABLE stash (x int)",
    "UPDATE alembic_version SET version_num = 'x'",
]


@pytest.mark.postgres
def test_the_app_role_works_and_cannot_touch_the_audit(tmp_path: Path) -> None:
    url, drop = rf.fresh_pg_database(rf.pg_template())
    role = f"fairshare_app_{secrets.token_hex(4)}"
    owner = open_context(Settings(home=tmp_path, database_url=url, keys_dir=tmp_path / "keys",
                                  actor="owner"))
    app = None
    try:
        statements = grant_app_role(owner, role)
        assert statements[0] == f'CREATE ROLE "{role}" LOGIN'
        assert grant_app_role(owner, role)[0].startswith("GRANT CONNECT")  # idempotent
        app_url = sqlalchemy.make_url(url).set(username=role).render_as_string(
            hide_password=False)
        app = open_context(Settings(home=tmp_path, database_url=app_url,
                                    keys_dir=tmp_path / "keys", actor="app"))
        # the registry works as the app role: agreement, import, capacity, run
        add_agreement(app, path=rf.write_agreement(tmp_path))
        import_claimants(app, path=rf.write_csv(tmp_path / "b.csv", rf.families_rows(3)),
                         agreement_id=rf.AGREEMENT)
        rf.add_offers(app, tmp_path, [("NB-1", "NB", 10)])
        assert create_run(app, policy="outcome", key="canada-population").run.placed > 0
        for attack in ATTACKS:
            with app.engine.connect() as conn, pytest.raises(DBAPIError) as caught:
                conn.exec_driver_sql(attack)
            assert "permission denied" in str(caught.value) or "must be owner" in str(
                caught.value), (attack, caught.value)
        assert verify_audit(app).ok
    finally:
        if app is not None:
            app.close()
        owner.close()
        drop()
        admin = rf._admin_conn()
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()


@pytest.mark.parametrize("role", ["Bad-Name", "1abc", "postgres"])
@pytest.mark.postgres
def test_refused_app_roles(tmp_path: Path, role: str) -> None:
    url, drop = rf.fresh_pg_database(rf.pg_template())
    owner = open_context(Settings(home=tmp_path, database_url=url, keys_dir=tmp_path / "keys",
                                  actor="owner"))
    try:
        with pytest.raises(InputError, match="lower-case identifier|owner running|superuser"):
            grant_app_role(owner, role)
    finally:
        owner.close()
        drop()


def test_app_role_on_sqlite_is_a_clear_error(run_cli, tmp_path: Path) -> None:
    done = run_cli("init", "--app-role", "fairshare_app", env={"FAIRSHARE_HOME": str(tmp_path)})
    assert done.exit_code == 2 and "applies to PostgreSQL" in done.stderr
    french = run_cli("init", "--app-role", "fairshare_app",
                     env={"FAIRSHARE_HOME": str(tmp_path), "FAIRSHARE_LANG": "fr"})
    assert french.exit_code == 2 and "s'applique à PostgreSQL : SQLite n'a pas de rôles" \
        in french.stderr


def test_scheduled_checkpoints_follow_the_head(registry, tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere" / "checkpoints"
    first = checkpoint_if_changed(registry, folder)
    assert first is not None and Path(first.path).name == f"checkpoint-{first.seq:012d}.json"
    assert checkpoint_if_changed(registry, folder) is None  # the head did not move
    add_agreement(registry, path=rf.write_agreement(tmp_path, "qc-ca-two"))
    second = checkpoint_if_changed(registry, folder)
    assert second is not None and second.seq > first.seq
    assert read_checkpoint(Path(second.path))["seq"] == second.seq
    assert (folder.stat().st_mode & 0o777) == 0o700
    assert (Path(second.path).stat().st_mode & 0o777) == 0o600


def test_the_schedule_writes_at_start_on_ticks_and_at_stop(registry, tmp_path: Path) -> None:
    folder = tmp_path / "cp"
    schedule = CheckpointSchedule(registry, folder, minutes=0.001).start()
    deadline = time.monotonic() + 30
    while not list(folder.glob("checkpoint-*.json")):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    add_agreement(registry, path=rf.write_agreement(tmp_path, "qc-ca-three"))
    while len(list(folder.glob("checkpoint-*.json"))) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    schedule.stop()
    seqs = sorted(json.loads(p.read_text())["seq"] for p in folder.glob("checkpoint-*.json"))
    assert len(seqs) == 2 and seqs == sorted(set(seqs))
    with pytest.raises(InputError, match="positive number of minutes"):
        CheckpointSchedule(registry, folder, minutes=0)


def test_serve_writes_checkpoints_outside_the_database(tmp_path: Path) -> None:
    import os
    import signal
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tmp_path / "auditor" / "checkpoints"
    env = {**os.environ, "FAIRSHARE_HOME": str(tmp_path / "var"),
           "FAIRSHARE_CHECKPOINT_MINUTES": "60"}
    proc = subprocess.Popen([sys.executable, "-m", "fairshare", "serve", "--port", str(port),
                             "--checkpoint-dir", str(folder)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        import urllib.request

        deadline = time.monotonic() + 300
        while True:  # up and serving: the first checkpoint was written before it listens
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        assert list(folder.glob("checkpoint-*.json"))
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert f"Audit checkpoints: {folder.resolve()} every 60 min." in out, (out, err)
    for written in folder.glob("checkpoint-*.json"):
        assert read_checkpoint(written)["format"] == "fairshare-audit-checkpoint/1"
