"""HTTP hardening: security headers on every response and Idempotency-Key on API writes.

Both are plain ASGI middlewares so they also cover error responses and static files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from fairshare.i18n import Message as Words
from fairshare.i18n import Num, Text, msg, render

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")

SESSION_COOKIE = "fs_session"
IDEMPOTENCY_HEADER = b"idempotency-key"
MAX_IDEMPOTENCY_KEY = 200
IDEMPOTENCY_WAIT = 30.0  # seconds a duplicate waits for the first request's response


def body_digest(content_type: bytes, body: bytes) -> bytes:
    """What identifies a request body for Idempotency-Key: the body itself, or for a multipart
    form its parts (each part's headers and content, in order) without the boundary, which
    a client picks anew for every retry.
    """
    kind, _, params = content_type.partition(b";")
    boundary = b""
    for p in params.split(b";"):
        name, _, value = p.strip().partition(b"=")
        if name.lower() == b"boundary":
            boundary = value.strip().strip(b'"')
    if kind.strip().lower() != b"multipart/form-data" or not boundary:
        return hashlib.sha256(body).hexdigest().encode()
    digest = hashlib.sha256(b"multipart")
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        for piece in (head.strip(), content):
            digest.update(len(piece).to_bytes(8, "big") + piece)
    return digest.hexdigest().encode()


def security_headers(*, hsts: bool) -> list[tuple[bytes, bytes]]:
    """The headers added to every response."""
    headers = [
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),  # error pages lead back via the Referer
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"cross-origin-resource-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if hsts:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


class SecurityHeadersMiddleware:
    """Adds :func:`security_headers` (and ``Cache-Control: no-store`` outside /static)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = security_headers(hsts=hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                if not static and b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, wrapped)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for k, v in scope.get("headers", []):
        if k.lower() == name:
            return bytes(v)
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    from http.cookies import CookieError, SimpleCookie

    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


class IdempotencyMiddleware:
    """Replays the stored response of a POST under /api/ sent again with the same Idempotency-Key.

    The key is scoped to the caller's credential (token or session), so two callers never see
    each other's responses. The same key with a different request body answers 422. Only
    successful (2xx) responses are stored: after an error the client may fix the cause and retry
    with the same key.
    """

    def __init__(self, app: ASGIApp, *, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope.get("method") != "POST"
                or not str(scope.get("path", "")).startswith("/api/")):
            await self.app(scope, receive, send)
            return
        raw_key = _header(scope, IDEMPOTENCY_HEADER)
        credential = (_header(scope, b"authorization") or b"").decode("latin-1") or (
            _cookie(scope, SESSION_COOKIE) or "")
        if raw_key is None or not credential:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_IDEMPOTENCY_KEY:
            await _send_json(send, 400, {"error": {
                "status": 400, "code": "bad_idempotency_key",
                "message": f"Idempotency-Key must have 1 to {MAX_IDEMPOTENCY_KEY} characters."}})
            return
        body = await read_body(receive)
        if body is None:
            return
        scope_hash = hashlib.sha256(credential.encode()).hexdigest()
        request_hash = hashlib.sha256(b"\n".join([
            str(scope.get("path", "")).encode(), bytes(scope.get("query_string", b"")),
            body_digest(_header(scope, b"content-type") or b"", bytes(body))])).hexdigest()
        stored = await self._claim(scope_hash, key, request_hash)
        if stored is not None:
            if stored["request_sha256"] != request_hash:
                await _send_json(send, 422, {"error": {
                    "status": 422, "code": "idempotency_key_reused",
                    "message": "This Idempotency-Key was already used with a different request; "
                               "use a new key for a new request."}})
                return
            if not stored["status_code"]:
                await _send_json(send, 409, {"error": {
                    "status": 409, "code": "idempotency_key_in_flight",
                    "message": "A request with this Idempotency-Key is still running; retry "
                               "in a moment to get its response."}})
                return
            await send({"type": "http.response.start", "status": stored["status_code"],
                        "headers": [(b"content-type", stored["content_type"].encode()),
                                    (b"idempotent-replayed", b"true")]})
            await send({"type": "http.response.body", "body": stored["body"].encode()})
            return

        replay = replaying(body, receive)

        status = 0
        content_type = "application/json"
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for k, v in message.get("headers", []):
                    if k.lower() == b"content-type":
                        content_type = bytes(v).decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
            await send(message)

        try:
            await self.app(scope, replay, capture)
        finally:
            if 200 <= status < 300:
                await anyio.to_thread.run_sync(
                    self._store, scope_hash, key, request_hash, status, content_type,
                    b"".join(chunks).decode("utf-8", errors="replace"))
            else:
                await anyio.to_thread.run_sync(self._release, scope_hash, key)

    async def _claim(self, scope_hash: str, key: str, request_hash: str) -> dict[str, Any] | None:
        """Claim the key, or wait (up to :data:`IDEMPOTENCY_WAIT` s) for the concurrent
        request holding it to finish; its row (or None: claimed)."""
        from fairshare.service.accounts import claim_replay

        waited = 0.0
        while True:
            stored = await anyio.to_thread.run_sync(lambda: claim_replay(
                self.engine, scope_hash=scope_hash, key=key, request_hash=request_hash))
            if (stored is None or stored["status_code"] or waited >= IDEMPOTENCY_WAIT
                    or stored["request_sha256"] != request_hash):
                return stored
            await anyio.sleep(0.1)
            waited += 0.1

    def _release(self, scope_hash: str, key: str) -> None:
        from fairshare.service.accounts import release_replay

        release_replay(self.engine, scope_hash=scope_hash, key=key)

    def _lookup(self, scope_hash: str, key: str) -> dict[str, Any] | None:
        from fairshare.service.accounts import find_replay

        return find_replay(self.engine, scope_hash=scope_hash, key=key)

    def _store(self, scope_hash: str, key: str, request_hash: str, status: int,
               content_type: str, body: str) -> None:
        from fairshare.service.accounts import keep_replay

        keep_replay(self.engine, scope_hash=scope_hash, key=key, request_hash=request_hash,
                    status=status, content_type=content_type, body=body)


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body from its ASGI messages; None when the client went away."""
    body = bytearray()
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        more = bool(message.get("more_body", False))
    return bytes(body)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then the client's messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


API_PATHS = ("/api/", "/openapi.json", "/docs")


class AuthenticationGate:
    """Answers 401 to any API request without valid credentials before the body is parsed.

    Routes check roles themselves; this gate makes "no or wrong credentials" a 401 whatever
    the request body (a malformed upload would otherwise be a 400 first). The principal found is
    kept in the request state so the routes do not look it up again.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith(API_PATHS):
            await self.app(scope, receive, send)
            return
        from fastapi import HTTPException
        from starlette.requests import Request

        from fairshare.api.auth import AUTH_REQUIRED, identify
        from fairshare.api.errors import http_message, reader_language

        request = Request(scope)
        message: Text = AUTH_REQUIRED
        try:
            principal = await anyio.to_thread.run_sync(identify, request)
        except HTTPException as exc:
            principal, message = None, http_message(exc.status_code, exc.detail)
        if principal is None:
            body = json.dumps({"error": {"status": 401, "code": "unauthenticated",
                                         "message": render(message, reader_language(request)),
                                         "details": []}}).encode()
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"www-authenticate", b"Bearer")]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


