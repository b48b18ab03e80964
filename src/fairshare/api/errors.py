"""Every error becomes a clear 4xx JSON answer ({"error": {status, code, message, details}}).

User-caused errors (:class:`fairshare.errors.FairshareError`) map to 4xx by kind; validation
errors list the offending fields without echoing the submitted values (they may be personal
data). Pages get the same message in an HTML page. An unexpected exception is a 500 with no
detail (logged server-side): the tests and the fuzzer assert it never happens.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from fairshare import errors as fe
from fairshare import i18n

log = logging.getLogger("fairshare.api")

STATUS_BY_ERROR: tuple[tuple[type[fe.FairshareError], int, str], ...] = (
    (fe.NotFoundError, 404, "not_found"),
    (fe.ConflictError, 409, "conflict"),
    (fe.PermissionDeniedError, 403, "forbidden"),
    (fe.StoreError, 409, "store_refused"),
    (fe.InputError, 422, "invalid_input"),
    (fe.KeyDefinitionError, 422, "invalid_key"),
    (fe.ApportionmentError, 422, "invalid_apportionment"),
    (fe.MatchingError, 422, "invalid_matching"),
    (fe.DataError, 422, "invalid_data"),
)

CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
         415: "unsupported_media_type", 422: "invalid_input", 429: "too_many_requests",
         503: "database_busy"}


def classify(exc: fe.FairshareError) -> tuple[int, str]:
    """HTTP status and error code of a fairshare error."""
    for cls, status, code in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status, code
    return 400, "bad_request"


def wants_html(request: Request) -> bool:
    """Whether the request came from a page (not the API)."""
    path = request.url.path
    return not (path.startswith("/api/") or path in ("/openapi.json", "/health"))


def error_json(status: int, code: str, message: str, details: list[Any] | None = None,
               headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON error answer."""
    return JSONResponse(status_code=status, headers=headers, content={"error": {
        "status": status, "code": code, "message": message, "details": details or []}})


def reader_language(request: Request) -> str:
    """The language of the error's reader: the page's (query, cookie, Accept-Language), or for the
    API its Accept-Language (English by default)."""
    from fairshare.web import i18n as web_i18n
    from fairshare.web.render import language

    if wants_html(request):
        return language(request)
    return web_i18n.from_accept_language(request.headers.get("accept-language")) or i18n.DEFAULT


def _detail_text(detail: Any, lang: str) -> str:
    """A detail line in ``lang``: a validation problem as "location: problem", else the text."""
    if isinstance(detail, dict) and "location" in detail:
        where = ".".join(p for p in detail["location"] if p not in ("body", "query", "path"))
        return i18n.gettext("error_detail", lang, location=where,
                            problem=str(detail.get("problem", "")))
    return i18n.render(detail, lang)


def _render(request: Request, status: int, code: str, message: fe.Text, details: list[Any],
            headers: dict[str, str] | None = None) -> Response:
    lang = reader_language(request)
    text = i18n.render(message, lang)
    if wants_html(request):
        if status == 401:
            return RedirectResponse(url="/login", status_code=303)
        from fairshare.web.pages import error_page

        return error_page(request, status, text, [_detail_text(d, lang) for d in details],
                          role_denied=message == ROLE_DENIED)
    plain = [d if isinstance(d, dict) else i18n.render(d, lang) for d in details]
    return error_json(status, code, text, plain, headers)


ROLE_DENIED = i18n.msg("error_role_denied")


def http_message(status: int, detail: Any) -> fe.Text:
    """The message of an HTTP error: a page's own detail, else the catalogue's for the status."""
    import http

    if isinstance(detail, i18n.Message):
        return detail
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    if not detail or detail == phrase:
        msgid = f"http_{status}"
        return i18n.msg(msgid) if i18n.gettext(msgid, i18n.DEFAULT) != msgid else phrase or str(status)
    return str(detail)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts on this path (Starlette lists only the first route's)."""
    from starlette.routing import Route

    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.methods and route.path_regex.match(request.url.path):
            methods |= set(route.methods)
    return sorted(methods)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(fe.FairshareError)
    async def fairshare_error(request: Request, exc: fe.FairshareError) -> Response:
        status, code = classify(exc)
        return _render(request, status, code, exc.source, list(exc.raw_details))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        lang = reader_language(request)
        details = [{"location": [str(p) for p in e.get("loc", ())],
                    "problem": i18n.render(fe.validation_problem(e), lang), "type": e.get("type", "")}
                   for e in exc.errors()]
        return _render(request, 422, "invalid_input", i18n.msg("error_invalid_request"), details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = CODES.get(exc.status_code, "error")
        message = http_message(exc.status_code, exc.detail)
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return _render(request, exc.status_code, code, message, [], headers)

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> Response:
        # Handled here (not as a 500, which the server would log with its traceback): the
        # statement and its parameters may carry personal data, so neither is logged or shown.
        route = getattr(request.scope.get("route"), "path", "?")
        log.warning("database refused a write (%s) on %s %s", type(exc.orig).__name__,
                    request.method, route)
        if isinstance(exc, IntegrityError):
            return _render(request, 409, "conflict", i18n.msg("error_db_conflict"), [])
        return _render(request, 503, "database_busy", i18n.msg("error_db_busy"), [],
                       {"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # The route's template, not the path: paths carry pseudonymous ids (no personal data
        # in logs).
        route = getattr(request.scope.get("route"), "path", "?")
        log.error("unexpected %s on %s %s", type(exc).__name__, request.method, route)
        return _render(request, 500, "internal_error", i18n.msg("error_internal"), [])
