"""The web application: REST API under /api/v1 and the server-rendered pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from fairshare import __version__
from fairshare.api import errors
from fairshare.api.auth import EngineDep, Principal, api_principal
from fairshare.api.bodies import JsonBodyGuard
from fairshare.api.database import prepare_database
from fairshare.api.schemas import ErrorResponse, Health, Me
from fairshare.api.security import (
    AuthenticationGate,
    BodyLimitMiddleware,
    HostAllowListMiddleware,
    IdempotencyMiddleware,
    SecurityHeadersMiddleware,
)
from fairshare.api.settings import MULTIPART_SLACK, Settings

__all__ = ["create_app", "prepare_database"]

API_PREFIX = "/api/v1"
STATIC_DIR = Path(__file__).resolve().parents[1] / "web" / "static"

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorResponse} for s in (400, 401, 403, 404, 409, 422)}


def _health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health", response_model=Health, summary="Liveness (no authentication)")
    def health(engine: EngineDep) -> dict[str, str]:
        """Answers 200 while the process runs; says whether the database answers."""
        from sqlalchemy import text

        database = "ok"
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            database = "unavailable"
        return {"status": "ok", "version": __version__, "database": database}

    return router


def _api_router() -> APIRouter:
    from fairshare.api.routes import reference

    router = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)

    @router.get("/me", response_model=Me, tags=["auth"], summary="Who am I")
    def me(principal: Principal = Depends(api_principal)) -> dict[str, object]:
        """The authenticated caller's name, role and jurisdiction."""
        u = principal.user
        return {"username": u.username, "role": u.role.value, "jurisdiction": u.jurisdiction,
                "via": principal.via}

    router.include_router(reference.router)
    for name in ("registry", "runs", "jobs", "audit", "pledges"):
        module = _optional_routes(name)
        if module is not None:
            router.include_router(module.router)
    return router


def _optional_routes(name: str) -> Any:
    import importlib

    try:
        return importlib.import_module(f"fairshare.api.routes.{name}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("fairshare.api.routes"):
            return None
        raise


def _docs_router(app: FastAPI) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/openapi.json")
    def openapi(_: Principal = Depends(api_principal)) -> JSONResponse:
        return JSONResponse(app.openapi())

    @router.get("/docs", response_class=HTMLResponse)
    def docs(_: Principal = Depends(api_principal)) -> HTMLResponse:
        from fairshare.web.apidocs import render_reference

        return HTMLResponse(render_reference(app.openapi()))

    return router


def describe_job_error(exc: Any) -> dict[str, Any]:
    """A refused job's problem body, as the synchronous call would answer it (module level:
    the job process receives it)."""
    from fairshare.service.jobs import job_problem

    status, code = errors.classify(exc)
    return job_problem(status, code, exc.source, exc.raw_details)


def _job_runner(ctx: Any) -> Any:
    """The server's jobs (one run at a time on SQLite, two on PostgreSQL, each in a process of
    its own); jobs a stopped server left queued or running are marked failed first."""
    from sqlalchemy.exc import DBAPIError

    from fairshare.service.jobs import JobRunner, fail_interrupted

    try:
        fail_interrupted(ctx)
    except DBAPIError:  # a database not migrated yet: its routes say so when used
        errors.log.warning("jobs: the database has no jobs table yet (run `fairshare init`)")
    workers = 1 if ctx.engine.dialect.name == "sqlite" else 2
    return JobRunner(ctx, max_workers=workers, describe=describe_job_error)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At a server's stop, its running jobs are stopped and marked failed (interrupted); an app
    started again (a test client opens a lifespan per session) gets a new job runner."""
    if app.state.jobs.closed:
        app.state.jobs = _job_runner(app.state.ctx)
    yield
    app.state.jobs.shutdown(wait=False)


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new application for ``settings`` (default: from the environment).

    The database must already be initialised (``fairshare init``, or :func:`prepare_database`).
    """
    from fairshare.store.engine import make_engine

    settings = settings or Settings.from_env()
    if settings.behind_tls and not settings.secure_cookies:  # HTTPS at the proxy: Secure + HSTS
        from dataclasses import replace

        settings = replace(settings, secure_cookies=True)
    engine = make_engine(settings.database_url)
    app = FastAPI(title="fairshare", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=None, lifespan=_lifespan, description=(
                      "Fair, consent-based distribution of asylum claimants across a federation. "
                      "Every route but /health needs a Bearer token (`fairshare tokens create`) "
                      "or a browser session. Writes accept an Idempotency-Key header."))
    from fairshare.service import Context

    app.state.settings = settings
    app.state.engine = engine
    app.state.ctx = Context(settings=settings.registry(), engine=engine)
    app.state.jobs = _job_runner(app.state.ctx)
    errors.install(app)
    app.include_router(_health_router())
    app.include_router(_api_router())
    app.include_router(_docs_router(app))
    from fairshare.web import pages, pages_matching, pages_pledges, pages_registry

    for module in (pages, pages_registry, pages_matching, pages_pledges):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # The last added runs first: headers on every answer, then the Host check, then the body
    # limits, then authentication, then Idempotency-Key replays, then the JSON body guard.
    app.add_middleware(JsonBodyGuard)  # innermost: after authentication and idempotency
    app.add_middleware(IdempotencyMiddleware, engine=engine)
    app.add_middleware(AuthenticationGate)
    app.add_middleware(BodyLimitMiddleware, upload_bytes=settings.max_upload_bytes,
                       other_bytes=settings.max_body_bytes, slack=MULTIPART_SLACK)
    app.add_middleware(HostAllowListMiddleware, hosts=settings.hosts())
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.secure_cookies)
    return app
