"""Destination prices from the registry's recent arrivals, for online runs.

``update_prices`` builds the matching problem the way ``run create`` does (waiting, consenting
families; active offers; scores from the chosen or latest model, else the default scorer),
samples futures from the families that arrived within the horizon (their ``arrived_on``), and
prices each destination's capacity with the arrivals engine's dual-price LP
(:func:`fairshare.arrivals.policies.sampled_prices`, the ``dual-prices`` policy's own code).
The prices are stored with the SHA-256 of their inputs and audited (with the row's digest, so
``audit verify`` covers it). ``run create --online`` subtracts the latest prices from the
scores: a place now costs its opportunity cost for the families expected later.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, insert, select

from fairshare.errors import InputError, NotFoundError
from fairshare.i18n import Message, Num, msg
from fairshare.service.common import as_utc, record, row_refs
from fairshare.service.context import Context
from fairshare.service.models import _Base
from fairshare.service.scoring_models import choose_model, load_checked, score_problem
from fairshare.service.snapshot import problem_to_json, sha256_json
from fairshare.service.streams import first_arrivals
from fairshare.store.engine import read_transaction, write_transaction
from fairshare.store.tables import destination_prices

if TYPE_CHECKING:
    from fairshare.matching import Problem

DEFAULT_HORIZON_DAYS = 183
DEFAULT_SAMPLES = 5


@dataclass(frozen=True)
class PricesInfo(_Base):
    """One stored set of destination prices (per person, in score units)."""

    id: int
    computed_at: dt.datetime
    horizon_days: int
    samples: int
    seed: int
    inputs_sha256: str
    prices: dict[str, float]
    model_id: str
    created_by: str
    recent_arrivals: int | None = None


def _info(row: Row[Any], recent: int | None = None) -> PricesInfo:
    return PricesInfo(id=row.id, computed_at=as_utc(row.computed_at),
                      horizon_days=row.horizon_days, samples=row.samples, seed=row.seed,
                      inputs_sha256=row.inputs_sha256,
                      prices={str(k): float(v) for k, v in dict(row.prices).items()},
                      model_id=row.model_id, created_by=row.created_by, recent_arrivals=recent)


def parse_horizon(text: str) -> int:
    """Days from ``183d`` or ``183``.

    Raises:
        InputError: not a positive whole number of days.
    """
    raw = text.strip().lower().removesuffix("d")
    if not raw.lstrip("-").isdigit() or int(raw) < 1 or int(raw) > 3660:
        raise InputError(msg("error_horizon_text", text=text))
    return int(raw)


def update_prices(ctx: Context, *, horizon_days: int = DEFAULT_HORIZON_DAYS,
                  samples: int = DEFAULT_SAMPLES, seed: int = 0, key: str = "canada-population",
                  model: str | None = None, actor: str | None = None) -> PricesInfo:
    """Compute destination prices from the arrivals of the last ``horizon_days`` days and store
    them with their audit entry, in one transaction.

    The arrivals expected over the next ``horizon_days`` are taken at the recent rate (as
    many as arrived in the last ``horizon_days``); each of ``samples`` futures resamples them
    from the recent arrivals still waiting (seeded by ``seed``).

    Raises:
        InputError: a horizon or sample count out of range, no capacity, or no family that
            arrived within the horizon (nothing is stored).
    """
    import numpy as np

    from fairshare.arrivals import Stream, make_options
    from fairshare.arrivals.policies import sampled_prices
    from fairshare.arrivals.state import stream_arrays
    from fairshare.service.runs import build_problem

    if horizon_days < 1:
        raise InputError(msg("error_horizon_min", got=horizon_days))
    if samples < 1:
        raise InputError(msg("error_samples_min", got=samples))
    who = actor or ctx.settings.actor
    today = ctx.today()
    since = today - dt.timedelta(days=horizon_days)
    with write_transaction(ctx.engine) as conn:
        first = first_arrivals(conn)  # a family arrives with its first member
        recent = sum(1 for d in first.values() if since < d <= today)
        chosen = choose_model(conn, model)
        loaded = load_checked(chosen) if chosen is not None else None
        bare, attributes = build_problem(conn, ctx, key=key)
        arrived = {f.id: first[f.id] for f in bare.families if f.id in first}
        if not bare.destinations:
            raise InputError(msg("error_prices_no_capacity"))
        problem, model_doc = score_problem(bare, chosen, loaded, attributes)
        on = {f.id: arrived.get(f.id) or today for f in problem.families}
        # in arrival order, so the sampled futures do not depend on the pseudonyms
        pool_ids = sorted((f for f, d in on.items() if since < d <= today and arrived.get(f)),
                          key=lambda f: (on[f], f))
        if not recent or not pool_ids:
            raise InputError(msg("error_prices_no_recent", days=horizon_days,
                                 start=since + dt.timedelta(days=1), end=today))
        options = make_options({"samples": samples, "horizon_days": horizon_days})
        arrays = stream_arrays(Stream(problem=problem, arrived_on=on, name="registry"), "day")
        index = {fid: i for i, fid in enumerate(arrays.family_ids)}
        past = np.asarray([index[f] for f in pool_ids], dtype=np.int64)
        current = np.arange(len(arrays.family_ids), dtype=np.int64)
        price = sampled_prices(arrays, current, past, float(recent), arrays.capacity,
                               options=options, rng=np.random.default_rng(seed))
        prices = {c: round(float(p), 6) for c, p in zip(arrays.codes, price, strict=True)}
        inputs = {"problem": problem_to_json(problem),
                  "arrived_on": {f: d.isoformat() for f, d in sorted(on.items())},
                  "recent_arrivals": recent, "horizon_days": horizon_days,
                  "samples": samples, "seed": seed, "key": key, "model": model_doc,
                  "options": options.as_dict()}
        inputs_sha = sha256_json(inputs)
        new_id = conn.execute(insert(destination_prices).values(
            computed_at=ctx.now(), horizon_days=horizon_days, samples=samples, seed=seed,
            inputs_sha256=inputs_sha, prices=prices, model_id=model_doc["id"],
            created_by=who).returning(destination_prices.c.id)).scalar_one()
        record(conn, at=ctx.now(), actor=who, action="prices.update",
               entity_type="destination_prices", entity_id=str(new_id),
               details={"inputs_sha256": inputs_sha, "horizon_days": horizon_days,
                        "samples": samples, "seed": seed, "model": model_doc["id"],
                        "recent_arrivals": recent, "prices": prices,
                        "row_digests": row_refs(conn, "destination_prices", [new_id])})
        row = conn.execute(select(destination_prices).where(
            destination_prices.c.id == new_id)).one()
        return _info(row, recent)


def latest_prices_row(conn: Connection) -> Row[Any]:
    """The latest stored prices.

    Raises:
        NotFoundError: none stored yet (says to run ``fairshare prices update``).
    """
    row = conn.execute(select(destination_prices).order_by(
        destination_prices.c.id.desc()).limit(1)).first()
    if row is None:
        raise NotFoundError(msg("error_no_prices"))
    return row


def latest_prices(ctx: Context) -> PricesInfo:
    """The latest stored prices (see :func:`latest_prices_row`)."""
    with read_transaction(ctx.engine) as conn:
        return _info(latest_prices_row(conn))


def stale_note(row: Row[Any], now: dt.datetime) -> Message | None:
    """A warning when prices are older than their horizon, else None."""
    age = now - as_utc(row.computed_at)
    if age <= dt.timedelta(days=row.horizon_days):
        return None
    computed = as_utc(row.computed_at).date().isoformat()
    return msg("note_prices_stale", id=int(row.id), date=computed, days=Num(age.days),
               horizon=Num(int(row.horizon_days)))


def apply_prices(problem: Problem, prices: dict[str, float]) -> Problem:
    """The problem with each destination's price per person subtracted from its scores (the
    dual-prices policy's value: score minus the price of the capacity used).

    Scores must stay in [0, 1], so ``score - price`` is mapped by ``(v + P) / (1 + P)`` with
    ``P`` the largest price: one positive scale and shift for every pair, which keeps the
    order of every difference between two plans placing the same persons.
    """
    top = max([0.0, *(float(p) for p in prices.values())])
    scores = {fid: {code: min(1.0, max(0.0, (float(v) - float(prices.get(code, 0.0)) + top)
                                       / (1.0 + top)))
                    for code, v in s.items()}
              for fid, s in problem.scores.items()}
    return dataclasses.replace(problem, scores=scores)
