"""Fair-share engine: key evaluation and a 7-year ledger, against reading the data (baseline)."""

from __future__ import annotations

import time


def _best(fn: object, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    from fairshare.analysis import balance_frame, shares_frame
    from fairshare.reference import _load_cached, shipped_folder

    folder = str(shipped_folder("canada"))

    def load() -> None:
        _load_cached.cache_clear()
        _load_cached(folder)

    base = _best(load)
    shares = _best(lambda: shares_frame("eu-2015-relocation", total=171_790))
    ledger = _best(lambda: balance_frame("canada-population", years="2019-2025", carry_forward=True))
    print(f"load reference data (baseline): {base * 1000:.1f} ms")
    print(f"shares eu-2015-relocation + hamilton: {shares * 1000:.1f} ms = {shares / base:.1f}x baseline")
    print(f"balance 2019-2025 carry-forward: {ledger * 1000:.1f} ms = {ledger / base:.1f}x baseline")