class BodyTooLarge(StarletteHTTPException):
    """A request body went over its limit while being read (a 413 wherever it is raised: the
    routes' body parsing passes HTTP exceptions on)."""

    def __init__(self, message: Text) -> None:
        super().__init__(status_code=413, detail=message)  # type: ignore[arg-type]  # a Message: http_message renders it
        self.message = message


def _size(limit: int) -> Words:
    if limit >= 1024 * 1024:
        return msg("size_mb", n=Num(limit // (1024 * 1024)))
    return msg("size_kb", n=Num(limit // 1024))


class BodyLimitMiddleware:
    """Refuses a request body over its limit with 413, before it is buffered.

    Multipart uploads may carry a file of ``upload_bytes`` (plus ``slack`` for the framing and
    fields); every other body (JSON, forms) ``other_bytes``. A declared ``Content-Length``
    over the limit is refused at once; a body sent without one (chunked) is counted as it
    streams and refused when it passes the limit, so no more than the limit is ever held in
    memory.
    """

    def __init__(self, app: ASGIApp, *, upload_bytes: int, other_bytes: int,
                 slack: int = 0) -> None:
        self.app = app
        self.upload_bytes = upload_bytes
        self.other_bytes = other_bytes
        self.slack = slack

    def limit_for(self, scope: Scope) -> tuple[int, Words]:
        """The body limit of a request and the message refusing it."""
        kind = (_header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
        if kind == b"multipart/form-data":
            return self.upload_bytes + self.slack, msg("body_upload_too_large",
                                                       size=_size(self.upload_bytes))
        return self.other_bytes, msg("body_too_large", size=_size(self.other_bytes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, refusal = self.limit_for(scope)
        declared = _header(scope, b"content-length")
        if declared is not None:
            text = declared.decode("latin-1").strip()
            if not text.isdigit():
                await _problem(scope, send, 400, "bad_request", msg("body_bad_length"))
                return
            if int(text) > limit:
                await _problem(scope, send, 413, "too_large", refusal)
                return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(refusal)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:
            if not started:
                await _problem(scope, send, 413, "too_large", exc.message)


def host_of(scope: Scope) -> str | None:
    """The Host header's name, lowercase, without port (``[::1]:8000`` gives ``::1``).

    >>> host_of({"headers": [(b"host", b"Example.org:8443")]}), host_of({"headers": []})
    ('example.org', None)
    >>> host_of({"headers": [(b"host", b"[::1]:8000")]})
    '::1'
    """
    raw = _header(scope, b"host")
    if raw is None:
        return None
    host = raw.decode("latin-1").strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else None
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class HostAllowListMiddleware:
    """Answers 400 to a request whose Host header is not on the allow-list (so links, redirects
    and cookies are never built for a host an attacker chose)."""

    def __init__(self, app: ASGIApp, *, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = host_of(scope)
        if host is None or host not in self.hosts:
            await _problem(scope, send, 400, "bad_host", msg("bad_host", host=host or ""))
            return
        await self.app(scope, receive, send)


async def _problem(scope: Scope, send: Send, status: int, code: str, message: Text) -> None:
    """A problem answered by a middleware, in its reader's language."""
    from starlette.requests import Request

    from fairshare.api.errors import reader_language

    text = render(message, reader_language(Request(scope)))
    await _send_json(send, status, {"error": {"status": status, "code": code, "message": text,
                                              "details": []}})
