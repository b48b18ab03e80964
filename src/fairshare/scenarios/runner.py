"""Run a grid's cells on Dask distributed and write each finished cell at once.

By default an embedded :class:`distributed.LocalCluster` (worker processes, one thread each,
no set-up, offline); with ``scheduler`` the cells go to a running ``dask scheduler`` at that
address. The client (this process) writes every result as it arrives, so the workers need no
shared disk.

Cells go to Dask in batches: one task runs several cells one after the other and returns each
cell's rows or error (:func:`batch_sizes` chooses the sizes: several batches per worker, then
smaller and smaller ones so that the last cells of the sweep do not run alone on one worker
while the others wait). A cell costs a fraction of a second, so one task per cell would spend a
visible share of the sweep on scheduling. A batch changes nothing a cell computes or writes:
each cell is still its own file, written whole when its batch comes back.

Cells already on disk are skipped; a failing cell is recorded with its error and the rest of
its batch and of the sweep go on; a batch whose worker dies is rescheduled by Dask on another
worker, and a batch that Dask gives up on (``allowed-failures`` deaths) is run again one cell
per task, one task after the other, so that only the cell that kills its worker is recorded as
failed. Ctrl-C cancels
what is still running and leaves only whole cells behind (the cells of the unfinished batches
are computed again by the rerun).
"""

from __future__ import annotations

import logging
import math
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairshare.errors import ScenarioError
from fairshare.i18n import msg
from fairshare.scenarios.cell import CellSpec, run_cell
from fairshare.scenarios.grid import Grid
from fairshare.scenarios.results import finished_cells, prepare, write_cell, write_error


@dataclass(frozen=True)
class SweepSummary:
    """What a sweep did: ``wall_seconds`` from the first submitted cell to the last one written
    (``startup_seconds`` before: starting or reaching the cluster); ``cell_seconds`` the sum of
    the cells' own times on the workers; ``batches`` the Dask tasks the cells were sent in
    (:func:`batch_sizes`, and one per cell of a batch Dask gave up on)."""

    total: int
    skipped: int
    computed: int
    failed: int
    wall_seconds: float
    cell_seconds: float
    startup_seconds: float
    workers: int
    scheduler: str
    dashboard: str | None
    batches: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly."""
        return dict(self.__dict__)


BATCHES_PER_WORKER = 8
"""Batches each worker gets, at least, in an automatic plan (see :func:`batch_sizes`)."""
MAX_BATCH = 16
"""Most cells in one batch of an automatic plan (a Ctrl-C or a dead worker loses at most this
many cells' work; the progress bar moves at least every so many cells per worker)."""


def batch_sizes(cells: int, workers: int, batch: int | None = None) -> list[int]:
    """Sizes of the tasks of a sweep of ``cells`` cells on ``workers`` workers, in order.

    ``batch`` is the most cells in one task (None: ``cells / (workers x BATCHES_PER_WORKER)``
    rounded up, at most :data:`MAX_BATCH`). Each batch is also at most the cells still left
    divided by twice the workers, so the batches shrink to single cells at the end: when the
    last ones run, every worker finishes within about one cell of the others.

    >>> batch_sizes(100, 2)
    [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 5, 3, 3, 2, 1, 1, 1, 1]
    >>> batch_sizes(5, 2, batch=1)
    [1, 1, 1, 1, 1]
    >>> sum(batch_sizes(500, 2)), max(batch_sizes(500, 2)), len(batch_sizes(500, 2))
    (500, 16, 40)
    """
    if batch is not None and batch < 1:
        raise ScenarioError(msg("sweep_batch_min", batch=batch))
    workers = max(workers, 1)
    cap = batch if batch is not None else \
        min(MAX_BATCH, max(1, math.ceil(cells / (workers * BATCHES_PER_WORKER))))
    sizes: list[int] = []
    left = cells
    while left > 0:
        size = min(cap, max(1, math.ceil(left / (2 * workers))))
        sizes.append(size)
        left -= size
    return sizes


def compute_cell(spec: CellSpec) -> dict[str, Any]:
    """Run one cell on a worker: its rows, or its error (a failure never escapes)."""
    started = time.perf_counter()
    try:
        return {"cell_id": spec.cell_id, "rows": run_cell(spec),
                "seconds": time.perf_counter() - started}
    except Exception as exc:
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(last.filename).name}:{last.lineno}"
        return {"cell_id": spec.cell_id, "error": f"{type(exc).__name__}: {exc} (at {where})",
                "seconds": time.perf_counter() - started}


def compute_batch(specs: list[CellSpec]) -> list[dict[str, Any]]:
    """Run a batch of cells on a worker, one after the other: each cell's rows or its error
    (one cell's failure never reaches the others)."""
    return [compute_cell(spec) for spec in specs]


def _dashboard_available() -> bool:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


def _distributed() -> Any:
    """The distributed module (untyped: its calls are typed Any here)."""
    import distributed

    return distributed


LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    # One task on a worker at a time (Dask's default sends a second one ahead): a batch lasts
    # long enough that the next one's round trip costs nothing, the last batches go to whichever
    # worker is free, and a worker that dies takes no other batch with it.
    "distributed.scheduler.worker-saturation": 1.0,
    # Dask's own background work, which takes cores from the cells on a small machine (idle, an
    # embedded cluster of 2 workers used about 7% of a core; with these, under 2%): no
    # statistical profiling of the cells (every 10 ms; the dashboard's profile page stays
    # empty), event-loop health checks every 500 ms (20 ms), memory limits checked every second
    # (100 ms), system metrics every 2 s (500 ms).
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}
"""Dask settings of the embedded LocalCluster (a ``dask scheduler`` keeps its own)."""


