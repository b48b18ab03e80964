"""Use cases for matching runs: create (build from the store, solve, save), replay, show."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import json
import math
import platform
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, Text, insert, select, type_coerce, update

from fairshare.errors import (
    ConflictError,
    FairshareError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
)
from fairshare.i18n import SEMICOLONS, Message, Num, joined, msg
from fairshare.service.capacity import used_by_offer
from fairshare.service.common import as_utc, non_consenting_families, record
from fairshare.service.context import Context
from fairshare.service.explanations import shown
from fairshare.service.ledger import plan_moves, surplus_before_after
from fairshare.service.models import (
    RecommendationInfo,
    ReplayResult,
    RunDetail,
    RunInfo,
)
from fairshare.service.scoring_models import (
    DEFAULT_ID,
    choose_model,
    get_model,
    load_checked,
    score_problem,
)
from fairshare.service.snapshot import (
    encode_snapshot,
    input_hash,
    input_hash_matches,
    load_snapshot,
    plan_hash,
    problem_from_json,
    run_snapshot_body,
)
from fairshare.service.targets import fair_share_gaps
from fairshare.store.bulk import bulk_insert
from fairshare.store.engine import read_transaction, write_transaction
from fairshare.store.ids import next_run_id
from fairshare.store.tables import (
    agreements,
    capacity_offers,
    claimants,
    families,
    preferences,
    recommendations,
    runs,
)

if TYPE_CHECKING:  # keeps `fairshare --help` light
    from fairshare.matching import Problem


def _policy_text(policy: str) -> str:
    from importlib import resources

    from fairshare.matching import PRESETS

    if policy in PRESETS:
        return resources.files("fairshare.matching").joinpath(
            "policies", f"{policy}.yaml").read_text(encoding="utf-8")
    path = Path(policy)
    if not path.is_file():
        raise InputError(msg("error_policy_unknown", policy=policy, presets=", ".join(PRESETS)))
    return path.read_text(encoding="utf-8")


def _load_policy_text(text: str, where: str = "the run's stored policy") -> Any:
    from fairshare.matching import policy_from_text

    return policy_from_text(text, where)


def build_problem(conn: Connection, ctx: Context, *, key: str, name: str = "registry",
                  ) -> tuple[Problem, list[dict[str, Any]]]:
    """The matching problem from the store, not yet scored: consenting families still waiting
    under an agreement in force (revoked or expired agreements' families leave the pool),
    active capacity offers (minus what transfers used) and fair-share gaps from the ledger
    under ``key``; and the members' attributes a trained model reads (occupation included)."""
    from fairshare.matching import Problem
    from fairshare.matching.problem import FamilyTable, MemberTable

    today = ctx.today()
    in_force = select(agreements.c.id).where(agreements.c.status == "active",
                                             agreements.c.valid_from <= today,
                                             agreements.c.expires_on >= today)
    cell = _JsonCells()
    f = families.c
    waiting = select(f.id, f.current_code, raw(f.services), raw(f.excluded), raw(f.ties)).where(
        f.status == "waiting", f.anonymised_at.is_(None), f.agreement_id.in_(in_force))
    blocked = non_consenting_families(conn)
    fam_rows = [(fid, current, cell(services), cell(excluded), cell(ties))
                for fid, current, services, excluded, ties
                in conn.execute(waiting.order_by(f.id)) if fid not in blocked]
    # the members as columns (fairshare.matching.MemberTable), in id order
    m_ids: list[str] = []
    m_family: list[str] = []
    m_birth: list[float] = []
    m_sex: list[str | None] = []
    m_languages: list[tuple[tuple[str, str], ...]] = []
    m_education: list[str | None] = []
    m_work: list[float] = []
    attributes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    c = claimants.c
    for cid, family_id, birth_year, sex, langs, education, work, occupation in conn.execute(
            select(c.id, c.family_id, c.birth_year, c.sex, raw(c.languages), c.education,
                   c.work_experience_years, c.occupation_group)
            .where(c.anonymised_at.is_(None)).order_by(c.id)).all():
        languages = cell(langs) or []
        attributes[family_id].append({
            "id": cid, "family_id": family_id, "birth_year": birth_year, "sex": sex,
            "languages": [list(x) for x in languages], "education": education,
            "occupation_group": occupation})
        m_ids.append(cid)
        m_family.append(family_id)
        m_birth.append(math.nan if birth_year is None else birth_year)
        m_sex.append(sex)
        m_languages.append(tuple((a, b) for a, b in languages))
        m_education.append(education)
        m_work.append(math.nan if work is None else work)
    counts = Counter(m_family)
    prefs: dict[str, list[str]] = defaultdict(list)
    for family_id, code in conn.execute(select(preferences.c.family_id, preferences.c.code)
                                        .order_by(preferences.c.family_id,
                                                  preferences.c.rank)).all():
        prefs[family_id].append(code)
    placeable = [r for r in fam_rows if counts.get(r[0])]
    dests = _destinations(conn, ctx, key=key, persons=sum(counts[r[0]] for r in placeable))
    codes = {d.code for d in dests}  # preferences etc. only name destinations offering places
    ids = [r[0] for r in placeable]
    keep = set(ids)
    rows = [k for k, fid in enumerate(m_family) if fid in keep]
    people = MemberTable([m_ids[k] for k in rows], [m_family[k] for k in rows],
                         birth_year=[m_birth[k] for k in rows], sex=[m_sex[k] for k in rows],
                         languages=[m_languages[k] for k in rows],
                         education=[m_education[k] for k in rows],
                         work_experience_years=[m_work[k] for k in rows])
    fams = FamilyTable(ids, [counts[fid] for fid in ids], [True] * len(ids),
                       current=[r[1] for r in placeable],
                       services=[frozenset(r[2]) for r in placeable],
                       excluded=[frozenset(r[3]) & codes for r in placeable],
                       preferences=[tuple(x for x in prefs.get(r[0], []) if x in codes)
                                    for r in placeable],
                       ties=[frozenset(r[4]) & codes for r in placeable], people=people)
    bare = Problem(families=fams, destinations=dests, scores={}, name=name,
                   meta={"key": key, "as_of": ctx.today().isoformat()})
    return bare, [a for r in placeable for a in attributes[r[0]]]


def raw(column: Any) -> Any:
    """A JSON column read as its stored text (decoded by :class:`_JsonCells`, once per
    distinct value: the registry's lists repeat a few values thousands of times)."""
    return type_coerce(column, Text).label(column.name)


class _JsonCells:
    """Decode JSON cells, each distinct text once (PostgreSQL's driver hands back values)."""

    def __init__(self) -> None:
        self._seen: dict[str, Any] = {}

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self._seen[value]
        except KeyError:
            decoded = self._seen[value] = json.loads(value)
            return decoded


def _capacity_left(conn: Connection, ctx: Context) -> dict[str, int]:
    """Persons' places left now per destination (active offers minus what transfers used)."""
    used_p, _ = used_by_offer(conn)
    left: dict[str, int] = defaultdict(int)
    for o in conn.execute(select(capacity_offers.c.id, capacity_offers.c.code,
                                 capacity_offers.c.persons).where(
            capacity_offers.c.expires_on >= ctx.today())):
        left[o.code] += max(0, o.persons - used_p.get(o.id, 0))
    return dict(left)


def _destinations(conn: Connection, ctx: Context, *, key: str, persons: int) -> tuple[Any, ...]:
    from fairshare.matching import Destination

    used_p, used_u = used_by_offer(conn)
    capacity: dict[str, int] = defaultdict(int)
    services: dict[str, set[str]] = defaultdict(set)
    units: dict[str, dict[str, int] | None] = {}
    for o in conn.execute(select(capacity_offers).where(
            capacity_offers.c.expires_on >= ctx.today()).order_by(capacity_offers.c.id)):
        left = o.persons - used_p.get(o.id, 0)
        if left <= 0:
            continue
        capacity[o.code] += left
        services[o.code] |= set(o.services)
        if o.housing_units is None or (o.code in units and units[o.code] is None):
            units[o.code] = None
        else:
            acc = units.setdefault(o.code, {}) or {}
            for band, n in o.housing_units.items():
                acc[band] = acc.get(band, 0) + n - used_u.get(o.id, {}).get(band, 0)
            units[o.code] = acc
    gaps = fair_share_gaps(conn, ctx, key=key, codes=sorted(capacity), persons=persons)
    return tuple(Destination(code=c, capacity=capacity[c], services=frozenset(services[c]),
                             housing_units=units.get(c), shortfall=gaps.get(c))
                 for c in sorted(capacity))


def _online_prices(conn: Connection, ctx: Context) -> dict[str, Any]:
    """What an online run records about the latest stored prices (and a note if stale, as
    :func:`~fairshare.i18n.to_json`: shown in its reader's language)."""
    from fairshare.i18n import to_json
    from fairshare.service.prices import latest_prices_row, stale_note

    row = latest_prices_row(conn)
    note = stale_note(row, ctx.now())
    return {"id": int(row.id), "inputs_sha256": row.inputs_sha256,
            "computed_at": as_utc(row.computed_at).isoformat(),
            "prices": {str(k): float(v) for k, v in dict(row.prices).items()},
            "notes": [to_json(note)] if note else []}


def _priced(problem: Problem, doc: dict[str, Any]) -> Problem:
    """The problem the solver sees: scores net of the run's prices when it is online."""
    from fairshare.service.prices import apply_prices

    prices = doc.get("prices")
    return apply_prices(problem, prices["prices"]) if prices else problem


def _versions(result: Any, key: str, model: dict[str, Any],
              prices: dict[str, Any] | None = None) -> dict[str, Any]:
    from fairshare import __version__
    from fairshare.keys import load_key

    definition = load_key(key)
    key_sha = hashlib.sha256(Path(definition.path).read_bytes()).hexdigest() if getattr(
        definition, "path", None) else None
    online = {} if prices is None else {"prices": prices["id"],
                                        "prices_sha256": prices["inputs_sha256"],
                                        "notes": list(prices["notes"])}
    return {"fairshare": __version__, "python": platform.python_version(),
            "solver": result.solver, "solver_version": result.solver_version,
            "solver_options": result.options, "policy": result.policy,
            "key": definition.id, "key_sha256": key_sha, "model": model["id"],
            "model_name": model["name"], "model_sha256": model["sha256"], **online}


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, sort_keys=True))


