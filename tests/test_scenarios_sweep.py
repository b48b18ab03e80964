"""Sweeps on real Dask clusters: an embedded LocalCluster (2 worker processes) and a
`dask scheduler` + `dask worker` started on 127.0.0.1; resume, failures, killed workers, Ctrl-C."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import fairshare
from fairshare.errors import ScenarioError
from fairshare.scenarios.cell import FAIL_EXIT
from fairshare.scenarios.grid import load_grid
from fairshare.scenarios.results import COLUMNS, read_errors, read_manifest
from fairshare.scenarios.runner import MAX_BATCH, batch_sizes, run_sweep

pytestmark = pytest.mark.slow

ENV = {**os.environ, "PYTHONPATH": str(Path(fairshare.__file__).resolve().parents[1])}


def write_grid(folder: Path, *, seeds: int = 2, volumes=(1.0, 0.68), name: str = "g") -> Path:
    path = folder / f"{name}.yaml"
    vols = ", ".join(f"{v:g}" for v in volumes)
    path.write_text(f"""name: {name}
base:
  year: "2024"
  consent_rate: 0.002
  solver: greedy
  solidarity: canada-ihap
axes:
  key: [canada-population, eu-2024-reference]
  volume: [{vols}]
  seeds: {{start: 1, count: {seeds}}}