def _client(scheduler: str | None, workers: int) -> tuple[Any, Any]:
    dist = _distributed()
    if scheduler:
        try:
            return dist.Client(scheduler, timeout="10s"), None
        except OSError as exc:
            raise ScenarioError(msg("sweep_no_scheduler", scheduler=scheduler,
                                    problem=str(exc))) from None
    import dask

    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        cluster = dist.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                    dashboard_address=":0" if _dashboard_available() else None,
                                    silence_logs=logging.ERROR, host="127.0.0.1")
    return dist.Client(cluster), cluster


def default_workers() -> int:
    """One worker per core."""
    return max(os.cpu_count() or 1, 1)


def _batch_key(specs: list[CellSpec]) -> str:
    """A task's key: one prefix for all (one Dask task group: large enough, Dask queues its tasks
    on the scheduler and hands them out in priority order as workers free up)."""
    return f"fairshare-cells-{specs[0].cell_id}-{len(specs)}"


def run_sweep(grid: Grid, out: Path, *, scheduler: str | None = None, workers: int | None = None,
              batch: int | None = None,
              on_start: Callable[[int, int, str | None], None] | None = None,
              on_cell: Callable[[str, bool], None] | None = None) -> SweepSummary:
    """Run every cell of ``grid`` not yet in ``out`` and write each as it finishes.

    Args:
        grid: a checked grid (:func:`fairshare.scenarios.grid.load_grid`).
        out: the sweep folder (created with its manifest, or resumed).
        scheduler: address of a running Dask scheduler; None starts a LocalCluster.
        workers: worker processes of the LocalCluster (default one per core).
        batch: most cells in one Dask task (default chosen from the cells and the workers,
            :func:`batch_sizes`; 1 submits one task per cell).
        on_start: called with (cells to compute, cells skipped, dashboard link).
        on_cell: called with (cell id, succeeded) as each cell is written (the cells of a batch
            are written one after the other when the batch comes back).
    """
    if workers is not None and workers < 1:
        raise ScenarioError(msg("sweep_workers_min", workers=workers))
    if batch is not None and batch < 1:
        raise ScenarioError(msg("sweep_batch_min", batch=batch))
    prepare(out, grid)
    done = finished_cells(out)
    todo = [c for c in grid.cells if c.cell_id not in done]
    skipped = len(grid.cells) - len(todo)
    started = time.perf_counter()
    if not todo:
        if on_start:
            on_start(0, skipped, None)
        return SweepSummary(total=len(grid.cells), skipped=skipped, computed=0, failed=0,
                            wall_seconds=0.0, cell_seconds=0.0, startup_seconds=0.0, workers=0,
                            scheduler=scheduler or "none", dashboard=None, batches=0)
    n_workers = workers or min(default_workers(), len(todo))
    as_completed = _distributed().as_completed
    client, cluster = _client(scheduler, n_workers)
    if cluster is not None:
        client.wait_for_workers(n_workers, timeout=120)
    startup = time.perf_counter() - started
    started = time.perf_counter()
    failed = computed = 0
    cell_seconds = 0.0
    try:
        info = client.scheduler_info()
        link = client.dashboard_link if "dashboard" in info.get("services", {}) else None
        if scheduler:  # the running cluster's workers, whatever --workers says
            n_workers = max(len(info.get("workers", {})), 1)
        if on_start:
            on_start(len(todo), skipped, link)
        by_key: dict[str, list[CellSpec]] = {}
        futures = []
        pending = as_completed()
        # Key of a task of one cell -> the cells of its dead batch still to run, one at a time.
        suspects: dict[str, list[CellSpec]] = {}

        def submit(specs: list[CellSpec], priority: int) -> str:
            fut = client.submit(compute_batch, specs, key=_batch_key(specs), pure=False,
                                retries=0, priority=priority)
            by_key[fut.key] = specs
            futures.append(fut)
            pending.add(fut)
            return str(fut.key)

        left = iter(todo)
        sizes = batch_sizes(len(todo), n_workers, batch)
        for n, size in enumerate(sizes):  # the first submitted run first; the small ones last
            submit([next(left) for _ in range(size)], len(sizes) - n)
        try:
            for fut in pending:
                specs = by_key.pop(fut.key)
                try:
                    results = fut.result()
                except Exception as exc:  # the worker died too often, or the task could not run
                    results = [{"cell_id": specs[0].cell_id, "seconds": 0.0,
                                "error": f"{type(exc).__name__}: {exc}"}]
                    if len(specs) > 1:  # its cells again, one task each, one after the other:
                        fut.release()  # only the culprit fails, no other cell dies with it
                        suspects[submit(specs[:1], len(sizes) + 1)] = specs[1:]
                        continue
                fut.release()
                rest = suspects.pop(fut.key, None)
                if rest:
                    suspects[submit(rest[:1], len(sizes) + 1)] = rest[1:]
                for spec, result in zip(specs, results, strict=True):
                    cell_seconds += float(result.get("seconds", 0.0))
                    if "rows" in result:
                        write_cell(out, spec.scenario, result["rows"])
                        computed += 1
                    else:
                        write_error(out, spec.cell_id, spec.scenario, spec.params,
                                    str(result["error"]))
                        failed += 1
                    if on_cell:
                        on_cell(spec.cell_id, "rows" in result)
        except BaseException:
            client.cancel(futures)
            raise
        wall = time.perf_counter() - started  # the last cell is written: closing is not counted
        n_seen = len(client.scheduler_info().get("workers", {})) if scheduler else n_workers
        n_tasks = len(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return SweepSummary(total=len(grid.cells), skipped=skipped, computed=computed, failed=failed,
                        wall_seconds=wall, cell_seconds=cell_seconds, startup_seconds=startup,
                        workers=n_seen,
                        scheduler=scheduler or "local", dashboard=link, batches=n_tasks)
