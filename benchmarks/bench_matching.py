"""Matching benchmarks: solver quality (proven gap) and time against baselines in the same run.

Run all:   .venv/bin/python -m benchmarks.bench_matching
One part:  .venv/bin/python -m benchmarks.bench_matching --only 10k,400k
           (or BENCH_MATCHING_ONLY=10k .venv/bin/python -m benchmarks matching)
Parts: 10k (default solver, --solver exact, full MIP, PuLP+CBC, greedy, floor), 400k, cli
(`fairshare match` end to end on 20k families against csv.reader and pandas.read_csv of its
input), districts (400 destinations x 100k families, through solve()), exact-seeds (default
and --solver exact on six 10k batches), exact-scale (--solver exact at 30k and 100k families),
short (capacity 6% short of the persons: default, exact and whole-model branch and bound),
preference-first (the default and exact under an outcome floor on four 10k batches).
Instance generation is excluded from every time. Figures go to benchmarks/README.md (## Matching).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from typing import Any

import numpy as np

from fairshare.matching import load_policy, solve
from fairshare.matching.baselines import greedy
from fairshare.matching.exact import exact_by_lp
from fairshare.matching.fast import solve_fast
from fairshare.matching.model import Pairs, build_pairs, define_objective, persons_of, whole
from fairshare.matching.problem import Destination, Problem, ScoreTable
from fairshare.matching.stages import solve_stages
from fairshare.matching.synth import synth_batch

OUTCOME = load_policy("outcome")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _line(name: str, **fields: Any) -> None:
    def fmt(k: str, v: Any) -> str:
        if not isinstance(v, float):
            return f"{k}={v}"
        precise = k.endswith(("objective", "bound")) or "minus" in k  # to 1e-4 at 10k
        return f"{k}={v:.10g}" if precise else f"{k}={v:.6g}"

    parts = [fmt(k, v) for k, v in fields.items()]
    print(f"{name:<34} " + "  ".join(parts), flush=True)


def _pulp_cbc(pairs: Pairs, values: np.ndarray, time_limit: int) -> tuple[float, float, str]:
    """The same model (every family placed, capacities, floors, housing) in PuLP + CBC."""
    import pulp

    t0 = time.perf_counter()
    m = pulp.LpProblem("match", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{k}", cat="Binary") for k in range(len(pairs.fam))]
    m += pulp.lpSum(float(values[k]) * x[k] for k in range(len(x)))
    by_f: dict[int, list[int]] = {}
    by_d: dict[int, list[int]] = {}
    by_h: dict[int, list[int]] = {}
    for k, (f, d, h) in enumerate(zip(pairs.fam.tolist(), pairs.dest.tolist(),
                                      pairs.house.tolist(), strict=True)):
        by_f.setdefault(f, []).append(k)
        by_d.setdefault(d, []).append(k)
        if h >= 0:
            by_h.setdefault(h, []).append(k)
    for ks in by_f.values():
        m += pulp.lpSum(x[k] for k in ks) == 1
    for d, ks in by_d.items():
        load = pulp.lpSum(float(pairs.sizes[pairs.fam[k]]) * x[k] for k in ks)
        m += load <= float(pairs.dest_upper[d])
        if pairs.dest_lower[d] > 0:
            m += load >= float(pairs.dest_lower[d])
    for h, ks in by_h.items():
        m += pulp.lpSum(x[k] for k in ks) <= pairs.housing[h][2]
    m.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1))
    elapsed = time.perf_counter() - t0
    status = pulp.LpStatus[m.status]
    value = pulp.value(m.objective)
    sol_ok = all(v.varValue is not None for v in x[:10])
    return (float(value) if value is not None and sol_ok else float("nan"), elapsed, status)


def bench_10k(families: int = 10_000, cbc_limit: int = 300) -> None:
    """Default solver, exact MIP, PuLP+CBC, greedy and the floor on the same 10k batch."""
    problem = synth_batch(families, seed=1)
    t = time.perf_counter()
    pairs = build_pairs(problem)
    _line(f"{families} families: build arrays", seconds=time.perf_counter() - t,
          pairs=len(pairs.fam))
    values = define_objective(pairs, OUTCOME, stage="value")
    t, c = time.perf_counter(), time.process_time()
    fast = solve_fast(pairs, OUTCOME)
    t_fast = time.perf_counter() - t
    _line("default (auto -> fast)", seconds=t_fast, cpu_s=time.process_time() - c,
          objective=fast.objective,
          bound=fast.bound or 0.0, gap_pct=100 * (fast.gap or 0.0))
    t, c = time.perf_counter(), time.process_time()
    result = solve(problem, OUTCOME, solver="auto", explain=False, report=False)
    _line("solve() end to end (checks, plan check)", seconds=time.perf_counter() - t,
          cpu_s=time.process_time() - c, violations=len(result.violations))
    t, c = time.perf_counter(), time.process_time()
    certified = solve(problem, OUTCOME, solver="exact", explain=False, report=False)
    t_certified = time.perf_counter() - t
    _line("--solver exact (LP + reduced-cost fixing)", seconds=t_certified,
          cpu_s=time.process_time() - c,
          status=certified.status.value, objective=certified.objective,
          bound=certified.bound or 0.0, gap_pct=100 * (certified.gap or 0.0))
    if os.environ.get("BENCH_MATCHING_QUICK"):
        print("(BENCH_MATCHING_QUICK: full MIP and PuLP+CBC skipped)")
        bench_greedy(pairs, values, fast.objective)
        bench_floor(pairs, t_fast)
        return
    if os.environ.get("BENCH_MATCHING_NO_FULL_MIP"):
        print("(BENCH_MATCHING_NO_FULL_MIP: HiGHS branch and bound on the full MIP skipped)")
    else:
        t = time.perf_counter()
        exact = solve_stages(pairs, OUTCOME, whole(pairs))
        t_exact = time.perf_counter() - t
        _line("HiGHS branch and bound (full MIP)", seconds=t_exact, objective=exact.objective,
              bound=exact.bound, gap_pct=100 * exact.gap, ratio_vs_default=t_exact / t_fast)
    value, t_cbc, status = _pulp_cbc(pairs, values, cbc_limit)
    _line("PuLP + CBC (same model)", seconds=t_cbc, status=status, objective=value,
          time_limit=cbc_limit, speedup_default=t_cbc / t_fast,
          speedup_exact=t_cbc / t_certified,
          exact_minus_cbc=certified.objective - value)
    bench_greedy(pairs, values, fast.objective)
    bench_floor(pairs, t_fast)


def bench_greedy(pairs: Pairs, values: np.ndarray, best: float) -> None:
    """Greedy by score: its objective, the default's gain, and what greedy breaks."""
    t = time.perf_counter()
    g = greedy(pairs)
    t_g = time.perf_counter() - t
    ks = [k for k in range(len(pairs.fam)) if g[int(pairs.fam[k])] == int(pairs.dest[k])]
    g_obj = float(values[np.asarray(ks, dtype=np.int64)].sum())
    load = np.bincount(pairs.dest[ks], weights=pairs.pair_sizes[ks], minlength=pairs.n_dest)
    below = int((load < pairs.dest_lower).sum())
    unplaced = int(sum(1 for i, d in enumerate(g) if d < 0 and pairs.placeable[i]))
    _line("greedy by score", seconds=t_g, objective=g_obj,
          gain_of_default_pct=100 * (best - g_obj) / g_obj,
          floors_missed=below, families_unplaced=unplaced)


