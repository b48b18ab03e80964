"""Scenario sweeps on Dask: 500 cells on 1 and on 2 worker processes of a LocalCluster.

The machine is shared, so the two configurations run in alternating rounds (1 worker, then 2,
then 2, then 1, ...) of ``SWEEP_CELLS / SWEEP_ROUNDS`` cells: both see the same load. Reported:

- the speed-up of 2 workers over 1 in wall time (target >= 1.7x);
- the scheduling overhead: wall time x workers minus the cells' own time, as a share of the
  cells' own time (target <= 5%);
- the cells' own time under each configuration (when it grows with 2 workers, the machine's
  cores were busy with other work, not the scheduler).

The cells are real (a simulated year each, fairshare.arrivals, myopic, about 0.3-0.5 s on an idle
core). SWEEP_CELLS=N (default 500) and SWEEP_ROUNDS=R (default 4) change the sizes.
"""

from __future__ import annotations

import os
import tempfile
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


def main() -> None:
    from fairshare.scenarios.grid import load_grid
    from fairshare.scenarios.runner import run_sweep

    cells = int(os.environ.get("SWEEP_CELLS", "500"))
    rounds = int(os.environ.get("SWEEP_ROUNDS", "4"))
    seeds = max(cells // 20 // rounds, 1)
    totals = {1: [0.0, 0.0, 0], 2: [0.0, 0.0, 0]}  # wall, cell seconds, cells
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            path = Path(tmp) / f"grid{r}.yaml"
            path.write_text(GRID.format(round=r, start=1 + r * seeds, seeds=seeds), encoding="utf-8")
            grid = load_grid(path)
            for workers in ((1, 2) if r % 2 == 0 else (2, 1)):
                s = run_sweep(grid, Path(tmp) / f"out{r}-{workers}", workers=workers)
                assert s.computed == len(grid.cells) and s.failed == 0
                totals[workers][0] += s.wall_seconds
                totals[workers][1] += s.cell_seconds
                totals[workers][2] += s.computed
                print(f"round {r + 1}/{rounds}, {workers} worker(s): {s.computed} cells in "
                      f"{s.wall_seconds:.1f} s, cells' own time {s.cell_seconds:.1f} s", flush=True)
        for workers, (wall, cell, n) in totals.items():
            overhead = (wall * workers - cell) / cell
            print(f"{workers} worker(s): {n} cells in {wall:.1f} s, cells' own time {cell:.1f} s "
                  f"(mean {cell / n * 1000:.0f} ms), scheduling overhead {overhead:.1%} of cell time")
        (w1, c1, _), (w2, c2, _) = totals[1], totals[2]
        print(f"speed-up of 2 workers over 1: {w1 / w2:.2f}x in wall time (target >= 1.7x); "
              f"busy workers: {c1 / w1:.2f} with 1, {c2 / w2:.2f} with 2; cells' own time with 2 "
              f"workers {c2 / c1:.2f}x that with 1 (above 1: the cores were shared with other work)")
        resumed = run_sweep(grid, Path(tmp) / f"out{rounds - 1}-2", workers=2)
        print(f"rerun of the last round: {resumed.computed} computed, {resumed.skipped} skipped")


if __name__ == "__main__":
    main()
