"""Use case: open a recommendation's explanation, recorded in the audit chain.

A person decides a recommendation only after opening its explanation (the rule the CLI, the
API and the pages share: :func:`fairshare.service.decide` checks it). Opening is recorded once
per person, run and family as an ``explanation.open`` audit entry, whatever the shell.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, select

from fairshare.errors import InputError, NotFoundError
from fairshare.i18n import msg
from fairshare.service.access import check_family
from fairshare.service.common import record
from fairshare.service.context import Context
from fairshare.service.models import RecommendationInfo
from fairshare.service.roles import Action
from fairshare.store import audit
from fairshare.store.engine import write_transaction
from fairshare.store.tables import recommendations

ACTION = "explanation.open"


class Explanation(Mapping[str, Any]):
    """A stored explanation that is worded (:func:`fairshare.matching.wording.worded`) when it
    is first read: a run's 20,000 recommendations carry theirs so, and only those shown are
    worded. Reads as the worded dict (equal to it, ``dict(e)`` copies it)."""

    __slots__ = ("_full", "_stored")

    def __init__(self, stored: dict[str, Any]) -> None:
        self._stored: dict[str, Any] | None = stored
        self._full: dict[str, Any] | None = None

    def _words(self) -> dict[str, Any]:
        if self._full is None:
            from fairshare.matching.wording import worded

            assert self._stored is not None  # nosec B101 # type narrowing
            self._full = worded(self._stored) or {}
            self._stored = None
        return self._full

    def __getitem__(self, key: str) -> Any:
        return self._words()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._words())

    def __len__(self) -> int:
        return len(self._words())

    def __repr__(self) -> str:
        return repr(self._words())


def shown(stored: dict[str, Any] | None, *, later: bool = False
          ) -> dict[str, Any] | Mapping[str, Any] | None:
    """A recommendation's stored explanation as shown: with its words, now or (``later``) when
    first read (:class:`Explanation`). Runs store the facts only; older runs and manual
    placements stored the words too (returned as they are)."""
    if stored is None or "en" in stored:
        return stored
    if later:
        return Explanation(stored)
    from fairshare.matching.wording import worded

    return worded(stored)


def explanation_opened(conn: Connection, *, run_id: str, family_id: str, actor: str) -> bool:
    """Whether ``actor`` opened the explanation of ``family_id`` in ``run_id``."""
    return any(e.actor == actor and e.details.get("run") == run_id
               for e in audit.list_entries(conn, entity_type="family", entity_id=family_id,
                                           action=ACTION))


def load_recommendation(conn: Connection, *, run_id: str, family_id: str,
                        scope: str | None = None) -> RecommendationInfo:
    """One recommendation with its explanation, if ``scope`` may see it."""
    rec = recommendations.c
    row = conn.execute(select(rec.run_id, rec.family_id, rec.destination, rec.persons,
                              rec.status, rec.explanation).where(
        rec.run_id == run_id, rec.family_id == family_id)).first()
    if row is None:
        raise NotFoundError(msg("error_no_recommendation", run=run_id, family=family_id))
    check_family(conn, family_id, scope, Action.read_recommendations)
    return RecommendationInfo(run_id=row.run_id, family_id=row.family_id,
                              destination=row.destination, persons=row.persons,
                              status=row.status, explanation=shown(row.explanation))


def open_explanation(ctx: Context, *, run_id: str, family_id: str, actor: str,
                     scope: str | None = None) -> RecommendationInfo:
    """The recommendation with its explanation; records (once) that ``actor`` opened it.

    Raises:
        InputError: no actor given.
        NotFoundError: no such recommendation, or not visible within ``scope``.
    """
    who = actor.strip()
    if not who:
        raise InputError(msg("error_explanation_by"))
    with write_transaction(ctx.engine) as conn:
        found = load_recommendation(conn, run_id=run_id, family_id=family_id, scope=scope)
        if not explanation_opened(conn, run_id=run_id, family_id=family_id, actor=who):
            record(conn, at=ctx.now(), actor=who, action=ACTION, entity_type="family",
                   entity_id=family_id, details={"run": run_id})
    return found
