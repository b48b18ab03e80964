"""A sweep's folder: a Parquet dataset partitioned by scenario, failed cells and a manifest.

Layout of ``DIR``::

    manifest.json                       grid hash, versions, every cell and its parameters
    data/scenario=<id>/<cell_id>.parquet  one row per jurisdiction of a finished cell
    errors/<cell_id>.json               a failed cell: its parameters and the error

Every file is written whole to a temporary name in the same folder and then renamed, so an
interrupted sweep leaves only whole cells; a finished cell is never written again. Read the
results with :func:`read_sweep` (or ``pandas.read_parquet(DIR / "data")``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairshare.errors import ScenarioError
from fairshare.i18n import msg
from fairshare.privatefs import open_private, private_dir

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from fairshare.scenarios.grid import Grid

FORMAT = "fairshare-sweep/1"
COLUMNS: tuple[tuple[str, str], ...] = (
    ("cell_id", "string"), ("key", "string"), ("policy", "string"), ("online_policy", "string"),
    ("volume", "float64"), ("pledges", "string"), ("capacity", "float64"), ("seed", "int64"),
    ("jurisdiction", "string"), ("intake", "int64"), ("fair_share", "int64"),
    ("relocated", "int64"), ("relocated_out", "int64"), ("surplus", "int64"),
    ("pledged", "int64"), ("outcome", "float64"), ("total_outcome", "float64"),
    ("hindsight_outcome", "float64"), ("hindsight_fraction", "float64"),
    ("balance_gap", "int64"), ("families", "int64"), ("solidarity_policy", "string"),
    ("solidarity_persons", "int64"), ("solidarity_amount", "float64"), ("engine", "string"),
    ("seconds", "float64"),
)


def _schema() -> pa.Schema:
    import pyarrow as pa

    kinds = {"string": pa.string(), "float64": pa.float64(), "int64": pa.int64()}
    return pa.schema([(name, kinds[kind]) for name, kind in COLUMNS])


def _atomic_write(path: Path, data: bytes) -> None:
    private_dir(path.parent)
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    try:
        with open_private(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:  # Ctrl-C mid-write included: leave whole files only
        tmp.unlink(missing_ok=True)
        raise


def cell_path(out: Path, scenario: str, cell_id: str) -> Path:
    """Where a finished cell's rows live."""
    return out / "data" / f"scenario={scenario}" / f"{cell_id}.parquet"


def error_path(out: Path, cell_id: str) -> Path:
    """Where a failed cell's error lives."""
    return out / "errors" / f"{cell_id}.json"


def write_cell(out: Path, scenario: str, rows: Sequence[Mapping[str, Any]]) -> Path:
    """Write a finished cell's rows (atomically) and clear an earlier error of the cell."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _schema()
    table = pa.Table.from_pylist([{n: r[n] for n, _ in COLUMNS} for r in rows], schema=schema)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    cell_id = str(rows[0]["cell_id"])
    path = cell_path(out, scenario, cell_id)
    _atomic_write(path, buf.getvalue())
    error_path(out, cell_id).unlink(missing_ok=True)
    return path


def write_error(out: Path, cell_id: str, scenario: str, params: Mapping[str, Any],
                error: str) -> None:
    """Record a failed cell (atomically); the sweep goes on and a rerun retries it."""
    record = {"cell_id": cell_id, "scenario": scenario, "params": dict(params), "error": error}
    _atomic_write(error_path(out, cell_id),
                  (json.dumps(record, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def finished_cells(out: Path) -> set[str]:
    """Ids of the cells whose rows are on disk."""
    data = out / "data"
    if not data.is_dir():
        return set()
    return {p.stem for p in data.glob("scenario=*/*.parquet")}


def versions() -> dict[str, str]:
    """Versions of what computes a cell (recorded in the manifest)."""
    from importlib import metadata

    import fairshare

    out = {"python": platform.python_version(), "fairshare": fairshare.__version__}
    for dist in ("dask", "distributed", "pyarrow", "numpy", "highspy", "pandas"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "absent"
    return out


def manifest_of(grid: Grid) -> dict[str, Any]:
    """The manifest of a sweep of ``grid`` (written once, when the sweep starts)."""
    return {
        "format": FORMAT,
        "grid": {"name": grid.name, "file": grid.path.name, "hash": grid.grid_hash,
                 "description": grid.description, "base": dict(grid.base),
                 "axes": {k: list(v) for k, v in grid.axes.items()}},
        "codes": list(grid.cells[0].codes) if grid.cells else [],
        "cells": [{"cell_id": c.cell_id, **dict(c.params)} for c in grid.cells],
        "versions": versions(),
        "created_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }


def read_manifest(out: Path) -> dict[str, Any]:
    """The manifest of the sweep in ``out``."""
    path = out / "manifest.json"
    if not path.is_file():
        raise ScenarioError(msg("sweep_no_manifest", where=str(out)))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ScenarioError(msg("sweep_manifest_damaged", where=str(path))) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ScenarioError(msg("sweep_not_manifest", where=str(path), format=FORMAT))
    return data


def prepare(out: Path, grid: Grid) -> dict[str, Any]:
    """Create ``out`` with its manifest, or check that it holds a sweep of the same grid."""
    path = out / "manifest.json"
    if path.is_file():
        existing = read_manifest(out)
        if existing["grid"]["hash"] != grid.grid_hash:
            raise ScenarioError(msg("sweep_other_grid", where=str(out),
                                    name=existing["grid"]["name"],
                                    hash=existing["grid"]["hash"][:12], own=grid.grid_hash[:12]))
        for stale in out.rglob(".*.tmp"):  # a write cut short by a kill: never a whole cell
            stale.unlink(missing_ok=True)
        return existing
    if out.exists() and any(out.iterdir()):
        raise ScenarioError(msg("sweep_folder_not_empty", where=str(out)))
    manifest = manifest_of(grid)
    _atomic_write(path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return manifest


def read_errors(out: Path) -> list[dict[str, Any]]:
    """The failed cells of the sweep in ``out``, sorted by cell id."""
    folder = out / "errors"
    if not folder.is_dir():
        return []
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def read_sweep(out: str | Path) -> pd.DataFrame:
    """The sweep's rows as a DataFrame: one row per finished cell and jurisdiction.

    Columns: ``scenario`` and the columns of :data:`COLUMNS`; sorted by scenario, seed, cell and
    jurisdiction (in the federation's order).
    """
    import pandas as pd
    import pyarrow.parquet as pq

    folder = Path(out)
    manifest = read_manifest(folder)
    files = sorted((folder / "data").glob("scenario=*/*.parquet"))
    names = [n for n, _ in COLUMNS]
    if not files:
        return pd.DataFrame(columns=["scenario", *names])
    frames = []
    for f in files:
        frame = pq.read_table(f).to_pandas()
        frame.insert(0, "scenario", f.parent.name.split("=", 1)[1])
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True)
    order = {c: i for i, c in enumerate(manifest.get("codes", []))}
    df["_j"] = df["jurisdiction"].map(order).fillna(len(order)).astype(int)
    df = df.sort_values(["scenario", "seed", "cell_id", "_j"], kind="stable")
    return pd.DataFrame(df.drop(columns="_j").reset_index(drop=True))
