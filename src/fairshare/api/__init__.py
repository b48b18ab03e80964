"""The REST API and the web dashboard: ``create_app(settings)`` builds the FastAPI application.

Authentication, roles and hardening are described in docs/api.md; the pages in docs/dashboard.md.
"""

from __future__ import annotations

from fairshare.api.app import create_app, prepare_database
from fairshare.api.settings import Settings

__all__ = ["Settings", "create_app", "prepare_database"]