def bench_floor(pairs: Pairs, t_solver: float) -> None:
    """The floor: one pass over the float32 score matrix (best destination per family)."""
    dense = np.full((pairs.n_families, pairs.n_dest), -1.0, dtype=np.float32)
    dense[pairs.fam, pairs.dest] = pairs.score
    t = time.perf_counter()
    best = dense.max(axis=1)
    t_floor = time.perf_counter() - t
    _line("floor (one pass over scores)", seconds=t_floor, solver_over_floor=t_solver / t_floor,
          checksum=float(best.sum()))


def bench_400k(families: int = 400_000) -> None:
    """The default solver at national scale (about 1M persons)."""
    t = time.perf_counter()
    problem = synth_batch(families, seed=2)
    pairs = build_pairs(problem)
    _line(f"{families} families: generate + build", seconds=time.perf_counter() - t,
          persons=int(pairs.sizes.sum()), pairs=len(pairs.fam))
    del problem
    t, c = time.perf_counter(), time.process_time()
    out = solve_fast(pairs, OUTCOME)
    t_fast = time.perf_counter() - t
    _line("default (fast: prices + re-solve)", seconds=t_fast, cpu_s=time.process_time() - c,
          gap_pct=100 * (out.gap or 0.0), objective=out.objective, bound=out.bound or 0.0,
          peak_rss_mb=_peak_mb())
    _exact_line(pairs, t_fast)