Progress = Callable[[str, float], None]
"""Called with a step name (:data:`STEPS`) and the fraction of the work done (0 to 1)."""

STEPS = ("reading", "scoring", "solving", "explaining", "writing", "done")
# The engine's phases (fairshare.matching.PHASES) as run steps, with the fraction reached.
_SOLVE_STEPS = {"checking": ("solving", 0.30), "solving": ("solving", 0.32),
                "checking the plan": ("solving", 0.70), "explaining": ("explaining", 0.72),
                "comparing with baselines": ("explaining", 0.80)}
SOLVERS = ("auto", "exact", "fast", "greedy")
_STEP_LABELS = {"reading": "Reading the registry", "scoring": "Scoring the families",
                "solving": "Solving", "explaining": "Writing the explanations",
                "writing": "Saving the run", "done": "Done"}


def step_label(step: str) -> str:
    """A step's name for people (the CLI's progress bar; pages use their catalogue).

    >>> step_label("solving")
    'Solving'
    """
    return _STEP_LABELS.get(step, step)


@dataclass(frozen=True)
class RunRequest:
    """A checked request for a run (:func:`check_run_request`): what :func:`execute_run`
    needs, with the policy's text read once."""

    policy: str
    key: str
    solver: str
    actor: str
    model: str | None
    online: bool
    policy_text: str

    def as_params(self) -> dict[str, Any]:
        """The request as a job's parameters (JSON)."""
        return {"policy": self.policy, "key": self.key, "solver": self.solver,
                "model": self.model, "online": self.online}


