"""Settings of the web application, read once by :func:`fairshare.api.create_app`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fairshare.service import Settings as RegistrySettings

API_ACTOR = "api"


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know about its environment.

    Attributes:
        database_url: SQLAlchemy URL of the registry (``FAIRSHARE_DATABASE_URL``; default the
            registry's, ``sqlite:///<FAIRSHARE_HOME>/fairshare.sqlite``).
        home: the registry's data folder (``FAIRSHARE_HOME``, default ``./var``).
        keys_dir: pseudonymisation keys, outside the database (``FAIRSHARE_KEYS_DIR``).
        secure_cookies: send cookies with the ``Secure`` flag (HTTPS) and HSTS. ``serve`` turns
            it off only when it listens on a loopback address.
        session_minutes: idle lifetime of a browser session.
        small_cell_threshold: counts below this are shown as ``<N`` to analysts.
        demo: the app was started with ``--demo`` (a banner says so on every page).
        max_upload_bytes: largest claimants file accepted by an upload.
        login_attempts: failed logins per username allowed within ``login_window_seconds``.
        recommendations: the switch for recommendations (``FAIRSHARE_RECOMMENDATIONS=off``
            turns them off; manual assignment keeps working).
    """

    database_url: str
    home: Path
    keys_dir: Path
    secure_cookies: bool = True
    session_minutes: int = 60
    small_cell_threshold: int = 10
    demo: bool = False
    max_upload_bytes: int = 50 * 1024 * 1024
    login_attempts: int = 5
    login_window_seconds: int = 300
    recommendations: bool = True

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from the registry's ``FAIRSHARE_*`` environment variables, then ``overrides``."""
        import os

        from fairshare.service import Settings as RegistrySettings

        reg = RegistrySettings.from_env()
        base = cls(database_url=reg.database_url, home=reg.home, keys_dir=reg.keys_dir,
                   recommendations=reg.recommendations)
        if "FAIRSHARE_SMALL_CELL" in os.environ:
            base = replace(base, small_cell_threshold=int(os.environ["FAIRSHARE_SMALL_CELL"]))
        return replace(base, **overrides)

    @classmethod
    def for_home(cls, home: Path, **overrides: Any) -> Settings:
        """Settings rooted at ``home`` (tests, the demo): database and keys inside it."""
        base = cls(database_url=f"sqlite:///{home / 'fairshare.sqlite'}", home=home,
                   keys_dir=home / "keys")
        return replace(base, **overrides)

    def registry(self) -> RegistrySettings:
        """The registry's settings for the service layer (actor: each request names its own)."""
        from fairshare.service import Settings as RegistrySettings

        return RegistrySettings(home=self.home, database_url=self.database_url,
                                keys_dir=self.keys_dir, actor=API_ACTOR,
                                recommendations=self.recommendations)
