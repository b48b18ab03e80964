"""Arrival streams from the registry, for ``fairshare simulate --from-registry``.

A registry stream is the pool ``run create`` would match (consenting families still waiting
under an agreement in force, active capacity offers minus what transfers used, scores from the
chosen or latest model, else the default scorer), each family dated by its first member's
``arrived_on``. The simulation then replays those arrivals batch by batch and compares each
online policy with the hindsight optimum on the registry's own families. Nothing is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select

from fairshare.errors import InputError
from fairshare.i18n import Num, msg
from fairshare.service.context import Context
from fairshare.service.scoring_models import choose_model, load_checked, score_problem
from fairshare.store.engine import read_transaction
from fairshare.store.tables import claimants

if TYPE_CHECKING:
    from fairshare.arrivals import Stream


def first_arrivals(conn: Connection) -> dict[str, dt.date]:
    """Family id -> the earliest ``arrived_on`` of its members (families with one)."""
    return {str(f): d for f, d in conn.execute(
        select(claimants.c.family_id, func.min(claimants.c.arrived_on))
        .where(claimants.c.arrived_on.is_not(None), claimants.c.anonymised_at.is_(None))
        .group_by(claimants.c.family_id)).all()}


def registry_stream(ctx: Context, *, key: str = "canada-population", model: str | None = None,
                    since: dt.date | None = None, until: dt.date | None = None) -> Stream:
    """The registry's waiting families as a stream, dated by their arrival.

    Families without an arrival date, or outside ``since``..``until`` (inclusive), are left
    out. Capacity is each active offer's places left for the whole horizon (a simulation over
    time has no per-batch housing bands or minimum intakes: they are dropped).

    Raises:
        InputError: ``since`` after ``until``, no active capacity offer, or no waiting family
            with an arrival date in the window (says what to import).
    """
    from fairshare.arrivals import Stream, check_stream
    from fairshare.service.runs import build_problem

    if since is not None and until is not None and since > until:
        raise InputError(msg("stream_since_after_until", since=str(since), until=str(until)))
    with read_transaction(ctx.engine) as conn:
        first = first_arrivals(conn)
        chosen = choose_model(conn, model)
        loaded = load_checked(chosen) if chosen is not None else None
        bare, attributes = build_problem(conn, ctx, key=key, name="registry")
    if not bare.destinations:
        raise InputError(msg("stream_no_capacity"))
    keep = [f for f in bare.families if f.id in first
            and (since is None or first[f.id] >= since) and (until is None or first[f.id] <= until)]
    if not keep:
        undated = sum(1 for f in bare.families if f.id not in first)
        counts = {"waiting": Num(len(bare.families)), "undated": Num(undated)}
        if since or until:
            raise InputError(msg("stream_no_family_window",
                                 since=str(since) if since else msg("stream_window_start"),
                                 until=str(until) if until else msg("stream_window_today"),
                                 **counts))
        raise InputError(msg("stream_no_family", **counts))
    ids = {f.id for f in keep}
    dests = tuple(dataclasses.replace(d, min_intake=None, housing_units=None)
                  for d in bare.destinations)
    problem, _ = score_problem(dataclasses.replace(bare, families=tuple(keep), destinations=dests),
                               chosen, loaded, [a for a in attributes if a["family_id"] in ids])
    stream = Stream(problem=problem, arrived_on={f.id: first[f.id] for f in keep},
                    name="registry", meta={"source": "registry", "key": key})
    check_stream(stream)
    return stream