def check_run_request(ctx: Context, *, policy: str, key: str, solver: str = "auto",
                      actor: str | None = None, model: str | None = None,
                      online: bool = False) -> RunRequest:
    """Everything that can be refused before solving, refused now (the switch, the policy,
    the key, the solver, the model, the prices), so a job never starts on bad input."""
    from fairshare.keys import load_key

    if not ctx.settings.recommendations:
        raise PermissionDeniedError(msg("error_recommendations_off"))
    if solver not in SOLVERS:
        raise InputError(msg("error_solver_unknown", solver=solver, solvers=", ".join(SOLVERS)))
    policy_text = _policy_text(policy)
    _load_policy_text(policy_text, policy)
    load_key(key)
    with read_transaction(ctx.engine) as conn:
        choose_model(conn, model)
        if online:
            _online_prices(conn, ctx)
    return RunRequest(policy=policy, key=key, solver=solver, actor=actor or ctx.settings.actor,
                      model=model, online=online, policy_text=policy_text)


def create_run(ctx: Context, *, policy: str, key: str, solver: str = "auto",
               actor: str | None = None, model: str | None = None,
               online: bool = False, progress: Progress | None = None) -> RunDetail:
    """Build the problem from the store, score it, solve it and save the run, its
    recommendations and explanations with their audit entry (recommendations stay pending
    until a human decides; the pending ones of older runs become ``superseded``).

    ``model``: a stored model's id, or ``"default"`` for the default scorer; by default the
    latest model added (``fairshare models add``), else the default scorer. The run records
    which, with the SHA-256 of its bytes, and each destination's surplus before and after the
    plan (the one ledger, :func:`fairshare.analysis.compute_balance`).

    ``online``: subtract the latest stored destination prices (``fairshare prices update``)
    from the scores, so a place used now costs what the families expected later would have
    gained from it; the run records the prices' id (and a note when they are older than their
    horizon). Raises NotFoundError when no prices are stored.

    ``progress``: see :data:`Progress` (the CLI's bar and the job's status use it). The steps
    and what is rechecked when the run is saved: :func:`execute_run`.
    """
    request = check_run_request(ctx, policy=policy, key=key, solver=solver, actor=actor,
                                model=model, online=online)
    return execute_run(ctx, request, progress=progress)