def _exact_line(pairs: Pairs, t_default: float) -> None:
    """`--solver exact` on the same arrays (column generation, then reduced-cost fixing)."""
    t = time.perf_counter()
    out = exact_by_lp(pairs, OUTCOME)
    t_exact = time.perf_counter() - t
    if out is None:
        _line("--solver exact", seconds=t_exact, result="needs branch and bound")
        return
    fixed = any(n.msgid == "match_note_rcfix_round" for n in out.notes)
    _line("--solver exact (LP route)", seconds=t_exact, ratio_vs_default=t_exact / t_default,
          gap_pct=100 * (out.gap or 0.0), objective=out.objective,
          reduced_cost_fixing="yes" if fixed else "no (work limit)", peak_rss_mb=_peak_mb())


def bench_exact_scale(sizes: tuple[int, ...] = (30_000, 100_000)) -> None:
    """`--solver exact` beyond the sizes of the issue's exact target."""
    for n in sizes:
        pairs = build_pairs(synth_batch(n, seed=2))
        t = time.perf_counter()
        out = solve_fast(pairs, OUTCOME)
        t_fast = time.perf_counter() - t
        _line(f"{n} families: default", seconds=t_fast, gap_pct=100 * (out.gap or 0.0),
              objective=out.objective)
        _exact_line(pairs, t_fast)


def bench_districts(families: int = 100_000, n_dest: int = 400) -> None:
    """Municipality scale: 400 districts, sizes from the synthetic batch, random scores."""
    base = synth_batch(families, seed=4, housing=False, floors=False)
    rng = np.random.default_rng(4)
    weights = rng.pareto(1.5, n_dest) + 0.2
    weights /= weights.sum()
    persons = base.persons
    codes = [f"D{j:03d}" for j in range(n_dest)]
    dests = tuple(Destination(code=c, capacity=int(np.ceil(w * persons * 1.15)) + 8,
                              min_intake=int(0.8 * w * persons), services=frozenset(
                                  {"french", "health"}) if j % 3 == 0 else frozenset())
                  for j, (c, w) in enumerate(zip(codes, weights, strict=True)))
    fams = tuple(f.__class__(id=f.id, size=f.size, consent=f.consent, services=f.services)
                 for f in base.families)
    del base
    # The columnar form the CSV reader builds (one family x destination array), generated in
    # place block by block: the same numbers as clip(0.45 + family + district + noise), with
    # one array of that size in memory instead of four.
    family_effect = rng.normal(0, 0.08, (families, 1))
    district_effect = rng.normal(0, 0.06, n_dest)
    score = rng.normal(0, 0.07, (families, n_dest))
    for r0 in range(0, families, 4096):
        block = score[r0:r0 + 4096]
        block += (0.45 + family_effect[r0:r0 + 4096]) + district_effect
        np.clip(block, 0.01, 0.99, out=block)
        np.round(block, 4, out=block)
    table = ScoreTable(tuple(f.id for f in fams), tuple(codes), score)
    problem = Problem(families=fams, destinations=dests, scores=table)
    t, c = time.perf_counter(), time.process_time()
    r = solve(problem, OUTCOME, explain=False, report=False)  # end to end: checks included
    placed = sum(1 for d in r.assignment.values() if d is not None)
    _line(f"districts {n_dest} x {families}", seconds=time.perf_counter() - t,
          cpu_s=time.process_time() - c,
          gap_pct=100 * (r.gap or 0.0), families_placed=placed,
          persons_placeable=r.persons_placeable, persons_placed=r.persons_placed,
          route=",".join(s.value for s in r.route), peak_rss_mb=_peak_mb())


