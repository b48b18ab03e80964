"""Scenario grids as data: a base case and axes, checked before anything runs.

A grid is a YAML file::

    name: small
    description: Two keys, two volumes, two seeds.
    base:
      federation: canada        # or a data folder (docs/bring-your-own-data.md)
      year: "2024"              # base year of arrivals (claims by province of claim)
      pledge_year: "2026"       # the year pledge files are read for (default: year)
      consent_rate: 0.05        # persons arriving above the fair share who consent to move
      method: hamilton          # apportionment of the fair share
      solver: auto              # matching solver of each monthly batch
      solidarity: canada-ihap   # solidarity policy recorded for each cell, or none
      max_families_per_cell: 50000
      engine: arrivals          # fairshare.arrivals.simulate (default), or matching (myopic only)
      cadence: month            # batch length of the arrivals engine: day, week, month
      online_options: {}        # options of the online policies (fairshare.arrivals)
    axes:
      key: [canada-population, eu-2024-reference]
      policy: [balanced]                 # matching policy (engine: matching)
      online_policy: [myopic]            # myopic, greedy, dual-prices, balancing, rotation
      volume: [1.0, 0.68]                # multiplier on the base year's arrivals
      pledges: [none, pledges-2026.csv]  # pledge files (relative to the grid), or none
      capacity: [1.0]                    # multiplier on the pledged capacity
      seeds: [1, 2]                      # or {start: 1, count: 10}

Each combination of the axes is a cell; a *scenario* is a cell without its seed. Without a
pledge file (``none``), each jurisdiction below its fair share offers its expected shortfall.
Every problem (an unknown key, an empty axis, a cell too large to simulate) is reported with
the file, the axis and what to do, before a single cell runs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairshare.errors import FairshareError, ScenarioError, Text, at
from fairshare.i18n import Num, msg
from fairshare.scenarios.cell import MONTHS, CellSpec, expected_families
from fairshare.scenarios.pledges import Pledge, pledged_by_month, read_pledges

AXES = ("key", "policy", "online_policy", "volume", "pledges", "capacity", "seeds")
AXIS_DEFAULTS: dict[str, list[Any]] = {"policy": ["balanced"], "online_policy": ["myopic"],
                                       "volume": [1.0], "pledges": ["none"], "capacity": [1.0]}
BASE_FIELDS = ("federation", "year", "pledge_year", "consent_rate", "method", "solver",
               "solidarity", "max_families_per_cell", "engine", "cadence", "online_options")
TOP_FIELDS = ("name", "description", "base", "axes")
SOLVERS = ("auto", "exact", "fast", "greedy")
MAX_CELLS = 100_000
DEFAULT_MAX_FAMILIES = 50_000
HARD_MAX_FAMILIES = 1_000_000  # a monthly batch of ~80,000 families is the most a cell solves
MAX_VOLUME = 100.0


@dataclass(frozen=True)
class Grid:
    """A checked grid: its base case, axis values and the cells it expands to."""

    name: str
    description: str
    path: Path
    base: Mapping[str, Any]
    axes: Mapping[str, tuple[Any, ...]]
    cells: tuple[CellSpec, ...]
    grid_hash: str

    @property
    def scenarios(self) -> list[str]:
        """Scenario ids, in cell order, each once."""
        return list(dict.fromkeys(c.scenario for c in self.cells))


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def online_policies(engine: str | None = None) -> tuple[str, ...]:
    """The online policies this installation can simulate with ``engine``."""
    from fairshare.scenarios.simulate import available_online_policies

    return available_online_policies(engine)


def _fail(path: Path, where: str, problem: Text) -> ScenarioError:
    """The error of setting ``where`` (``axes.volume[1]``, a name of the file) of grid ``path``."""
    return ScenarioError(msg("grid_problem", path=str(path), where=where, problem=problem))


def _within(path: Path, where: str, exc: FairshareError) -> ScenarioError:
    """The error ``exc`` of what setting ``where`` names (a key, a policy), with its details."""
    return ScenarioError(msg("grid_problem", path=str(path), where=where, problem=exc.source),
                         details=exc.raw_details)


def _load_yaml(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise ScenarioError(msg("grid_not_found", path=str(path)))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = at(path, line=mark.line + 1) if mark is not None else str(path)
        raise ScenarioError(msg("file_bad_yaml", where=where,
                                problem=str(getattr(exc, "problem", exc)))) from None
    except UnicodeDecodeError:
        raise ScenarioError(msg("file_not_utf8", where=str(path))) from None
    if not isinstance(data, dict):
        raise ScenarioError(msg("grid_not_mapping", where=str(path)))
    unknown = sorted(set(map(str, data)) - set(TOP_FIELDS))
    if unknown:
        raise ScenarioError(msg("grid_unknown_fields", where=str(path), unknown=", ".join(unknown),
                                fields=", ".join(TOP_FIELDS)))
    return data


def _axis(path: Path, axes: Mapping[str, Any], name: str) -> list[Any]:
    if name not in axes:
        if name in AXIS_DEFAULTS:
            return list(AXIS_DEFAULTS[name])
        raise _fail(path, f"axes.{name}", msg("grid_axis_required"))
    value = axes[name]
    if name == "seeds" and isinstance(value, dict):
        start, count = value.get("start", 0), value.get("count")
        if not (isinstance(start, int) and isinstance(count, int)) or start < 0 or count < 1:
            raise _fail(path, "axes.seeds",
                        msg("grid_seeds_form", example="{start: 1, count: 10}"))
        return list(range(start, start + count))
    if not isinstance(value, list):
        value = [value]
    if not value:
        raise _fail(path, f"axes.{name}", msg("grid_axis_empty"))
    if len({json.dumps(v, sort_keys=True, default=str) for v in value}) != len(value):
        raise _fail(path, f"axes.{name}", msg("grid_axis_twice"))
    return value


def _number(path: Path, where: str, value: Any, *, low: float, high: float,
            strict_low: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(msg("cell_not_number", where=f"{path}, {where}", raw=value))
    if value < low or (strict_low and value == low) or value > high:
        bound = ">" if strict_low else ">="
        raise _fail(path, where, msg("grid_out_of_range", value=value, bound=bound, low=Num(low),
                                     high=Num(high)))
    return float(value)


def _base(path: Path, data: Mapping[str, Any]) -> dict[str, Any]:
    raw = data.get("base") or {}
    if not isinstance(raw, dict):
        raise _fail(path, "base", msg("grid_base_not_mapping"))
    unknown = sorted(set(map(str, raw)) - set(BASE_FIELDS))
    if unknown:
        raise _fail(path, "base", msg("grid_unknown_settings", unknown=", ".join(unknown),
                                         allowed=", ".join(BASE_FIELDS)))
    year = str(raw.get("year", "2024"))
    base = {
        "federation": str(raw.get("federation", "canada")),
        "year": year,
        "pledge_year": str(raw.get("pledge_year", year)),
        "consent_rate": _number(path, "base.consent_rate", raw.get("consent_rate", 0.05),
                                low=0.0, high=1.0),
        "method": str(raw.get("method", "hamilton")),
        "solver": str(raw.get("solver", "auto")),
        "solidarity": str(raw.get("solidarity", "none")),
        "max_families_per_cell": int(_number(path, "base.max_families_per_cell",
                                             raw.get("max_families_per_cell", DEFAULT_MAX_FAMILIES),
                                             low=1, high=HARD_MAX_FAMILIES)),
    }
    from fairshare.scenarios.simulate import ENGINES, arrivals_available, default_engine

    base["engine"] = str(raw.get("engine", default_engine()))
    if base["engine"] not in ENGINES or (base["engine"] == "arrivals" and not arrivals_available()):
        engine = base["engine"]
        raise _fail(path, "base.engine", msg("grid_engine_either", engine=engine)
                    if arrivals_available() else msg("grid_engine_matching", engine=engine))
    base["cadence"] = str(raw.get("cadence", "month"))
    if base["cadence"] not in ("day", "week", "month"):
        raise _fail(path, "base.cadence", msg("grid_cadence", cadence=base["cadence"]))
    options = raw.get("online_options") or {}
    if not isinstance(options, dict):
        raise _fail(path, "base.online_options", msg("grid_options_not_mapping"))
    if options:
        if base["engine"] != "arrivals":
            raise _fail(path, "base.online_options", msg("grid_options_need_arrivals"))
        from fairshare.arrivals import make_options

        try:
            make_options(options)
        except FairshareError as exc:
            raise _within(path, "base.online_options", exc) from None
    base["online_options"] = dict(sorted(options.items()))
    if base["solver"] not in SOLVERS:
        raise _fail(path, "base.solver", msg("grid_solver", solver=base["solver"],
                                                solvers=", ".join(SOLVERS)))
    if not str(base["pledge_year"]).isdigit():
        raise _fail(path, "base.pledge_year", msg("grid_not_a_year", year=base["pledge_year"]))
    return base


def _fair_share_offers(shares: Mapping[str, float], intake: Mapping[str, float],
                       volume: float) -> dict[str, float]:
    total = sum(intake.values()) * volume
    return {c: max(shares[c] * total - intake.get(c, 0.0) * volume, 0.0) for c in shares}


def _pledge_file(path: Path, value: Any, codes: Sequence[str],
                 year: int) -> tuple[str, list[Pledge], str]:
    text = str(value)
    if text == "none":
        return "none", [], ""
    file = Path(text)
    if not file.is_absolute():
        file = path.parent / file
    try:
        pledges = read_pledges(file, codes=codes)
    except FairshareError as exc:
        raise _within(path, f"axes.pledges '{text}'", exc) from None
    if not any(p.year == year for p in pledges):
        raise _fail(path, f"axes.pledges '{text}'", msg("grid_no_pledge_for_year", year=year))
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    return Path(text).stem, pledges, digest


def load_grid(path: str | Path) -> Grid:
    """Read and check a grid file, and expand it to its cells (nothing runs).

    Raises:
        ScenarioError: naming the file, the axis or setting, and what to do.
    """
    from fairshare.keys import evaluate_key, load_key
    from fairshare.matching import PRESETS, load_policy
    from fairshare.reference import load_federation
    from fairshare.scenarios.solidarity import load_solidarity

    gpath = Path(path)
    data = _load_yaml(gpath)
    base = _base(gpath, data)
    axes_raw = data.get("axes")
    if not isinstance(axes_raw, dict):
        raise _fail(gpath, "axes", msg("grid_axes_not_mapping", axes=", ".join(AXES)))
    unknown = sorted(set(map(str, axes_raw)) - set(AXES))
    if unknown:
        raise _fail(gpath, "axes", msg("grid_unknown_axis", unknown=", ".join(unknown),
                                          axes=", ".join(AXES)))
    axes = {name: _axis(gpath, axes_raw, name) for name in AXES}
    try:
        fed = load_federation(base["federation"])
    except FairshareError as exc:
        raise _within(gpath, "base.federation", exc) from None
    codes = fed.codes
    intake_ind = fed.intake()
    if base["year"] not in intake_ind.periods:
        raise _fail(gpath, "base.year", msg("grid_no_year_data", year=base["year"],
                                               years=", ".join(intake_ind.periods)))
    base_intake = {c: float(v) for c, v in fed.values(intake_ind.id, base["year"]).items()}
    key_shares: dict[str, dict[str, float]] = {}
    key_digest: dict[str, str] = {}
    for i, k in enumerate(axes["key"]):
        try:
            key = load_key(str(k))
            key_shares[str(k)] = dict(evaluate_key(key, fed).shares)
        except FairshareError as exc:
            raise _within(gpath, f"axes.key[{i}] '{k}'", exc) from None
        key_digest[str(k)] = hashlib.sha256(key.path.read_bytes()).hexdigest()
    policy_text: dict[str, str] = {}
    for i, p in enumerate(axes["policy"]):
        try:
            load_policy(str(p))
        except FairshareError as exc:
            raise _within(gpath, f"axes.policy[{i}] '{p}'", exc) from None
        policy_text[str(p)] = "" if str(p) in PRESETS else Path(str(p)).read_text(encoding="utf-8")
    available = online_policies(base["engine"])
    for i, o in enumerate(axes["online_policy"]):
        if str(o) not in available:
            raise _fail(gpath, f"axes.online_policy[{i}] '{o}'", msg(
                "grid_unknown_online_policy", engine=base["engine"], policies=", ".join(available)))
    if base["engine"] == "arrivals" and len(axes["policy"]) > 1:
        raise _fail(gpath, "axes.policy", msg("grid_one_policy"))
    volumes = [_number(gpath, f"axes.volume[{i}]", v, low=0.0, high=MAX_VOLUME, strict_low=True)
               for i, v in enumerate(axes["volume"])]
    capacities = [_number(gpath, f"axes.capacity[{i}]", v, low=0.0, high=1000.0)
                  for i, v in enumerate(axes["capacity"])]
    seeds = []
    for i, s in enumerate(axes["seeds"]):
        if isinstance(s, bool) or not isinstance(s, int) or s < 0 or s >= 2**32:
            raise _fail(gpath, f"axes.seeds[{i}]", msg("grid_bad_seed", seed=repr(s)))
        seeds.append(s)
    pledge_year = int(base["pledge_year"])
    pledge_sets = [_pledge_file(gpath, v, codes, pledge_year) for v in axes["pledges"]]
    solidarity = None
    if base["solidarity"] != "none":
        try:
            solidarity = load_solidarity(base["solidarity"])
        except FairshareError as exc:
            raise _within(gpath, "base.solidarity", exc) from None
    n_cells = math.prod(len(v) for v in axes.values())
    if n_cells > MAX_CELLS:
        raise _fail(gpath, "axes", msg("grid_too_many_cells", n=Num(n_cells),
                                          limit=Num(MAX_CELLS)))
    limit = base["max_families_per_cell"]
    for k, shares in key_shares.items():
        for v in volumes:
            fams = expected_families(base_intake, shares, v, base["consent_rate"])
            if fams > limit:
                raise _fail(gpath, "axes.volume", msg(
                    "grid_cell_too_large", key=k, volume=f"{v:g}", families=Num(fams),
                    limit=Num(limit)))
    base_hash = _digest({**base, "intake": base_intake, "codes": codes})
    cells: list[CellSpec] = []
    solidarity_version = solidarity.version_on(None) if solidarity else None
    for k, p, o, v, (plabel, pledges, pdigest), cap, seed in itertools.product(
            axes["key"], axes["policy"], axes["online_policy"], volumes, pledge_sets, capacities,
            seeds):
        k, p, o = str(k), str(p), str(o)
        shares = key_shares[k]
        if pledges:
            monthly = pledged_by_month(pledges, pledge_year, codes)
        else:
            yearly = _fair_share_offers(shares, base_intake, v)
            monthly = {c: [yearly[c] / MONTHS] * MONTHS for c in codes}
        offers = {c: [round(x * cap, 9) for x in monthly[c]] for c in codes}
        scen_params = {"key": k, "key_sha256": key_digest[k], "policy": p,
                       "policy_text": policy_text[p], "online_policy": o, "volume": v,
                       "pledges": plabel, "pledges_sha256": pdigest, "capacity": cap,
                       "base": base_hash}
        scenario = "s" + _digest(scen_params)[:12]
        cell_id = "c" + _digest({**scen_params, "seed": seed})[:16]
        cells.append(CellSpec(
            cell_id=cell_id, scenario=scenario,
            params={"scenario": scenario, "key": k, "policy": p, "online_policy": o, "volume": v,
                    "pledges": plabel, "capacity": cap, "seed": seed},
            codes=codes, shares=shares, base_intake=base_intake, volume=v, offers=offers,
            consent_rate=base["consent_rate"], policy=p, online_policy=o, solver=base["solver"],
            method=base["method"], seed=seed, engine=base["engine"],
            solidarity_id=solidarity.id if solidarity else "", solidarity=solidarity_version,
            extra={"policy_text": policy_text[p], "year": int(base["year"]),
                   "cadence": base["cadence"], "online_options": base["online_options"]}))
    grid_hash = _digest({"base": base_hash, "cells": [c.cell_id for c in cells],
                         "solidarity": solidarity_version})
    name = str(data.get("name") or gpath.stem)
    return Grid(name=name, description=str(data.get("description") or "").strip(), path=gpath,
                base=base, axes={k: tuple(v) for k, v in axes.items()}, cells=tuple(cells),
                grid_hash=grid_hash)
