"""Demo never reaches production (issue 15, point 6): `serve --demo` refuses a real home, a
normal `serve` refuses a demo registry or demo accounts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import registry_fixtures as rf
from fairshare.errors import DemoModeError
from fairshare.service import Settings, add_agreement, init_database, open_context
from fairshare.service.accounts import reset_accounts
from fairshare.service.demo import claim_demo_home, refuse_demo_data
from fairshare.store.accounts import instance_marks, users

sqlite_registry = rf.sqlite_registry


def _real_home(tmp_path):
    home = tmp_path / "real"
    ctx = open_context(Settings.for_home(home))
    init_database(ctx)
    add_agreement(ctx, path=rf.write_agreement(tmp_path))
    ctx.close()
    return home


def _env(home, **extra):
    return {"FAIRSHARE_HOME": str(home), "FAIRSHARE_DATABASE_URL": f"sqlite:///{home / 'fairshare.sqlite'}",
            "FAIRSHARE_KEYS_DIR": str(home / "keys"), **extra}


def test_serve_demo_refuses_a_home_with_real_data(tmp_path, run_cli):
    home = _real_home(tmp_path)
    result = run_cli("serve", "--demo", "--port", "1", env=_env(home, FAIRSHARE_DEMO_HOME=str(home)))
    assert result.exit_code == 2, result
    assert "did not create" in result.stderr and "agreements: 1" in result.stderr
    ctx = open_context(Settings.for_home(home))
    try:  # nothing was added: no demo account, no demo mark
        with ctx.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(users)).scalar_one() == 0
            assert conn.execute(select(func.count()).select_from(instance_marks)).scalar_one() == 0
    finally:
        ctx.close()


def test_normal_serve_refuses_a_demo_registry(tmp_path, run_cli):
    home = tmp_path / "demo"
    ctx = open_context(Settings.for_home(home))
    try:
        init_database(ctx)
        claim_demo_home(ctx)
        claim_demo_home(ctx)  # idempotent on its own registry
    finally:
        ctx.close()
    result = run_cli("serve", "--port", "1", env=_env(home))
    assert result.exit_code == 2, result
    assert "serve --demo" in result.stderr


def test_demo_accounts_are_marked_and_refused(sqlite_registry):
    refuse_demo_data(sqlite_registry)  # a real registry passes
    reset_accounts(sqlite_registry, [("demo-coordinator", "demo-" + "x" * 16, "coordinator", None)])
    with sqlite_registry.engine.connect() as conn:
        assert conn.execute(select(users.c.demo)).scalars().all() == [True]
    with pytest.raises(DemoModeError, match="demo accounts") as caught:
        refuse_demo_data(sqlite_registry)
    assert caught.value.details == ["demo account: demo-coordinator"]
    with pytest.raises(DemoModeError, match="did not create"):
        claim_demo_home(sqlite_registry)  # a home holding accounts and an agreement