def bench_exact_seeds(families: int = 10_000, seeds: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
                      ) -> None:
    """`--solver exact` against the default on several 10k batches: time ratio and gaps."""
    for seed in seeds:
        problem = synth_batch(families, seed=seed)
        t = time.perf_counter()
        fast = solve(problem, OUTCOME, solver="fast", explain=False, report=False)
        t_fast = time.perf_counter() - t
        t = time.perf_counter()
        exact = solve(problem, OUTCOME, solver="exact", explain=False, report=False)
        t_exact = time.perf_counter() - t
        rounds = sum(1 for n in exact.notes if n.msgid.startswith("match_note_rcfix_"))
        _line(f"seed {seed}: default / exact", default_s=t_fast, exact_s=t_exact,
              exact_over_default=t_exact / t_fast, default_gap_pct=100 * (fast.gap or 0.0),
              exact_gap_pct=100 * (exact.gap or 0.0),
              exact_minus_default=exact.objective - fast.objective, rounds=rounds)


def _persons(pairs: Pairs, choice: list[int]) -> int:
    return int(sum(int(pairs.sizes[i]) for i, d in enumerate(choice) if d >= 0))


def bench_short(families: int = 3_000, seeds: tuple[int, ...] = (0, 1, 2, 3),
                slack: float = 0.94) -> None:
    """Capacity short of the persons (6%): default, `--solver exact` (LP route) and branch and
    bound on the whole model, on the same batches."""
    for seed in seeds:
        problem = synth_batch(families, seed=seed, slack=slack)
        pairs = build_pairs(problem.sorted())
        t = time.perf_counter()
        fast = solve_fast(pairs, OUTCOME)
        t_fast = time.perf_counter() - t
        t = time.perf_counter()
        by_lp = exact_by_lp(pairs, OUTCOME)
        t_lp = time.perf_counter() - t
        t = time.perf_counter()
        bb = solve_stages(pairs, OUTCOME, whole(pairs))
        t_bb = time.perf_counter() - t
        _line(f"seed {seed}: short {families}", placeable=int(pairs.sizes[pairs.placeable].sum()),
              bb_persons=int(persons_of(pairs, bb.chosen)), bb_s=t_bb,
              bb_objective=bb.objective, default_persons=_persons(pairs, fast.choice),
              default_s=t_fast, default_objective=fast.objective,
              exact_persons=_persons(pairs, by_lp.choice) if by_lp else "branch and bound",
              exact_s=t_lp, exact_objective=by_lp.objective if by_lp else float("nan"),
              bb_over_exact=t_bb / t_lp)


def bench_preference_first(families: int = 10_000, seeds: tuple[int, ...] = (1, 2, 3, 4)
                           ) -> None:
    """The default solver and `--solver exact` under an outcome floor (`preference-first`):
    times, proven gaps and which route proved exact's plan."""
    policy = load_policy("preference-first")
    for seed in seeds:
        problem = synth_batch(families, seed=seed)
        pairs = build_pairs(problem.sorted())
        t = time.perf_counter()
        out = solve_fast(pairs, policy)
        t_fast = time.perf_counter() - t
        t = time.perf_counter()
        exact = solve(problem, policy, solver="exact", explain=False, report=False)
        t_exact = time.perf_counter() - t
        route = ("branch and bound" if any("Branch and bound" in n for n in map(str, exact.notes))
                 else next((n.split(")")[0].split("(")[-1] for n in map(str, exact.notes)
                            if "without branch and bound" in n), "?"))
        _line(f"seed {seed}: preference-first {families}", default_s=t_fast,
              default_objective=out.objective, default_gap_pct=100 * (out.gap or 0.0),
              exact_s=t_exact, exact_objective=exact.objective,
              exact_gap_pct=100 * (exact.gap or 0.0), exact_route=route)


