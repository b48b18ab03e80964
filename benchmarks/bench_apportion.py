"""Apportionment: 400 names, totals up to 10 million, every method, with and without bounds.

Baselines measured in the same run: (1) a float largest-remainder in plain Python (what a quick
script would do; inexact), (2) the textbook seat-by-seat highest-averages loop with a heap
(exact priorities, one heap operation per seat), at a total it can still finish.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections.abc import Callable
from functools import partial


def _best(fn: Callable[[], object], repeat: int = 3) -> float:
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _float_hamilton(weights: dict[str, float], total: int) -> dict[str, int]:
    whole = sum(weights.values())
    quotas = {n: total * w / whole for n, w in weights.items()}
    seats = {n: math.floor(q) for n, q in quotas.items()}
    left = total - sum(seats.values())
    for name in sorted(quotas, key=lambda n: seats[n] - quotas[n])[:left]:
        seats[name] += 1
    return seats


def _seat_by_seat_webster(weights: dict[str, float], total: int) -> dict[str, int]:
    seats = dict.fromkeys(weights, 0)
    heap = [(-w / 0.5, n) for n, w in weights.items()]
    heapq.heapify(heap)
    for _ in range(total):
        _, name = heapq.heappop(heap)
        seats[name] += 1
        heapq.heappush(heap, (-weights[name] / (seats[name] + 0.5), name))
    return seats


def main() -> None:
    from fairshare.apportion import METHODS, apportion

    rng = random.Random(20261125)
    weights = {f"j{i:03d}": rng.lognormvariate(12, 1.5) for i in range(400)}
    names = list(weights)
    minimum = dict.fromkeys(names[::10], 3)
    maximum = dict.fromkeys(names[::7], 20000)

    base = _best(lambda: _float_hamilton(weights, 10_000_000))
    print(f"baseline float largest remainder, 400 names, 10,000,000: {base * 1000:.2f} ms")
    slow_total = 200_000
    slow = _best(lambda: _seat_by_seat_webster(weights, slow_total), repeat=1)
    print(f"baseline seat-by-seat Webster (heap), {slow_total:,} seats: {slow * 1000:.1f} ms "
          f"(~{slow * 10_000_000 / slow_total:.1f} s extrapolated to 10,000,000)")
    for total in (1_000, 10_000_000):
        for method in METHODS:
            plain = _best(partial(apportion, weights, total, method))
            bounded = _best(partial(apportion, weights, total, method, minimum=minimum,
                                    maximum=maximum if total > 1_000 else None))
            print(f"{method:16s} total {total:>10,}: {plain * 1000:7.1f} ms "
                  f"({plain / base:5.1f}x float baseline); with bounds {bounded * 1000:7.1f} ms")
    webster = _best(lambda: apportion(weights, slow_total, "webster"))
    print(f"exact Webster at {slow_total:,} seats: {webster * 1000:.1f} ms = "
          f"{slow / webster:.0f}x faster than seat by seat")
