"""Files private by default: 0600 files in 0700 folders whatever the umask (issue 15, point 9)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import registry_fixtures as rf
from fairshare.exchange.export import write_export
from fairshare.privatefs import private_dir, write_private_text
from fairshare.service import Settings, add_agreement, init_database, open_context
from fairshare.service.checkpoint import write_checkpoint


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_home_database_wal_keys_exports_and_checkpoints_are_private(tmp_path, permissive_umask):
    home = tmp_path / "new" / "home"
    ctx = open_context(Settings.for_home(home))
    try:
        init_database(ctx)
        add_agreement(ctx, path=rf.write_agreement(tmp_path))
        checkpoint = tmp_path / "checkpoints" / "c1.json"
        write_checkpoint(ctx, out=checkpoint)
        with ctx.engine.connect() as conn:  # the WAL and SHM exist while a connection is open
            conn.exec_driver_sql("SELECT count(*) FROM audit_entries").scalar()
            files = [home / "fairshare.sqlite", home / "fairshare.sqlite-wal",
                     home / "fairshare.sqlite-shm", checkpoint]
            assert all(f.exists() for f in files)
            assert {str(f): _mode(f) for f in files} == {str(f): 0o600 for f in files}
    finally:
        ctx.close()
    keys = sorted(p for p in (home / "keys").iterdir())
    assert keys and {_mode(p) for p in keys} == {0o600}
    folders = [tmp_path / "new", home, home / "keys", tmp_path / "checkpoints"]
    assert {str(f): _mode(f) for f in folders} == {str(f): 0o700 for f in folders}
    for name in ("out.csv", "out.json"):
        path = write_export([{"a": "1"}], ["a"], tmp_path / "exports" / name)
        assert _mode(path) == 0o600
    assert _mode(tmp_path / "exports") == 0o700


def test_rewriting_an_existing_readable_file_makes_it_private(tmp_path, permissive_umask):
    path = tmp_path / "report.html"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o644)
    write_private_text(path, "new")
    assert path.read_text(encoding="utf-8") == "new" and _mode(path) == 0o600


def test_an_existing_folder_is_left_as_it_is(tmp_path, permissive_umask):
    tmp_path.chmod(0o755)
    private_dir(tmp_path / "a" / "b")
    assert _mode(tmp_path) == 0o755
    assert _mode(tmp_path / "a") == _mode(tmp_path / "a" / "b") == 0o700


def test_plans_written_by_run_and_arrivals_out_are_private(tmp_path, permissive_umask):
    import datetime as dt

    from fairshare.arrivals.io import write_plan as write_arrivals_plan
    from fairshare.matching.io import write_plan

    plan = tmp_path / "plans" / "plan.csv"
    write_plan(plan, {"f2": "ON", "f1": None})
    assert plan.read_text(encoding="utf-8").splitlines() == ["family_id,destination", "f1,", "f2,ON"]
    later = tmp_path / "later" / "plan.csv"
    write_arrivals_plan(later, {"f1": "QC"}, {"f1": dt.date(2026, 1, 5)})
    assert {_mode(plan), _mode(later)} == {0o600}
    assert {_mode(plan.parent), _mode(later.parent)} == {0o700}


def test_maps_charts_and_sweep_files_are_private(tmp_path, permissive_umask):
    from fairshare.analysis import balance_frame
    from fairshare.charts import write_map
    from fairshare.scenarios.grid import load_grid
    from fairshare.scenarios.results import prepare

    df = balance_frame("canada-population", years="2024", cumulative=True)
    written = [tmp_path / f"map.{suffix}" for suffix in ("html", "svg", "png")]
    for path in written:
        write_map(df, path)
    root = Path(__file__).resolve().parents[1]
    sweep = tmp_path / "sweeps" / "small"
    prepare(sweep, load_grid(root / "examples" / "sweep-small.yaml"))
    written.append(sweep / "manifest.json")
    assert {_mode(p) for p in written} == {0o600}
    assert _mode(sweep) == _mode(sweep.parent) == 0o700
