"""Run a grid's cells on Dask distributed and write each finished cell at once.

By default an embedded :class:`distributed.LocalCluster` (worker processes, one thread each,
no set-up, offline); with ``scheduler`` the cells go to a running ``dask scheduler`` at that
address. The client (this process) writes every result as it arrives, so the workers need no
shared disk. Cells already on disk are skipped; a failing cell is recorded with its error and
the sweep goes on; a cell whose worker dies is rescheduled by Dask on another worker (and
recorded as failed after ``allowed-failures`` deaths). Ctrl-C cancels what is still running and
leaves only whole cells behind.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairshare.errors import ScenarioError
from fairshare.scenarios.cell import CellSpec, run_cell
from fairshare.scenarios.grid import Grid
from fairshare.scenarios.results import finished_cells, prepare, write_cell, write_error


@dataclass(frozen=True)
class SweepSummary:
    """What a sweep did: ``wall_seconds`` from the first submitted cell to the last one written
    (``startup_seconds`` before: starting or reaching the cluster); ``cell_seconds`` the sum of
    the cells' own times on the workers."""

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

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly."""
        return dict(self.__dict__)


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


def _client(scheduler: str | None, workers: int) -> tuple[Any, Any]:
    dist = _distributed()
    if scheduler:
        try:
            return dist.Client(scheduler, timeout="10s"), None
        except OSError as exc:
            raise ScenarioError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there "
                                f"({exc}). Start one with `dask scheduler` or omit --scheduler "
                                "to run on this machine.") from None
    cluster = dist.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0" if _dashboard_available() else None,
                           silence_logs=logging.ERROR, host="127.0.0.1")
    return dist.Client(cluster), cluster


def default_workers() -> int:
    """One worker per core."""
    return max(os.cpu_count() or 1, 1)


def run_sweep(grid: Grid, out: Path, *, scheduler: str | None = None, workers: int | None = None,
              on_start: Callable[[int, int, str | None], None] | None = None,
              on_cell: Callable[[str, bool], None] | None = None) -> SweepSummary:
    """Run every cell of ``grid`` not yet in ``out`` and write each as it finishes.

    Args:
        grid: a checked grid (:func:`fairshare.scenarios.grid.load_grid`).
        out: the sweep folder (created with its manifest, or resumed).
        scheduler: address of a running Dask scheduler; None starts a LocalCluster.
        workers: worker processes of the LocalCluster (default one per core).
        on_start: called with (cells to compute, cells skipped, dashboard link).
        on_cell: called with (cell id, succeeded) as each cell is written.
    """
    if workers is not None and workers < 1:
        raise ScenarioError(f"--workers {workers}: give at least 1.")
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
                            scheduler=scheduler or "none", dashboard=None)
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
        services = client.scheduler_info().get("services", {})
        link = client.dashboard_link if "dashboard" in services else None
        if on_start:
            on_start(len(todo), skipped, link)
        by_key = {}
        futures = []
        for spec in todo:
            fut = client.submit(compute_cell, spec, key=f"fairshare-cell-{spec.cell_id}",
                                pure=False, retries=0)
            by_key[fut.key] = spec
            futures.append(fut)
        try:
            for fut in as_completed(futures):
                spec = by_key[fut.key]
                try:
                    result = fut.result()
                except Exception as exc:  # the worker died too often, or the task could not run
                    result = {"cell_id": spec.cell_id, "seconds": 0.0,
                              "error": f"{type(exc).__name__}: {exc}"}
                fut.release()
                cell_seconds += float(result.get("seconds", 0.0))
                if "rows" in result:
                    write_cell(out, spec.scenario, result["rows"])
                    computed += 1
                else:
                    write_error(out, spec.cell_id, spec.scenario, spec.params, str(result["error"]))
                    failed += 1
                if on_cell:
                    on_cell(spec.cell_id, "rows" in result)
        except BaseException:
            client.cancel(futures)
            raise
        n_seen = len(client.scheduler_info().get("workers", {})) if scheduler else n_workers
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return SweepSummary(total=len(grid.cells), skipped=skipped, computed=computed, failed=failed,
                        wall_seconds=time.perf_counter() - started, cell_seconds=cell_seconds,
                        startup_seconds=startup,
                        workers=n_seen, scheduler=scheduler or "local", dashboard=link)