""", encoding="utf-8")
    return path


def folder_bytes(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def check_complete(out: Path, n_cells: int) -> None:
    df = fairshare.read_sweep(out)
    assert df["cell_id"].nunique() == n_cells
    assert len(df) == n_cells * 13  # one row per cell and jurisdiction, no cell twice
    assert not df.duplicated(["cell_id", "jurisdiction"]).any()
    assert {n for n, _ in COLUMNS} <= set(df.columns) and "scenario" in df.columns
    assert not list(out.rglob(".*.tmp"))
    manifest = read_manifest(out)
    assert {c["cell_id"] for c in manifest["cells"]} == set(df["cell_id"])


def test_local_cluster_sweep_resume_and_failure(tmp_path):
    grid = load_grid(write_grid(tmp_path))
    assert len(grid.cells) == 8 and len(grid.scenarios) == 4
    # One cell raises inside its worker (a real exception): recorded, and the sweep goes on.
    bad = grid.cells[3]
    broken = dataclasses.replace(grid, cells=tuple(
        dataclasses.replace(c, fail="injected failure") if c is bad else c for c in grid.cells))
    out = tmp_path / "sweep"
    seen: list[tuple[str, bool]] = []
    summary = run_sweep(broken, out, workers=2, on_cell=lambda cid, ok: seen.append((cid, ok)))
    assert summary.computed == 7 and summary.failed == 1 and summary.workers == 2
    assert sorted(seen) == sorted((c.cell_id, c is not bad) for c in grid.cells)
    [error] = read_errors(out)
    assert error["cell_id"] == bad.cell_id and "injected failure" in error["error"]
    assert error["params"]["seed"] == bad.seed
    # The rerun (without the injected failure) computes only the failed cell...
    summary = run_sweep(grid, out, workers=2)
    assert (summary.computed, summary.skipped, summary.failed) == (1, 7, 0)
    assert read_errors(out) == []
    check_complete(out, 8)
    before = folder_bytes(out)
    # ... and a third run computes nothing and changes no byte.
    summary = run_sweep(grid, out, workers=2)
    assert (summary.computed, summary.skipped) == (0, 8)
    assert folder_bytes(out) == before
    # Cells are deterministic per seed whatever worker runs them: one worker, same rows.
    again = tmp_path / "again"
    run_sweep(grid, again, workers=1)
    a = fairshare.read_sweep(out).drop(columns="seconds")
    b = fairshare.read_sweep(again).drop(columns="seconds")
    assert a.equals(b)
    # Each file is a whole Parquet file of one cell.
    for f in (out / "data").rglob("*.parquet"):
        assert pq.read_table(f).num_rows == 13


@pytest.mark.parametrize(("cells", "workers"), [(1, 1), (7, 2), (40, 2), (500, 2), (500, 1),
                                                 (3000, 8), (13, 4)])
def test_batch_plan(cells, workers):
    sizes = batch_sizes(cells, workers)
    assert sum(sizes) == cells and min(sizes) >= 1 and max(sizes) <= MAX_BATCH
    assert sizes == sorted(sizes, reverse=True)  # the small batches run last
    assert sizes[-workers:] == [1] * min(workers, len(sizes))  # the tail: single cells
    assert len(sizes) >= min(cells, 4 * workers)  # every worker gets several batches
    assert batch_sizes(cells, workers, batch=1) == [1] * cells
    assert max(batch_sizes(cells, workers, batch=3)) <= 3
    with pytest.raises(ScenarioError, match="--batch 0"):
        batch_sizes(cells, workers, batch=0)


def test_batches_write_each_cell_and_record_each_failure(tmp_path):
    """Several cells per Dask task: a cell failing in the middle of a batch is recorded alone,
    the others of its batch are written, reruns change no byte, the rows are those of one
    task per cell."""
    grid = load_grid(write_grid(tmp_path, seeds=3))
    assert batch_sizes(len(grid.cells), 2, batch=4) == [3, 3, 2, 1, 1, 1, 1]
    bad = grid.cells[1]  # the middle cell of the first batch (cells 0, 1, 2)
    broken = dataclasses.replace(grid, cells=tuple(
        dataclasses.replace(c, fail="injected failure") if c is bad else c for c in grid.cells))
    out = tmp_path / "sweep"
    seen: list[tuple[str, bool]] = []
    summary = run_sweep(broken, out, workers=2, batch=4,
                        on_cell=lambda cid, ok: seen.append((cid, ok)))
    assert (summary.computed, summary.failed, summary.batches) == (11, 1, 7)
    assert sorted(seen) == sorted((c.cell_id, c is not bad) for c in grid.cells)
    [error] = read_errors(out)
    assert error["cell_id"] == bad.cell_id and "injected failure" in error["error"]
    written = {p.stem for p in (out / "data").rglob("*.parquet")}
    assert {grid.cells[0].cell_id, grid.cells[2].cell_id} <= written and bad.cell_id not in written
    summary = run_sweep(grid, out, workers=2, batch=4)
    assert (summary.computed, summary.skipped, summary.failed, summary.batches) == (1, 11, 0, 1)
    check_complete(out, 12)
    before = folder_bytes(out)
    summary = run_sweep(grid, out, workers=2, batch=4)
    assert (summary.computed, summary.skipped, summary.batches) == (0, 12, 0)
    assert folder_bytes(out) == before
    single = tmp_path / "single"
    summary = run_sweep(grid, single, workers=1, batch=1)
    assert summary.batches == 12
    a = fairshare.read_sweep(out).drop(columns="seconds")
    b = fairshare.read_sweep(single).drop(columns="seconds")
    assert a.equals(b)
    assert sorted(p.relative_to(out) for p in (out / "data").rglob("*.parquet")) == \
        sorted(p.relative_to(single) for p in (single / "data").rglob("*.parquet"))


def test_a_batch_whose_worker_dies_is_split_and_only_the_culprit_fails(tmp_path):
    """A cell that ends its worker's process: after Dask's allowed deaths (4 workers) it gives
    up on the batch; the batch's cells run again one task each, one after the other; only the
    culprit is recorded as failed, the cell that shared its batch is written."""
    grid = load_grid(write_grid(tmp_path))
    assert batch_sizes(len(grid.cells), 2, batch=4) == [2, 2, 1, 1, 1, 1]
    bad = grid.cells[1]  # in the first batch, with cells[0]
    broken = dataclasses.replace(grid, cells=tuple(
        dataclasses.replace(c, fail=FAIL_EXIT) if c is bad else c for c in grid.cells))
    out = tmp_path / "sweep"
    summary = run_sweep(broken, out, workers=2, batch=4)
    assert (summary.computed, summary.failed) == (7, 1)
    assert summary.batches == 6 + 2  # the planned batches, then the dead one's two cells alone
    [error] = read_errors(out)
    assert error["cell_id"] == bad.cell_id and "KilledWorker" in error["error"]
    assert grid.cells[0].cell_id in {p.stem for p in (out / "data").rglob("*.parquet")}
    summary = run_sweep(grid, out, workers=2)
    assert (summary.computed, summary.skipped, summary.failed) == (1, 7, 0)
    check_complete(out, 8)


def test_another_grid_into_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "sweep"
    run_sweep(load_grid(write_grid(tmp_path, seeds=1, volumes=(1.0,))), out, workers=1)
    other = load_grid(write_grid(tmp_path, seeds=1, volumes=(0.5,), name="other"))
    with pytest.raises(ScenarioError, match="another grid"):
        run_sweep(other, out, workers=1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env=ENV, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait_for_workers(address: str, n: int) -> None:
    from distributed import Client

    deadline = time.monotonic() + 60
    with Client(address, timeout="20s") as client:
        while len(client.scheduler_info()["workers"]) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"{n} workers did not connect to {address}")
            time.sleep(0.2)


@pytest.fixture
def dask_cluster(tmp_path):
    """A `dask scheduler` and two `dask worker` processes (no nanny) on 127.0.0.1."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    bindir = Path(sys.executable).parent
    procs = [_start([str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                     "--no-dashboard"], tmp_path / "scheduler.log")]
    try:
        workers = [_start([str(bindir / "dask"), "worker", address, "--nthreads", "1",
                           "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"],
                          tmp_path / f"worker{i}.log") for i in range(2)]
        procs += workers
        _wait_for_workers(address, 2)
        yield address, workers
    finally:
        for p in reversed(procs):
            _stop(p)


