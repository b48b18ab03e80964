"""Settings of the web application, read once by :func:`fairshare.api.create_app`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE = "sqlite:///" + str(Path("~/.local/share/fairshare/fairshare.db").expanduser())


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know about its environment.

    Attributes:
        database_url: SQLAlchemy URL of the store (``FAIRSHARE_DATABASE_URL``).
        secure_cookies: send cookies with the ``Secure`` flag (HTTPS). ``serve`` turns it off
            only when it listens on a loopback address.
        session_minutes: idle lifetime of a browser session.
        small_cell_threshold: aggregates below this count are shown as suppressed (< N) to
            analysts.
        demo: the app was started with ``--demo`` (a banner says so on every page).
        max_upload_bytes: largest claimants file accepted by an upload.
        login_attempts: failed logins per username allowed within ``login_window_seconds``.
    """

    database_url: str = DEFAULT_DATABASE
    secure_cookies: bool = True
    session_minutes: int = 60
    small_cell_threshold: int = 10
    demo: bool = False
    max_upload_bytes: int = 50 * 1024 * 1024
    login_attempts: int = 5
    login_window_seconds: int = 300
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from ``FAIRSHARE_*`` environment variables, then ``overrides``."""
        values: dict[str, object] = {
            "database_url": os.environ.get("FAIRSHARE_DATABASE_URL", DEFAULT_DATABASE),
        }
        if "FAIRSHARE_SMALL_CELL" in os.environ:
            values["small_cell_threshold"] = int(os.environ["FAIRSHARE_SMALL_CELL"])
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
