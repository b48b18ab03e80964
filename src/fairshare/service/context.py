"""The context every service function receives: settings, engine and clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from fairshare.service.settings import Settings
from fairshare.store.engine import make_engine


def utc_now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Context:
    """What a use case needs. Build one per process with :func:`open_context` and reuse it.

    ``clock`` is injectable so retention and expiry are tested with a frozen time.
    """

    settings: Settings
    engine: Engine
    clock: Callable[[], dt.datetime] = field(default=utc_now)

    def now(self) -> dt.datetime:
        """The context's current time (UTC, aware)."""
        moment = self.clock()
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

    def today(self) -> dt.date:
        """The context's current date (UTC)."""
        return self.now().date()

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()


def open_context(settings: Settings | None = None, *,
                 clock: Callable[[], dt.datetime] | None = None) -> Context:
    """A context for ``settings`` (default: from the environment)."""
    s = settings or Settings.from_env()
    return Context(settings=s, engine=make_engine(s.database_url), clock=clock or utc_now)
