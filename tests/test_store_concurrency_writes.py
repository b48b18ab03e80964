"""No 500 under concurrency: ids that do not come from ``count(*) + 1``, and concurrent imports
and capacity uploads that serialise (real PostgreSQL server, and SQLite's single writer).

Bounded stress tests: fixed seeds, at most 40 threads, loopback database only.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import registry_fixtures as rf
from fairshare.errors import FairshareError
from fairshare.exchange.pseudonym import load_key, pseudonymise
from fairshare.service import (
    Context,
    add_capacity,
    assign,
    import_claimants,
    list_capacity,
    list_transfers,
    verify_audit,
)
from registry_fixtures import AGREEMENT, add_offers, families_rows, write_capacity, write_csv

registry = rf.registry


def _race(n: int, work: Callable[[int], Any]) -> list[str]:
    """Run ``work(i)`` in ``n`` threads released together; each outcome as text."""
    barrier = threading.Barrier(n)
    outcomes: list[str] = ["not run"] * n

    def one(i: int) -> None:
        barrier.wait()
        try:
            work(i)
            outcomes[i] = "ok"
        except FairshareError as exc:  # a clear refusal is fine; anything else is a 500
            outcomes[i] = f"{type(exc).__name__}: {exc}"
        except Exception as exc:
            outcomes[i] = f"UNEXPECTED {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def test_forty_concurrent_manual_assignments_all_succeed(registry: Context, tmp_path: Path):
    import_claimants(registry, path=write_csv(tmp_path / "b.csv", families_rows(40, size=1)),
                     agreement_id=AGREEMENT)
    add_offers(registry, tmp_path, [("NB-1", "NB", 25), ("ON-1", "ON", 25)])
    key = load_key(registry.settings.keys_dir, AGREEMENT)
    fams = [pseudonymise(key, "f", f"Q-F{i:04d}") for i in range(1, 41)]
    dest = random.Random(15).choices(["NB", "ON"], k=40)

    def work(i: int) -> None:
        assign(registry, family_id=fams[i], to=dest[i], reason="by hand", decided_by=f"o{i}")

    outcomes = _race(40, work)
    assert [o for o in outcomes if o != "ok"] == []
    transfers = list_transfers(registry)
    assert len(transfers) == 40 and len({t.family_id for t in transfers}) == 40
    assert sum(c.used for c in list_capacity(registry)) == 40
    assert verify_audit(registry).ok


def test_the_same_batch_imported_concurrently_is_imported_once(registry: Context,
                                                               tmp_path: Path):
    path = write_csv(tmp_path / "b.csv", families_rows(30))
    results: list[Any] = [None] * 8

    def work(i: int) -> None:
        results[i] = import_claimants(registry, path=path, agreement_id=AGREEMENT)

    outcomes = _race(8, work)
    assert [o for o in outcomes if o != "ok"] == []
    assert sorted(r.already_imported for r in results) == [False] + [True] * 7
    assert len({r.batch_id for r in results}) == 1
    # Overlapping batches under different content: a clear conflict, never a unique-key error.
    rows = families_rows(5, prefix="V")
    variants = [write_csv(tmp_path / f"v{i}.csv", [{**r, "birth_year": str(1980 + i)}
                                                    for r in rows]) for i in range(6)]
    outcomes = _race(6, lambda i: import_claimants(registry, path=variants[i],
                                                   agreement_id=AGREEMENT))
    assert outcomes.count("ok") == 1
    assert all(o.startswith("ConflictError") for o in outcomes if o != "ok"), outcomes
    assert verify_audit(registry).ok


def test_concurrent_capacity_uploads_store_each_offer_once(registry: Context,
                                                           tmp_path: Path):
    same = write_capacity(tmp_path / "same.csv", [("NB-9", "NB", 10)])
    other = [write_capacity(tmp_path / f"o{i}.csv", [("ON-9", "ON", 10 + i)]) for i in range(4)]

    outcomes = _race(6, lambda i: add_capacity(registry, path=same))
    assert [o for o in outcomes if o != "ok"] == []
    outcomes = _race(4, lambda i: add_capacity(registry, path=other[i]))
    assert outcomes.count("ok") == 1
    assert all(o.startswith("ConflictError") and "different content" in o
               for o in outcomes if o != "ok"), outcomes
    assert sorted(c.id for c in list_capacity(registry)) == ["NB-9", "ON-9"]
