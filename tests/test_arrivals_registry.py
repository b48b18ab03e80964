"""Arrival streams from the registry (issue 11, point 1): `simulate --from-registry` replays the
registry's waiting families in the order they arrived (their first member's arrived_on) against
its active capacity offers, on SQLite and PostgreSQL; nothing is written."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

import registry_fixtures as rf
from fairshare.arrivals import simulate
from fairshare.errors import InputError
from fairshare.exchange.agreements import synth_agreement_yaml
from fairshare.service import Context, add_agreement, import_claimants
from fairshare.service.streams import registry_stream
from registry_fixtures import add_offers, table_counts, write_csv

registry = rf.registry
sqlite_registry = rf.sqlite_registry
AGREEMENT = "qc-ca-stream"
OFFERS = [("NB-1", "NB", 6), ("ON-1", "ON", 6), ("QC-1", "QC", 4)]


def _setup(ctx: Context, folder: Path, *, undated: int = 0) -> dt.date:
    """Ten two-person families arriving two days apart (the last ``undated`` without a date);
    returns the first arrival."""
    doc = yaml.safe_load(synth_agreement_yaml(agreement_id=AGREEMENT))
    doc["fields"].append("arrived_on")
    path = folder / f"{AGREEMENT}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    add_agreement(ctx, path=path)
    start = dt.date(2026, 9, 1)
    rows = [rf.person(f"C{f}-{m}", f"F{f:02d}", languages="fr:fluent" if f % 2 else "en:fluent",
                      arrived_on="" if f > 10 - undated else
                      (start + dt.timedelta(days=2 * f + m)).isoformat())
            for f in range(1, 11) for m in range(2)]
    import_claimants(ctx, path=write_csv(folder / "b.csv", rows), agreement_id=AGREEMENT)
    add_offers(ctx, folder, OFFERS)
    return start + dt.timedelta(days=2)


def test_registry_stream_dates_families_by_their_first_member(registry: Context, tmp_path):
    first = _setup(registry, tmp_path, undated=2)
    before = table_counts(registry)
    stream = registry_stream(registry)
    assert table_counts(registry) == before  # nothing written
    # undated families left out; each family dated by the earlier of its two members
    assert sorted(stream.arrived_on.values()) == [first + dt.timedelta(days=2 * k)
                                                  for k in range(8)]
    assert {d.code: d.capacity for d in stream.problem.destinations} == {"NB": 6, "ON": 6,
                                                                           "QC": 4}
    late = registry_stream(registry, since=first + dt.timedelta(days=6))
    assert len(late.arrived_on) == 5 and min(late.arrived_on.values()) == first + dt.timedelta(
        days=6)
    hindsight = simulate(stream, "hindsight", cadence="week")
    online = simulate(stream, "dual-prices", cadence="week", seed=1)
    assert 0 < online.outcome <= hindsight.outcome + 1e-9
    assert sum(online.placements.values()) <= 16  # the offers' places


def test_no_dated_family_or_no_capacity_is_a_clear_error(registry: Context, tmp_path):
    _setup(registry, tmp_path, undated=10)
    with pytest.raises(InputError, match=r"10 waiting, 10 without an arrival date"):
        registry_stream(registry)
    with pytest.raises(InputError, match="is after --until"):
        registry_stream(registry, since=dt.date(2026, 9, 9), until=dt.date(2026, 9, 1))


def test_cli_simulates_the_registry(sqlite_registry: Context, tmp_path, run_cli):
    _setup(sqlite_registry, tmp_path)
    env = {"FAIRSHARE_HOME": str(tmp_path)}
    done = run_cli("simulate", "--from-registry", "--policy", "hindsight", "--format", "json",
                   "--out", "plan.csv", env=env)
    assert done.exit_code == 0, done
    summary = json.loads(done.stdout)
    assert summary["policy"] == "hindsight" and summary["persons_placed"] == 16
    assert len((tmp_path / "plan.csv").read_text(encoding="utf-8").splitlines()) == 11
    both = run_cli("simulate", "--from-registry", "--families", "f.csv", env=env)
    assert both.exit_code == 2 and "leave out --families" in both.stderr
    missing = run_cli("simulate", "--families", "f.csv", env=env)
    assert missing.exit_code == 2 and "Missing --destinations, --scores" in missing.stderr
    stray = run_cli("simulate", "--since", "2026-01-01", "--families", "f.csv", env=env)
    assert stray.exit_code == 2 and "apply to --from-registry only" in stray.stderr
    bad = run_cli("simulate", "--from-registry", "--since", "2026-13-01", env=env)
    assert bad.exit_code == 2 and "is not a date" in bad.stderr
