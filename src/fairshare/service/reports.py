"""A run's report (its plan against the baselines and per destination against capacity and
fair-share targets), rebuilt from the run's stored snapshot with the matching engine's report.

Runs are immutable, so reports are memoised per run and plan hash.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import select

from fairshare.errors import NotFoundError
from fairshare.i18n import msg
from fairshare.service import Context

_CACHE: dict[tuple[str, str, str], dict[str, Any] | None] = {}
_LOCK = threading.Lock()
MAX_CACHED = 16


def run_report(ctx: Context, run_id: str, *, compute: bool = True) -> dict[str, Any] | None:
    """The report of ``run_id``; None when its snapshot was purged under retention, or (with
    ``compute=False``) when it is not in the cache yet. Rebuilding it costs about as much as the
    baselines themselves (seconds for tens of thousands of families)."""
    from fairshare.service.snapshot import load_snapshot
    from fairshare.store.engine import read_transaction
    from fairshare.store.tables import recommendations, runs

    with read_transaction(ctx.engine) as conn:
        head = conn.execute(select(runs.c.plan_sha256, runs.c.snapshot.is_not(None))
                            .where(runs.c.id == run_id)).first()
        if head is None:
            raise NotFoundError(msg("error_no_run", run=run_id))
        key = (ctx.engine.url.render_as_string(hide_password=True), run_id, head[0])
        with _LOCK:
            if key in _CACHE:
                return _CACHE[key]
        if not head[1] or not compute:
            return None
        doc = load_snapshot(conn, run_id)
        assert doc is not None  # nosec B101 # checked above, in the same transaction
        plan = dict(conn.execute(select(recommendations.c.family_id, recommendations.c.destination)
                                 .where(recommendations.c.run_id == run_id)).all())
    report = _build(doc, plan)
    with _LOCK:
        if len(_CACHE) >= MAX_CACHED:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = report
    return report


def _build(doc: dict[str, Any], plan: dict[str, str | None]) -> dict[str, Any]:
    from fairshare.matching.model import build_pairs
    from fairshare.matching.report import build_report
    from fairshare.service.runs import _load_policy_text
    from fairshare.service.snapshot import problem_from_json

    problem = problem_from_json(doc["problem"]).sorted()
    pairs = build_pairs(problem)
    index = {code: j for j, code in enumerate(pairs.dest_codes)}
    choice = [index.get(plan.get(fid) or "", -1) for fid in pairs.family_ids]
    return build_report(problem, pairs, _load_policy_text(doc["policy"]["text"]), choice)
