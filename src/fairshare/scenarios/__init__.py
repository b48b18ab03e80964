"""The negotiating table: scenario sweeps, pledges, financial solidarity, temporary-resident targets.

Pure engines over typed values (the Dask runner and the sweep folder are the only I/O):

- :mod:`~fairshare.scenarios.grid`: scenario grids as YAML, checked and expanded to cells;
- :mod:`~fairshare.scenarios.cell`: one cell, a simulated year;
- :mod:`~fairshare.scenarios.runner`: the sweep on Dask distributed;
- :mod:`~fairshare.scenarios.results`: the Parquet dataset and manifest of a sweep;
- :mod:`~fairshare.scenarios.report`: the frontier, surpluses and a table for negotiators;
- :mod:`~fairshare.scenarios.pledges`: pledges, and pledged against delivered;
- :mod:`~fairshare.scenarios.solidarity`: financial solidarity policies (dated YAML);
- :mod:`~fairshare.scenarios.tr_targets`: temporary-resident targets and progress.
"""

from __future__ import annotations

from fairshare.scenarios.results import read_sweep

__all__ = ["read_sweep"]
