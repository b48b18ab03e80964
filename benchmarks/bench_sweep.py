"""Scenario sweeps on Dask: 500 cells on 1 and on 2 worker processes of a LocalCluster.

Reports the speed-up of 2 workers over 1 (target >= 1.7x) and the scheduling overhead: wall time
x workers minus the cells' own time, as a share of the cells' own time (target <= 5%). The cells
are real (a simulated year each, fairshare.arrivals, myopic, about 0.2 s); the baseline is the
cells' own time measured in the same run. SWEEP_CELLS=N runs fewer cells while developing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

GRID = """name: bench-sweep
base:
  year: "2024"
  consent_rate: 0.008
  solidarity: canada-ihap
axes:
  key: [canada-population, eu-2024-reference]
  online_policy: [myopic]
  volume: [0.6, 0.8, 1.0, 1.2, 1.4]
  capacity: [1.0, 0.5]
  seeds: {{start: 1, count: {seeds}}}
"""


def main() -> None:
    from fairshare.scenarios.grid import load_grid
    from fairshare.scenarios.runner import run_sweep

    cells = int(os.environ.get("SWEEP_CELLS", "500"))
    seeds = max(cells // 20, 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "grid.yaml"
        path.write_text(GRID.format(seeds=seeds), encoding="utf-8")
        grid = load_grid(path)
        results = {}
        for workers in (1, 2):
            s = run_sweep(grid, Path(tmp) / f"out{workers}", workers=workers)
            assert s.computed == len(grid.cells) and s.failed == 0
            overhead = (s.wall_seconds * workers - s.cell_seconds) / s.cell_seconds
            results[workers] = s
            print(f"{workers} worker(s): {len(grid.cells)} cells in {s.wall_seconds:.1f} s "
                  f"(cluster start {s.startup_seconds:.1f} s), cell time {s.cell_seconds:.1f} s "
                  f"(mean {s.cell_seconds / len(grid.cells) * 1000:.0f} ms), scheduling overhead "
                  f"{overhead:.1%} of cell time", flush=True)
        one, two = results[1], results[2]
        speedup = one.wall_seconds / two.wall_seconds
        print(f"speed-up of 2 workers over 1: {speedup:.2f}x (target >= 1.7x); "
              f"cells' own time 1 worker {one.cell_seconds:.1f} s, 2 workers {two.cell_seconds:.1f} s "
              f"({two.cell_seconds / one.cell_seconds:.2f}x: CPU contention on the machine)")
        resumed = run_sweep(grid, Path(tmp) / "out2", workers=2)
        print(f"rerun: {resumed.computed} computed, {resumed.skipped} skipped "
              f"in {resumed.wall_seconds:.2f} s")


if __name__ == "__main__":
    main()