_GC_LOCK = threading.Lock()
_GC_PAUSES = [0, False]  # runs under way, whether the collector ran before the first


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a run builds its large trees of small objects
    (the problem, its scores and snapshot, 20,000 explanations): Python's full collections
    walk every object again and again as they grow (3 s of a 20,000-family run). Reference
    counting still frees everything that is not a cycle; the collector runs again when the
    last run under way ends (runs in other threads share the switch)."""
    with _GC_LOCK:
        if not _GC_PAUSES[0]:
            _GC_PAUSES[1] = gc.isenabled()
            gc.disable()
        _GC_PAUSES[0] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_PAUSES[0] -= 1
            if not _GC_PAUSES[0] and _GC_PAUSES[1]:
                gc.enable()


def execute_run(ctx: Context, request: RunRequest, *,
                progress: Progress | None = None) -> RunDetail:
    """Run a checked request in three parts, so the solve never holds the write lock
    (with the cyclic garbage collector paused, :func:`_cycle_collector_paused`):

    1. *reading*: the inputs in one short read transaction (a consistent snapshot; writers
       are not blocked on SQLite WAL nor on PostgreSQL);
    2. *scoring*, *solving*, *explaining* with no transaction open;
    3. *writing*: the ledger's surplus before and after the plan in a read transaction, then
       one short write transaction that rechecks what may have changed meanwhile and saves
       the run. A family that left the pool meanwhile (consent withdrawn, placed,
       anonymised, agreement ended) keeps its line in the run, with status ``withdrawn``
       instead of ``pending`` (as if the change had come just after the run), and the run's
       audit entry counts them; when the plan no longer fits the capacity left now (places
       used by decisions or expired meanwhile), the run is refused (ConflictError) and
       nothing is saved: create it again.
    """
    with _cycle_collector_paused():
        return _execute_run(ctx, request, progress=progress)


def _execute_run(ctx: Context, request: RunRequest, *,
                 progress: Progress | None = None) -> RunDetail:
    from fairshare.matching import solve

    tell = progress or (lambda step, fraction: None)
    tell("reading", 0.0)
    policy_obj = _load_policy_text(request.policy_text, request.policy)
    with read_transaction(ctx.engine) as conn:
        chosen = choose_model(conn, request.model)
        bare, attributes = build_problem(conn, ctx, key=request.key)
        online_doc = _online_prices(conn, ctx) if request.online else None
    tell("scoring", 0.15)
    loaded = load_checked(chosen) if chosen is not None else None
    problem, model_doc = score_problem(bare, chosen, loaded, attributes)
    # The snapshot: this document with the problem and the model input, laid out by columns
    # straight from the problem (run_snapshot_body); its input hash is the body's.
    doc: dict[str, Any] = {"format": 1,
                           "policy": {"name": request.policy, "text": request.policy_text},
                           "key": request.key, "solver": request.solver, "model": model_doc}
    if online_doc is not None:
        doc["prices"] = online_doc

    def snapshot() -> tuple[str, bytes]:  # the input hash and the stored snapshot
        body = run_snapshot_body(problem, doc, attributes)
        return input_hash(doc, body=body), encode_snapshot(doc, body=body)

    def phase(name: str) -> None:
        step, fraction = _SOLVE_STEPS.get(name, ("solving", 0.5))
        tell(step, fraction)

    # The snapshot is laid out and compressed in a thread while the solver works: HiGHS
    # releases the GIL, so on two cores its LPs and the snapshot's Python overlap (0.4 s less
    # at 20,000 families). Both only read the problem.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="run-snapshot") as pool:
        later = pool.submit(snapshot)
        tell("solving", 0.28)
        result = solve(_priced(problem, doc), policy_obj, request.solver, report=False,
                       words=False, with_diagnosis=False, progress=phase)
        input_sha, stored = later.result()
    tell("writing", 0.85)
    table = problem.family_table
    sizes = dict(zip(table.ids, table.sizes.tolist(), strict=True))
    plan = sorted(result.assignment.items())
    explanations = result.explanations  # their facts, plain values: worded when shown
    plan_sha = plan_hash(result.assignment)
    codes = sorted({d.code for d in problem.destinations}
                   | {code for code in table.current if code})
    who = request.actor
    with read_transaction(ctx.engine) as conn:  # the ledger, read without the writer lock
        _check_capacity_left(conn, ctx, dict(plan), sizes)  # early; rechecked when saving
        before, after = surplus_before_after(
            conn, ctx, key=request.key, moves=plan_moves(problem, result.assignment, ctx.today()))
    ledger = [{"code": c, "surplus_before": before.get(c, 0.0),
               "surplus_after": after.get(c, 0.0)} for c in codes]
    with write_transaction(ctx.engine) as conn:
        gone = sorted(set(sizes) - eligible_families(conn, ctx, sorted(sizes)))
        _check_capacity_left(conn, ctx, {fid: d for fid, d in plan if fid not in gone}, sizes)
        run_id = next_run_id(conn)
        now = ctx.now()
        placed = sum(sizes[f] for f, d in plan if d)
        versions = _versions(result, request.key, model_doc, online_doc)
        info = RunInfo(id=run_id, created_at=now, created_by=who, policy=request.policy,
                       key=request.key, input_sha256=input_sha, plan_sha256=plan_sha,
                       solver=result.solver, status=str(result.status),
                       objective=float(result.objective), families=len(problem.families),
                       placed=placed, versions=_plain(versions), snapshot_kept=True)
        conn.execute(insert(runs).values(
            id=run_id, created_at=now, created_by=who, policy=request.policy, key=request.key,
            input_sha256=input_sha, plan_sha256=plan_sha, snapshot=stored, versions=versions,
            solver=result.solver, status=str(result.status), objective=info.objective,
            families=info.families, placed=placed,
            model_id=chosen.id if chosen is not None else None, ledger=ledger))
        left = set(gone)
        rows: list[dict[str, Any]] = [{"run_id": run_id, "family_id": fid, "destination": dest,
                 "persons": sizes[fid], "status": "withdrawn" if fid in left else "pending",
                 "explanation": explanations[fid]} for fid, dest in plan]
        superseded = conn.execute(update(recommendations).where(
            recommendations.c.status == "pending").values(status="superseded")).rowcount
        bulk_insert(conn, recommendations, rows)
        record(conn, at=now, actor=who, action="run.create", entity_type="run",
               entity_id=run_id, details={"input_sha256": input_sha, "plan_sha256": plan_sha,
                                          "policy": request.policy, "key": request.key,
                                          "solver": result.solver, "model": model_doc["id"],
                                          "model_sha256": model_doc["sha256"],
                                          "prices": online_doc["id"] if online_doc else None,
                                          "families": len(rows), "persons_placed": placed,
                                          "status": str(result.status),
                                          "superseded": int(superseded),
                                          "left_out_meanwhile": len(gone)})
    tell("done", 1.0)
    recs = [RecommendationInfo(run_id=run_id, family_id=r["family_id"],
                               destination=r["destination"], persons=r["persons"],
                               status=r["status"], explanation=shown(r["explanation"], later=True))
            for r in rows]
    return RunDetail(run=info, recommendations=recs,
                     model={"id": versions.get("model"), "sha256": versions.get("model_sha256"),
                            "name": versions.get("model_name")},
                     destinations=ledger)


def eligible_families(conn: Connection, ctx: Context, ids: list[str]) -> set[str]:
    """Those of ``ids`` still in the pool now: waiting, not anonymised, under an agreement in
    force, every member consenting (the rule :func:`build_problem` applies)."""
    today = ctx.today()
    in_force = select(agreements.c.id).where(agreements.c.status == "active",
                                             agreements.c.valid_from <= today,
                                             agreements.c.expires_on >= today)
    wanted = set(ids)
    waiting = {fid for fid in conn.execute(select(families.c.id).where(
        families.c.status == "waiting", families.c.anonymised_at.is_(None),
        families.c.agreement_id.in_(in_force))).scalars() if fid in wanted}
    return waiting - non_consenting_families(conn)


def _check_capacity_left(conn: Connection, ctx: Context, plan: dict[str, str | None],
                         sizes: dict[str, int]) -> None:
    """Refuse a plan that needs more places in a destination than are left now."""
    left = _capacity_left(conn, ctx)
    wanted: dict[str, int] = defaultdict(int)
    for fid, dest in plan.items():
        if dest:
            wanted[dest] += sizes[fid]
    short = [msg("capacity_short", code=code, left=Num(left.get(code, 0)), needed=Num(n))
             for code, n in sorted(wanted.items()) if n > left.get(code, 0)]
    if short:
        raise ConflictError(msg("error_capacity_changed", short=joined(SEMICOLONS, short)))


def _info(row: Row[Any]) -> RunInfo:
    return RunInfo(id=row.id, created_at=as_utc(row.created_at), created_by=row.created_by,
                   policy=row.policy, key=row.key, input_sha256=row.input_sha256,
                   plan_sha256=row.plan_sha256, solver=row.solver, status=row.status,
                   objective=row.objective, families=row.families, placed=row.placed,
                   versions=dict(row.versions), snapshot_kept=row.snapshot is not None)


def _detail(conn: Connection, run_id: str) -> RunDetail:
    row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
    if row is None:
        known = list(conn.execute(select(runs.c.id).order_by(runs.c.id.desc()).limit(5))
                     .scalars())
        raise NotFoundError(msg("error_no_run_latest", run=run_id, latest=", ".join(known))
                            if known else msg("error_no_run", run=run_id))
    recs = [RecommendationInfo(run_id=r.run_id, family_id=r.family_id, destination=r.destination,
                               persons=r.persons, status=r.status,
                               explanation=shown(r.explanation, later=True))
            for r in conn.execute(select(recommendations).where(
                recommendations.c.run_id == run_id).order_by(recommendations.c.family_id))]
    versions = dict(row.versions)
    model = {"id": versions.get("model"), "sha256": versions.get("model_sha256"),
             "name": versions.get("model_name")}
    return RunDetail(run=_info(row), recommendations=recs, model=model,
                     destinations=list(row.ledger or []))


def show_run(ctx: Context, *, run_id: str) -> RunDetail:
    """A run with its recommendations (and their current status)."""
    with read_transaction(ctx.engine) as conn:
        return _detail(conn, run_id)


def list_runs(ctx: Context) -> list[RunInfo]:
    """Every run, newest first."""
    with read_transaction(ctx.engine) as conn:
        return [_info(r) for r in conn.execute(select(runs).order_by(runs.c.id.desc()))]


def replay_run(ctx: Context, *, run_id: str) -> ReplayResult:
    """Re-solve the run's stored snapshot and compare the plan with the stored one."""
    from fairshare.matching import solve

    with read_transaction(ctx.engine) as conn:
        row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
        if row is None:
            raise NotFoundError(msg("error_no_run", run=run_id))
        stored = {r.family_id: r.destination for r in conn.execute(
            select(recommendations.c.family_id, recommendations.c.destination).where(
                recommendations.c.run_id == run_id))}
        doc = load_snapshot(conn, run_id)
    if row.solver == "manual":
        raise FairshareError(msg("error_run_manual", run=run_id))
    if doc is None:
        raise FairshareError(msg("error_run_purged", run=run_id))
    stored_problem = problem_from_json(doc["problem"])
    same_input = input_hash_matches(doc, row.input_sha256)
    problem, rescored = _rescore(ctx, row, doc, stored_problem)
    result = solve(_priced(problem, doc), _load_policy_text(doc["policy"]["text"]),
                   doc["solver"], explain=False, report=False, with_diagnosis=False)
    replayed = plan_hash(result.assignment)
    stay = msg("replay_stay")
    diffs = rescored + [msg("replay_differs", family=fid, stored=stored.get(fid) or stay,
                            replay=dest or stay)
                        for fid, dest in sorted(result.assignment.items())
                        if stored.get(fid) != dest]
    if not same_input:
        diffs.insert(0, msg("replay_snapshot_changed"))
    identical = replayed == row.plan_sha256 and same_input and not diffs
    return ReplayResult(run_id, identical, row.input_sha256, row.plan_sha256, replayed, [*diffs])


