"""Scenario sweeps on Dask: 500 cells on 1 and on 2 worker processes of a LocalCluster.

The machine is shared, so the two configurations run in alternating rounds (1 worker, then 2,
then 2, then 1, ...) over the same number of cells: both see the same load. Each round is a
sweep of its own (``run_sweep``, the code behind ``fairshare sweep``), cells sent in batches as
the command sends them. Reported:

- the speed-up of 2 workers over 1: the 1-worker wall time over the 2-worker wall time (target
  >= 1.7x). Wall time runs from the first batch submitted to the last cell written (the
  cluster's start and stop are shown beside it, and an end-to-end speed-up that includes them);
- the scheduling overhead: wall time x workers minus the cells' own time (measured inside the
  workers around each cell), over the cells' own time (target <= 5%). It counts every moment a
  worker was not running a cell: dispatch, transfer, the client writing, the tail;
- the cells' own time with 2 workers over that with 1 (above 1: the two cores were shared with
  something else, the scheduler and the client included: batching cannot recover that part).

The cells are real (a simulated year each, fairshare.arrivals, myopic, 150-500 ms on a core).
SWEEP_CELLS=N (default 500, a multiple of 20), SWEEP_ROUNDS=R (default 4) and SWEEP_BATCH=B (most
cells per Dask task; default the runner's automatic plan, 1 for one task per cell) change it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

GRID = """name: bench-sweep-{round}
base:
  year: "2024"
  consent_rate: 0.008
  solidarity: canada-ihap
axes:
  key: [canada-population, eu-2024-reference]
  online_policy: [myopic]
  volume: [0.6, 0.8, 1.0, 1.2, 1.4]
  capacity: [1.0, 0.5]
  seeds: {{start: {start}, count: {seeds}}}
"""
CELLS_PER_SEED = 20  # 2 keys x 5 volumes x 2 capacity levels


def _bytes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def main() -> None:
    from fairshare.scenarios.grid import load_grid
    from fairshare.scenarios.runner import run_sweep

    cells = int(os.environ.get("SWEEP_CELLS", "500"))
    rounds = int(os.environ.get("SWEEP_ROUNDS", "4"))
    batch = int(os.environ["SWEEP_BATCH"]) if os.environ.get("SWEEP_BATCH") else None
    seeds = max(cells // CELLS_PER_SEED, 1)
    rounds = max(min(rounds, seeds), 1)
    per_round = [seeds // rounds + (1 if r < seeds % rounds else 0) for r in range(rounds)]
    sizes = ", ".join(str(n * CELLS_PER_SEED) for n in per_round)
    print(f"{seeds * CELLS_PER_SEED} cells in {rounds} rounds of {sizes}; batches: "
          f"{'automatic' if batch is None else f'at most {batch} cells'}", flush=True)
    # workers -> wall, cells' own time, cells, tasks, start+stop of the cluster
    totals = {1: [0.0, 0.0, 0, 0, 0.0], 2: [0.0, 0.0, 0, 0, 0.0]}
    with tempfile.TemporaryDirectory() as tmp:
        start = 1
        for r, n_seeds in enumerate(per_round):
            path = Path(tmp) / f"grid{r}.yaml"
            path.write_text(GRID.format(round=r, start=start, seeds=n_seeds), encoding="utf-8")
            start += n_seeds
            grid = load_grid(path)
            for workers in ((1, 2) if r % 2 == 0 else (2, 1)):
                began = time.perf_counter()
                s = run_sweep(grid, Path(tmp) / f"out{r}-{workers}", workers=workers, batch=batch)
                outer = time.perf_counter() - began
                assert s.computed == len(grid.cells) and s.failed == 0
                t = totals[workers]
                t[0] += s.wall_seconds
                t[1] += s.cell_seconds
                t[2] += s.computed
                t[3] += s.batches
                t[4] += outer - s.wall_seconds
                print(f"round {r + 1}/{rounds}, {workers} worker(s): {s.computed} cells in "
                      f"{s.batches} tasks, {s.wall_seconds:.1f} s, cells' own time "
                      f"{s.cell_seconds:.1f} s (cluster start and stop {outer - s.wall_seconds:.1f} s)",
                      flush=True)
        for workers, (wall, cell, n, tasks, around) in totals.items():
            overhead = (wall * workers - cell) / cell
            print(f"{workers} worker(s): {n} cells in {tasks} tasks, {wall:.1f} s, cells' own time "
                  f"{cell:.1f} s (mean {cell / n * 1000:.0f} ms); scheduling overhead "
                  f"{overhead:.1%} of cell time (target <= 5%: "
                  f"{'met' if overhead <= 0.05 else 'NOT met'}); cluster start and stop {around:.1f} s")
        (w1, c1, _, _, a1), (w2, c2, _, _, a2) = totals[1], totals[2]
        speed = w1 / w2
        print(f"speed-up of 2 workers over 1: {speed:.2f}x in wall time (target >= 1.7x: "
              f"{'met' if speed >= 1.7 else 'NOT met'}); {(w1 + a1) / (w2 + a2):.2f}x with the "
              f"clusters' start and stop; busy workers: {c1 / w1:.2f} with 1, {c2 / w2:.2f} with 2; "
              f"cells' own time with 2 workers {c2 / c1:.2f}x that with 1 (above 1: the cores "
              "were shared with other work)")
        last = Path(tmp) / f"out{rounds - 1}-2"
        before = _bytes(last)
        resumed = run_sweep(grid, last, workers=2, batch=batch)
        print(f"rerun of the last round: {resumed.computed} computed, {resumed.skipped} skipped, "
              f"{'no byte changed' if _bytes(last) == before else 'FILES CHANGED'}")


if __name__ == "__main__":
    main()
