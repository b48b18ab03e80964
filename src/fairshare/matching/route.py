"""The route a solve takes, as a value: :func:`plan_route` is the only place that decides it.

A :data:`Route` is a tuple of named :class:`Step`. The engine runs the planned steps in order:
a *plan step* (``prices``, ``column-generation``, ``staged-lp``, ``branch-and-bound``, a
baseline) produces a plan, or hands over to the next plan step when it cannot (an LP with no
solution under its restriction); a *refinement step* (``reduced-cost-fixing``,
``floor-lp-bound``) works on the plan before it; ``kinds-bound`` records that a count over
family kinds proved, before any plan step, that not every family fits (so none tries to);
``branch-and-bound`` after other steps of the ``exact`` route is the last resort when they did
not prove the optimum. ``MatchResult.route``
records the steps that actually ran and gave the result, machine-readably; the notes say the
same for people.

>>> from fairshare.matching.policy import load_policy
>>> plan_route(Shape(10_000, 13, 26_000, 30_000), load_policy("outcome"), SolverOptions())
(<Step.PRICED_START: 'priced-start'>, <Step.COLUMN_GENERATION: 'column-generation'>, \
<Step.STAGED_LP: 'staged-lp'>)
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass

from fairshare.errors import MatchingError
from fairshare.i18n import msg
from fairshare.matching.options import SolverOptions
from fairshare.matching.policy import Policy

BASELINES = ("greedy", "random", "status-quo", "deferred-acceptance")
SOLVERS = ("auto", "exact", "fast", *BASELINES)


class Step(enum.StrEnum):
    """A named step of a route (its value is what results and documents show)."""

    NOTHING = "nothing-to-place"  # no allowed pair: the empty plan
    FAIR_SHARE_ROOM = "fair-share-room"  # fair share as a constraint: fill the room below share
    KINDS_BOUND = "kinds-bound"  # a count over family kinds proves not every family fits
    PRICES = "prices"  # sample-LP prices, Lagrangian bound, exact re-solve of close calls
    PRICED_START = "priced-start"  # column generation starts from a sample LP's prices
    COLUMN_GENERATION = "column-generation"  # LP by column generation, fix, small MIP
    STAGED_LP = "staged-lp"  # staged LP (persons, then value; floor), fix, small MIP
    FLOOR_REFERENCE = "floor-reference"  # best total outcome by the LP route (sets the floor)
    FLOOR_LP_BOUND = "floor-lp-bound"  # this problem's LP relaxation bounds the floor plan
    REDUCED_COST_FIXING = "reduced-cost-fixing"  # MIP on the pairs the LP duals leave open
    BRANCH_AND_BOUND = "branch-and-bound"  # HiGHS MIP on the whole model, in stages
    GREEDY = "greedy"
    RANDOM = "random"
    STATUS_QUO = "status-quo"
    DEFERRED_ACCEPTANCE = "deferred-acceptance"


Route = tuple[Step, ...]


@dataclass(frozen=True)
class Shape:
    """What the route depends on in a batch.

    Attributes:
        n_families: families of the batch (consenting or not).
        n_dest: destinations.
        persons: placeable persons (consenting, with at least one allowed destination).
        capacity: persons the destinations may receive in total.
        n_pairs: allowed (family, destination) pairs (0: nothing to place).
        persons_max: a proven upper bound on the persons any plan places, from the count over
            family kinds (:func:`~fairshare.matching.solve.persons_bound_by_kinds`), which
            ``solve`` computes when :func:`wants_kinds_bound` says so; None: not computed.
    """

    n_families: int
    n_dest: int
    persons: float
    capacity: float
    n_pairs: int = 1
    persons_max: float | None = None

    @property
    def capacity_short(self) -> bool:
        """Fewer places than placeable persons."""
        return self.capacity < self.persons

    @property
    def kinds_short(self) -> bool:
        """Proven by the count over family kinds: no plan places every placeable person (an
        upper bound below them; sizes are whole, so any bound below them is a proof)."""
        return self.persons_max is not None and self.persons_max < self.persons


def engine_of(shape: Shape, solver: str, options: SolverOptions) -> str:
    """The engine ``solver`` names for this shape (``auto``: exact for small batches).

    >>> engine_of(Shape(400, 13, 1_000, 2_000), "auto", SolverOptions())
    'exact'
    """
    if solver not in SOLVERS:
        raise MatchingError(msg("match_unknown_solver", solver=solver, known=", ".join(SOLVERS)))
    if solver != "auto":
        return solver
    return "exact" if shape.n_families <= options.exact_max_families else "fast"


def _lp_route(shape: Shape, engine: str, options: SolverOptions) -> bool:
    return engine == "fast" or (engine == "exact"
                                and shape.n_families > options.exact_max_families)


def wants_kinds_bound(shape: Shape, policy: Policy, options: SolverOptions,
                      solver: str = "auto") -> bool:
    """Whether ``solve`` first bounds the persons any plan places by the count over family
    kinds (``Shape.persons_max``): when the LP route would start by trying to place every
    family (``place_all``, no outcome floor, places enough on paper) and the batch has at
    least ``options.kinds_bound_min_families`` families. When the bound proves that not every
    family fits, :func:`plan_route` goes straight to the staged LP (``kinds-bound``);
    otherwise the route is the one it would be without the bound.

    >>> from fairshare.matching.policy import load_policy
    >>> wants_kinds_bound(Shape(10_000, 13, 25_000, 28_000), load_policy("outcome"),
    ...                   SolverOptions()), wants_kinds_bound(Shape(300, 13, 750, 900),
    ...                   load_policy("outcome"), SolverOptions())
    (True, False)
    """
    engine = engine_of(shape, solver, options)
    return (_lp_route(shape, engine, options) and policy.place_all
            and policy.outcome_floor is None and not shape.capacity_short
            and shape.n_pairs > 0 and shape.n_families >= options.kinds_bound_min_families)


def fast_steps(shape: Shape, policy: Policy, options: SolverOptions, *,
               use_prices: bool = True) -> Route:
    """The plan steps of the LP-based method (``fast``, and ``exact``'s LP route)."""
    if policy.outcome_floor is not None or (policy.place_all and shape.capacity_short):
        return (Step.STAGED_LP,)
    if policy.place_all and shape.kinds_short:
        # Every plan step before the staged LP starts by placing every family: futile here.
        return (Step.KINDS_BOUND, Step.STAGED_LP)
    steps: list[Step] = []
    if (use_prices and shape.n_families >= options.prices_min_families
            and shape.n_families * shape.n_dest <= options.dense_max):
        steps.append(Step.PRICES)
    if shape.n_families >= options.priced_start_min_families:
        steps.append(Step.PRICED_START)
    return (*steps, Step.COLUMN_GENERATION, Step.STAGED_LP)


def plan_route(shape: Shape, policy: Policy, options: SolverOptions,
               solver: str = "auto") -> Route:
    """The steps a solve of this shape runs, in order (see the module docstring).

    Args:
        shape: the batch's size and capacity.
        policy: the policy (an outcome floor and a binding fair share change the route).
        options: the thresholds.
        solver: ``auto``, ``exact``, ``fast`` or a baseline.
    """
    engine = engine_of(shape, solver, options)
    if shape.n_pairs == 0 or shape.n_families == 0 or shape.n_dest == 0:
        return (Step.NOTHING,)
    if engine in BASELINES:
        return (Step(engine),)
    prefix: Route = (Step.FAIR_SHARE_ROOM,) if policy.fair_share_mode == "constraint" else ()
    if engine == "fast":
        return (*prefix, *fast_steps(shape, policy, options))
    if shape.n_families <= options.exact_max_families:
        return (*prefix, Step.BRANCH_AND_BOUND)
    if policy.outcome_floor is not None:
        return (*prefix, Step.FLOOR_REFERENCE, Step.STAGED_LP, Step.FLOOR_LP_BOUND,
                Step.BRANCH_AND_BOUND)
    return (*prefix, *fast_steps(shape, policy, options, use_prices=False),
            Step.REDUCED_COST_FIXING, Step.BRANCH_AND_BOUND)


# Shapes of the route table in docs/matching.md: (label, families, destinations, short), short:
# "" (enough places and housing), "capacity" (fewer places than persons) or "housing" (enough
# places, but the count over family kinds proves that not every family fits).
TABLE_SHAPES = (
    ("300 families x 13", 300, 13, ""),
    ("10,000 families x 13", 10_000, 13, ""),
    ("10,000 x 13, capacity short", 10_000, 13, "capacity"),
    ("10,000 x 13, housing short", 10_000, 13, "housing"),
    ("100,000 families x 13", 100_000, 13, ""),
    ("100,000 families x 400", 100_000, 400, ""),
)


def route_table(options: SolverOptions | None = None) -> str:
    """The route table of docs/matching.md, generated from :func:`plan_route`.

    A test compares it with the document, so the two never drift apart.
    """
    from fairshare.matching.policy import load_policy

    opts = options or SolverOptions()
    policies = [load_policy(name) for name in ("outcome", "balanced", "preference-first")]
    lines = ["| batch | solver | " + " | ".join(f"`{p.id}`" for p in policies) + " |",
             "|---|---|" + "---|" * len(policies)]
    for label, n, nd, short in TABLE_SHAPES:
        persons = 2.5 * n
        shape = Shape(n, nd, persons, persons * (0.94 if short == "capacity" else 1.15))
        for solver in ("auto", "exact"):
            cells = [", ".join(s.value for s in plan_route(
                dataclasses.replace(shape, persons_max=persons * 0.97)
                if short == "housing" and wants_kinds_bound(shape, p, opts, solver) else shape,
                p, opts, solver)) for p in policies]
            lines.append(f"| {label} | `{solver}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)