def _rescore(ctx: Context, row: Row[Any], doc: dict[str, Any],
             problem: Problem) -> tuple[Problem, list[Message]]:
    """Score the snapshot again with the run's own model (refused if its bytes changed) and
    list the families whose scores differ from the stored ones."""
    model_doc = doc.get("model")
    if not model_doc:  # runs made before models were registry entities: stored scores
        return problem, []
    bare = dataclasses.replace(problem, scores={})
    if model_doc["id"] == DEFAULT_ID:
        scored, now = score_problem(bare, None, None, [])
        notes = ([] if now["sha256"] == model_doc["sha256"] else
                 [msg("replay_scorer_changed", recorded=model_doc["sha256"], now=now["sha256"])])
    else:
        with read_transaction(ctx.engine) as conn:
            stored = get_model(conn, model_doc["id"])
        loaded = load_checked(stored, sha256=model_doc["sha256"], run_id=row.id)
        scored, _ = score_problem(bare, stored, loaded, list(doc.get("model_input") or []))
        notes = []
    changed = sorted(fid for fid, s in scored.scores.items()
                     if any(abs(v - problem.scores.get(fid, {}).get(d, -1.0)) > 1e-6
                            for d, v in s.items()))
    if changed:
        first = ", ".join(changed[:5])
        notes.append(msg("replay_rescored_one", first=first) if len(changed) == 1 else
                     msg("replay_rescored", n=Num(len(changed)), first=first))
    return scored, notes
