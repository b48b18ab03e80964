"""The REST API and the web dashboard: ``create_app(settings)`` builds the FastAPI application.

Authentication, roles and hardening are described in docs/api.md; the pages in docs/dashboard.md.
Names are imported lazily so that the account commands of the CLI do not load FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fairshare.api.app import create_app
    from fairshare.api.database import prepare_database
    from fairshare.api.settings import Settings

__all__ = ["Settings", "create_app", "prepare_database"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from fairshare.api.app import create_app

        return create_app
    if name == "prepare_database":
        from fairshare.api.database import prepare_database

        return prepare_database
    if name == "Settings":
        from fairshare.api.settings import Settings

        return Settings
    raise AttributeError(name)
