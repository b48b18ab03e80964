"""Fixtures for the registry tests (store, exchange, service, CLI): a migrated database on
SQLite and on a real PostgreSQL server, an agreement, small batches.

PostgreSQL: a template database is migrated once per session on the server at
``FAIRSHARE_TEST_PG`` (default postgresql+psycopg://postgres@127.0.0.1:5432/test, started by
scripts/setup.d/postgres.sh); each test gets a fresh copy and every copy is dropped afterwards.
"""

from __future__ import annotations

import atexit
import csv
import datetime as dt
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fairshare.exchange.agreements import synth_agreement_yaml
from fairshare.service import (
    Context,
    Settings,
    add_agreement,
    add_capacity,
    init_database,
    open_context,
)

PG_SERVER = os.environ.get("FAIRSHARE_TEST_PG",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")
AGREEMENT = "qc-ca-test"
TODAY = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


class FrozenClock:
    """A clock tests move by hand."""

    def __init__(self, moment: dt.datetime = TODAY) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += dt.timedelta(**delta)


class StallingClock(FrozenClock):
    """A frozen clock that, read by the main thread of another process than the one that made
    it (a job process: the clock travels with the job), stops there at its ``calls``-th
    reading: a job that works for as long as the test wants (until it is killed or stopped).
    In the job process the 1st reading is the job's claim (``running``), the 2nd its first
    progress step."""

    def __init__(self, moment: dt.datetime = TODAY, *, calls: int = 2) -> None:
        super().__init__(moment)
        self.owner = os.getpid()
        self.calls = calls
        self.seen = 0

    def __call__(self) -> dt.datetime:
        if os.getpid() != self.owner and threading.current_thread() is threading.main_thread():
            self.seen += 1
            if self.seen >= self.calls:
                time.sleep(600)  # until the test kills the process
        return self.moment


def job_problem(exc: Exception) -> dict[str, Any]:
    """A refused job's problem body for a JobRunner built in a test (module level: the job
    process receives it)."""
    return {"status": 422, "code": "refused", "message": str(exc)}


def _admin_conn() -> Any:
    import psycopg

    dsn = PG_SERVER.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(dsn, autocommit=True, connect_timeout=3)


def _pg_url(name: str) -> str:
    return PG_SERVER.rsplit("/", 1)[0] + "/" + name


_TEMPLATE: list[str] = []


def pg_template() -> str:
    """A migrated PostgreSQL database with the reference data, used as a template (created on
    first use, dropped when the test process exits)."""
    if _TEMPLATE:
        return _TEMPLATE[0]
    try:
        url, drop = fresh_pg_database(None, prefix="fairshare_tpl")
    except Exception as exc:
        pytest.skip(f"no PostgreSQL server at {PG_SERVER} ({exc}); run scripts/setup.d/postgres.sh")
    atexit.register(drop)
    ctx = open_context(Settings(home=Path("/nonexistent"), database_url=url,
                                keys_dir=Path("/nonexistent"), actor="tester"))
    init_database(ctx)
    ctx.close()
    _TEMPLATE.append(url.rsplit("/", 1)[1])
    return _TEMPLATE[0]


_SQLITE_TEMPLATE: list[Path] = []


def sqlite_copy(target: Path) -> Path:
    """A copy of a migrated, initialised SQLite database (migrated once per test process)."""
    if not _SQLITE_TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="fairshare-tpl-"))
        atexit.register(shutil.rmtree, folder, True)
        ctx = open_context(Settings.for_home(folder))
        init_database(ctx)
        with ctx.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        ctx.close()
        _SQLITE_TEMPLATE.append(folder / "fairshare.sqlite")
    shutil.copyfile(_SQLITE_TEMPLATE[0], target)
    return target


