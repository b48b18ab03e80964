"""Run every benchmarks/bench_*.py module's main(), or those named on the command line.

    python -m benchmarks              # all
    python -m benchmarks matching     # only bench_matching.py

Each benchmark reports ratios against a baseline measured in the same run (machines are noisy).
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    names = sorted(p.stem for p in here.glob("bench_*.py"))
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in argv]
    unknown = [w for w in wanted if w not in names]
    if unknown:
        print(f"Unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    failed = 0
    for name in wanted or names:
        print(f"\n===== {name} =====", flush=True)
        start = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        try:
            module.main()
        except Exception as exc:  # report and go on with the other benchmarks
            failed += 1
            print(f"{name} failed: {exc!r}", file=sys.stderr)
        print(f"({name}: {time.perf_counter() - start:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
