"""Settings of the registry, from the environment (no import-time globals)."""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Where the data live and who is acting.

    Attributes:
        home: the data folder (``FAIRSHARE_HOME``, default ``./var``).
        database_url: ``FAIRSHARE_DATABASE_URL``, default ``sqlite:///<home>/fairshare.sqlite``.
        keys_dir: pseudonymisation keys, outside the database (``FAIRSHARE_KEYS_DIR``, default
            ``<home>/keys``). Back this folder up separately from the database.
        actor: who acts when a command does not say (``FAIRSHARE_USER``, else the OS user).
        recommendations: the switch for recommendations (``FAIRSHARE_RECOMMENDATIONS=off``
            turns them off: runs are refused, manual assignment keeps working).
    """

    home: Path
    database_url: str
    keys_dir: Path
    actor: str
    recommendations: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``env`` (default: the process environment)."""
        source = os.environ if env is None else env
        # Absolute at once: a relative FAIRSHARE_HOME would otherwise mean another folder (and
        # another, empty database) for every working directory a command runs in.
        home = Path(source.get("FAIRSHARE_HOME") or "var").expanduser().resolve()
        url = source.get("FAIRSHARE_DATABASE_URL") or f"sqlite:///{home / 'fairshare.sqlite'}"
        keys = Path(source.get("FAIRSHARE_KEYS_DIR") or home / "keys").expanduser().resolve()
        actor = source.get("FAIRSHARE_USER") or _os_user()
        switch = (source.get("FAIRSHARE_RECOMMENDATIONS") or "on").strip().lower()
        return cls(home=home, database_url=url, keys_dir=keys, actor=actor,
                   recommendations=switch not in ("off", "0", "false", "no"))

    @classmethod
    def for_home(cls, home: Path, *, database_url: str | None = None, actor: str = "tester",
                 recommendations: bool = True) -> Settings:
        """Settings rooted at ``home`` (tests, demos)."""
        return cls(home=home, database_url=database_url or f"sqlite:///{home / 'fairshare.sqlite'}",
                   keys_dir=home / "keys", actor=actor, recommendations=recommendations)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - containers without a passwd entry
        return "unknown"