def fresh_pg_database(template: str | None, *, prefix: str = "fairshare_test") -> tuple[str, Any]:
    """A new database copied from ``template`` (an empty one for None); returns its URL and a
    dropper."""
    admin = _admin_conn()
    name = f"{prefix}_{secrets.token_hex(5)}"
    admin.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))

    def drop() -> None:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()

    return _pg_url(name), drop


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Context]:
    """A migrated, initialised registry on SQLite and on PostgreSQL, with a frozen clock and
    the test agreement ``qc-ca-test`` added."""
    clock = FrozenClock()
    drop = None
    if request.param == "postgresql":
        url, drop = fresh_pg_database(pg_template())
    else:
        url = f"sqlite:///{sqlite_copy(tmp_path / 'registry.sqlite')}"
    settings = Settings(home=tmp_path, database_url=url, keys_dir=tmp_path / "keys",
                        actor="tester")
    ctx = open_context(settings, clock=clock)
    init_database(ctx)
    add_agreement(ctx, path=write_agreement(tmp_path))
    try:
        yield ctx
    finally:
        ctx.close()
        if drop is not None:
            drop()


@pytest.fixture
def sqlite_registry(tmp_path: Path) -> Iterator[Context]:
    """The registry on SQLite only (for tests that look at the file itself)."""
    settings = Settings.for_home(tmp_path)
    sqlite_copy(tmp_path / "fairshare.sqlite")
    ctx = open_context(settings, clock=FrozenClock())
    add_agreement(ctx, path=write_agreement(tmp_path))
    yield ctx
    ctx.close()


def write_agreement(folder: Path, agreement_id: str = AGREEMENT, **kwargs: Any) -> Path:
    """The example agreement (valid 2026-01-01 to 2027-12-31) as a file."""
    path = folder / f"{agreement_id}.yaml"
    path.write_text(synth_agreement_yaml(agreement_id=agreement_id, **kwargs), encoding="utf-8")
    return path


def person(claimant_id: str, family_id: str, **fields: Any) -> dict[str, str]:
    """One import row with sensible defaults."""
    row = {"claimant_id": claimant_id, "family_id": family_id, "current_jurisdiction": "QC",
           "birth_year": "1990", "sex": "F", "languages": "fr:fluent;en:basic",
           "education": "secondary", "work_experience_years": "4", "consent": "yes",
           "consent_text_version": "2026-01", "consent_at": "2026-02-01T10:00:00Z",
           "preferences": "NB;ON", "excluded": "", "services": "", "ties": ""}
    row.update({k: str(v) for k, v in fields.items()})
    return row


def families_rows(n: int, *, size: int = 2, prefix: str = "Q") -> list[dict[str, str]]:
    """``n`` families of ``size`` persons."""
    return [person(f"{prefix}-C{f:04d}-{m}", f"{prefix}-F{f:04d}")
            for f in range(1, n + 1) for m in range(size)]


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    """Write rows as CSV (columns default to the first row's keys)."""
    cols = columns or list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=cols, lineterminator="\n",
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_capacity(path: Path, offers: list[tuple[str, str, int]],
                   expires_on: str = "2027-06-30") -> Path:
    """Capacity offers (offer id, jurisdiction, persons) without housing limits."""
    rows = [{"offer_id": oid, "jurisdiction": code, "period": "2026", "persons": str(n),
             "services": "english;french", "expires_on": expires_on} for oid, code, n in offers]
    return write_csv(path, rows)


def add_offers(ctx: Context, folder: Path, offers: list[tuple[str, str, int]]) -> None:
    """Store capacity offers."""
    add_capacity(ctx, path=write_capacity(folder / f"cap-{secrets.token_hex(3)}.csv", offers))


def table_counts(ctx: Context) -> dict[str, int]:
    """Row counts of every registry table (to show that a failed write changed nothing)."""
    from sqlalchemy import func, select

    from fairshare.store.tables import metadata

    with ctx.engine.connect() as conn:
        return {name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for name, t in sorted(metadata.tables.items())}


def write_agreement_with_parties(folder: Path, agreement_id: str,
                                 parties: list[tuple[str, str]], **kwargs: Any) -> Path:
    """The example agreement with other parties: (code, role) pairs, role provider|recipient."""
    import yaml

    doc = yaml.safe_load(synth_agreement_yaml(agreement_id=agreement_id, **kwargs))
    doc["parties"] = [{"code": code, "name": f"Government of {code}", "role": role}
                      for code, role in parties]
    path = folder / f"{agreement_id}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def tamper(ctx: Context, statement: str) -> None:
    """Run ``statement`` behind the application's back (audit triggers switched off)."""
    from sqlalchemy import text

    with ctx.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_delete"))
            conn.exec_driver_sql(statement)
        else:
            conn.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
            conn.exec_driver_sql(statement)
            conn.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER USER"))