def bench_cli(families: int = 20_000) -> None:
    """`fairshare match` end to end on a synthetic batch against plain readers of its input.

    Issue 13's two targets, measured in the same run, each time the best of three:
    - reading: the project's reader (read_problem: checked, columnar) <= 2x pandas' read_csv
      of the same three files (every column as text);
    - end to end: the whole command in a fresh process (`fairshare match ... --format json
      --out plan.csv`: start-up and imports, reading, checks, solve, plan check, report with
      its four baselines, writing) <= 5x Python's csv.reader over the three files.
    Beside them: the command's start-up alone (`fairshare --help` in a fresh process) and, in
    this process, where solve() spends its time. Times are CPU seconds (user + system; the
    commands' from their processes), which a machine shared with other work distorts far less
    than wall-clock time; wall-clock times are printed beside them."""
    import csv
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    import pandas as pd

    from fairshare.matching.io import read_problem, write_problem

    folder = Path(tempfile.mkdtemp(prefix="bench-match-"))
    write_problem(folder, synth_batch(families, seed=1))
    files = [folder / f"{n}.csv" for n in ("families", "destinations", "scores")]

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def best(fn: Any) -> tuple[float, float]:
        """(CPU, wall) seconds, each the best of three."""
        times, wall = [], []
        for _ in range(3):
            t, w = cpu(), time.perf_counter()
            fn()
            times.append(cpu() - t)
            wall.append(time.perf_counter() - w)
        return min(times), min(wall)

    def plain() -> None:
        for path in files:
            with path.open(newline="", encoding="utf-8") as fh:
                for _ in csv.reader(fh):
                    pass

    def with_pandas() -> None:
        for path in files:
            pd.read_csv(path, dtype=str, keep_default_na=False)

    command = [sys.executable, "-m", "fairshare", "match", "--families", str(files[0]),
               "--destinations", str(files[1]), "--scores", str(files[2]),
               "--out", str(folder / "plan.csv"), "--format", "json"]

    def cli() -> None:
        subprocess.run(command, check=True, capture_output=True)

    def startup() -> None:
        subprocess.run([sys.executable, "-m", "fairshare", "--help"], check=True,
                       capture_output=True)

    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    csv_s, pandas_s = best(plain), best(with_pandas)
    read_s = best(lambda: read_problem(*files))
    start_s, cli_s = best(startup), best(cli)
    for k, unit in enumerate(("CPU s", "wall s")):
        _line(f"match CLI {families} x 13 ({unit})", csv_reader=csv_s[k], pandas=pandas_s[k],
              read_problem=read_s[k], startup=start_s[k], cli=cli_s[k])
        _line(f"  ratios ({unit})", read_over_pandas=read_s[k] / pandas_s[k],
              cli_over_csv=cli_s[k] / csv_s[k], startup_over_csv=start_s[k] / csv_s[k])
    verdict = {True: "met", False: "not met"}
    print(f"targets (CPU): reading {read_s[0] / pandas_s[0]:.2f}x pandas read_csv (<= 2x: "
          f"{verdict[read_s[0] <= 2 * pandas_s[0]]}); `fairshare match` "
          f"{cli_s[0] / csv_s[0]:.1f}x csv.reader (<= 5x: {verdict[cli_s[0] <= 5 * csv_s[0]]})",
          flush=True)
    problem = read_problem(*files)
    t = cpu()
    result = solve(problem, OUTCOME, explain=False, report=True)
    _line("  solve() in this process (wall s)", cpu_s=cpu() - t,
          **{k: v for k, v in result.timings.items() if "." not in k})


PARTS = {"10k": bench_10k, "400k": bench_400k, "cli": bench_cli,
         "districts": bench_districts, "exact-seeds": bench_exact_seeds,
         "exact-scale": bench_exact_scale, "short": bench_short,
         "preference-first": bench_preference_first}


def main(argv: list[str] | None = None) -> None:
    """Run the matching benchmarks (all parts unless --only)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default=os.environ.get("BENCH_MATCHING_ONLY", ",".join(PARTS)),
                        help="comma-separated parts")
    args = parser.parse_args(argv if argv is not None else [])
    print("== matching benchmarks", flush=True)
    for name in args.only.split(","):
        PARTS[name.strip()]()


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
