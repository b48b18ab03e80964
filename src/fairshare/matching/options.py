"""Every threshold and tolerance of the matching engine, in one frozen value.

The solvers read these numbers from the :class:`SolverOptions` they are given, never from
module constants, so a caller (or a test) chooses a route by passing options, and
:func:`~fairshare.matching.route.plan_route` is the only function that decides which steps run.
The defaults are the values measured in benchmarks/README.md (Matching).

>>> SolverOptions().exact_max_families, SolverOptions(exact_max_families=0).exact_max_families
(500, 0)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class SolverOptions:
    """Thresholds and tolerances of the matching engine (defaults: today's measured values).

    Route thresholds (read by :func:`~fairshare.matching.route.plan_route`):
        exact_max_families: ``auto`` runs ``exact`` up to this many families, ``fast`` beyond;
            ``exact`` runs branch and bound on the whole model up to it and the LP route
            (column generation, then reduced-cost fixing) beyond.
        prices_min_families: from this many families on, ``fast`` takes prices from a sample
            LP instead of solving the whole LP by column generation.
        priced_start_min_families: from this many families on, column generation starts from
            each family's best pairs under prices of a small sample LP.
        kinds_bound_min_families: from this many families on (0: always), an LP route that
            would start by placing every family first bounds the persons any plan places by
            a small LP over family kinds (families of the same size and allowed destinations);
            when that proves not every family fits, it goes straight to the staged LP.

    Fix and small MIP (``fast``):
        close_calls_per_dest, close_calls_max: LP-integral families freed for the small MIP:
            this many per destination, at most ``close_calls_max``.
        floor_close_calls_factor: times more close calls under an outcome floor.
        persons_retries: retries with twice the close calls when persons are missing.
        mip_pairs_per_family: each free family's best pairs kept in the small MIP when there
            are more destinations.
        small_mip_nodes: deterministic node limit of the small MIP (never a clock).
        integral: an LP value at or above this counts as 1.
        priced_start_sample: families of the sample LP that prices the start.

    Sample prices (``fast`` beyond ``prices_min_families``):
        prices_sample_families, prices_sample_per_dest: the sample LP's size (at least this
            many families per destination).
        prices_free_fraction: share of families (smallest margins) re-solved exactly.
        prices_refine_iterations: subgradient steps refining the prices.
        prices_seed: seed of the sample.
        dense_max: family x destination cells up to which dense views are used.

    Column generation:
        kinds_lp_max_columns: the staged LP's first stage (the most persons) is an LP over
            family kinds up to this many (kind, destination) columns, column generation over
            the pairs beyond.
        staged_all_pairs_max: the staged LP's second stage (the best value with the most
            persons) starts from every pair up to this many allowed pairs (one LP solve: 1.3 s
            less than the pricing rounds at 20,000 families x 13, 135,000 pairs), from each
            family's best ``colgen_start_per_family`` beyond.
        staged_start_sample: from ``priced_start_min_families`` families on, the second stage
            on every pair starts each family at its best pair under the prices of a sample LP
            of this many families (0: at its best pair by value).
        persons_weight_margin: from ``priced_start_min_families`` families on, the second
            stage on every pair leaves its persons row out and adds this many times the
            persons row's price on a sample (``priced_start_sample`` families) to each
            pair's value per person; when that optimum places the most persons it is the
            optimum with the row (else the row is written): 1.8 -> 1.0 s CPU at 20,000
            families x 13 (0: always the row).
        colgen_start_per_family: pairs per family in the first restricted LP.
        colgen_max_rounds: pricing rounds at most.
        rc_tol: a pair enters when its reduced cost is above this.

    Exact and reduced-cost fixing:
        mip_rel_gap: relative MIP gap of branch and bound (and of "optimal").
        tol: slack of right-hand sides taken from an earlier stage.
        floor_wider: close-call multipliers of ``fast``'s attempts under an outcome floor
            before branch and bound.
        rcfix_rel_gap: MIP gap of the restricted MIPs (optimal, not "within 1e-4").
        rcfix_proven_gap: stop after the first round when the proven gap is this small.
        rcfix_first_share: the first round keeps the pairs within this share of the gap.
        rcfix_slack: reduced costs this close to the cut-off are kept too.
        rcfix_max_pairs: a restricted MIP of more pairs is not attempted (work limit).

    Report:
        baseline_max_families: the report compares with the baselines up to this size.
    """

    exact_max_families: int = 500
    prices_min_families: int = 40_000
    priced_start_min_families: int = 5_000
    priced_start_sample: int = 2_000
    kinds_bound_min_families: int = 0
    close_calls_per_dest: int = 6
    close_calls_max: int = 150
    floor_close_calls_factor: int = 2
    persons_retries: int = 1
    mip_pairs_per_family: int = 8
    small_mip_nodes: int = 200
    integral: float = 1 - 1e-6
    prices_sample_families: int = 3_000
    prices_sample_per_dest: int = 20
    prices_free_fraction: float = 0.02
    prices_refine_iterations: int = 40
    prices_seed: int = 0
    dense_max: int = 60_000_000
    kinds_lp_max_columns: int = 50_000
    staged_all_pairs_max: int = 300_000
    staged_start_sample: int = 500
    persons_weight_margin: float = 2.0
    colgen_start_per_family: int = 3
    colgen_max_rounds: int = 60
    rc_tol: float = 1e-9
    mip_rel_gap: float = 1e-4
    tol: float = 1e-6
    floor_wider: tuple[int, ...] = (1, 4)
    rcfix_rel_gap: float = 1e-9
    rcfix_proven_gap: float = 1e-6
    rcfix_first_share: float = 0.125
    rcfix_slack: float = 1e-9
    rcfix_max_pairs: int = 75_000
    baseline_max_families: int = 200_000

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly copy, recorded with each result."""
        return asdict(self)


DEFAULT_OPTIONS = SolverOptions()