def test_scheduler_and_workers_by_address_with_a_worker_killed(tmp_path, dask_cluster, run_cli):
    address, workers = dask_cluster
    grid_path = write_grid(tmp_path, seeds=4)
    out = tmp_path / "sweep"
    proc = subprocess.Popen([sys.executable, "-m", "fairshare", "sweep", str(grid_path), "--out",
                             str(out), "--scheduler", address, "--batch", "4", "--format",
                             "json"], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not list((out / "data").rglob("*.parquet")) if (out / "data").exists() else True:
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        os.kill(workers[0].pid, signal.SIGKILL)  # mid-sweep: its running batch goes elsewhere
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    import json

    summary = json.loads(stdout)
    assert summary["total"] == 16 and summary["computed"] + summary["skipped"] == 16
    assert summary["failed"] == 0 and summary["scheduler"] == address
    check_complete(out, 16)
    before = folder_bytes(out)
    again = run_cli("sweep", str(grid_path), "--out", str(out), "--scheduler", address,
                    "--format", "json")
    assert again.exit_code == 0, again
    assert json.loads(again.stdout)["computed"] == 0
    assert folder_bytes(out) == before


def test_ctrl_c_leaves_only_whole_cells(tmp_path, run_cli):
    grid_path = write_grid(tmp_path, seeds=6)
    out = tmp_path / "sweep"
    proc = subprocess.Popen([sys.executable, "-m", "fairshare", "sweep", str(grid_path), "--out",
                             str(out), "--workers", "1"], env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while len(list(out.glob("data/*/*.parquet"))) < 2:
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "rerun the same command" in stderr
    files = list(out.glob("data/*/*.parquet"))
    assert 2 <= len(files) < 24
    for f in files:
        assert pq.read_table(f).num_rows == 13  # every file is a whole cell
    assert not list(out.rglob(".*.tmp"))
    done = run_cli("sweep", str(grid_path), "--out", str(out), "--workers", "2")
    assert done.exit_code == 0, done
    check_complete(out, 24)
