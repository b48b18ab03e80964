"""Who is calling: API tokens (``Authorization: Bearer fs_...``) or a browser session cookie.

Dependencies return a :class:`Principal` or answer 401 (no or wrong credentials) / 403 (the role
may not do this). Writes made with a session cookie must carry the session's CSRF token (form
field ``csrf_token`` on pages, header ``X-CSRF-Token`` on the API).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from fairshare.api.security import SESSION_COOKIE
from fairshare.api.settings import Settings
from fairshare.i18n import Message, msg
from fairshare.service import Context, accounts
from fairshare.service.accounts import User
from fairshare.service.roles import Action, Role, allowed

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    user: User
    via: str  # "token" | "session"
    csrf_token: str | None = None
    session_secret: str | None = None

    @property
    def role(self) -> Role:
        """The caller's role."""
        return self.user.role

    @property
    def scope(self) -> str | None:
        """The jurisdiction an officer is limited to (None: no limit)."""
        return self.user.jurisdiction if self.user.role is Role.officer else None

    @property
    def aggregates_only(self) -> bool:
        """Whether the caller sees aggregates only, small cells suppressed (analysts)."""
        return self.user.role is Role.analyst

    @property
    def actor(self) -> str:
        """The name written in audit entries and decisions."""
        return self.user.username


def engine_of(request: Request) -> Engine:
    """The app's database engine."""
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(engine_of)]


def context_of(request: Request) -> Context:
    """The registry's service context (settings, engine, clock)."""
    ctx: Context = request.app.state.ctx
    return ctx


CtxDep = Annotated[Context, Depends(context_of)]


def settings_of(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


AUTH_REQUIRED = msg("auth_required")


def unauthorized(message: Message = AUTH_REQUIRED) -> HTTPException:
    """A 401 answer with the Bearer challenge (its message in the caller's language)."""
    return HTTPException(status_code=401, detail=message, headers={"WWW-Authenticate": "Bearer"})


def identify(request: Request) -> Principal | None:
    """The caller if its credentials are valid; None when absent; 401 when wrong."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    ctx = context_of(request)
    header = request.headers.get("authorization")
    principal: Principal | None = None
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise unauthorized(msg("auth_malformed_header"))
        user = accounts.identify_token(ctx, secret.strip())
        if user is None:
            raise unauthorized(msg("auth_bad_token"))
        principal = Principal(user=user, via="token")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        found = accounts.identify_session(ctx, cookie,
                                          idle_minutes=settings_of(request).session_minutes)
        if found is None:
            return None
        user, csrf = found
        principal = Principal(user=user, via="session", csrf_token=csrf, session_secret=cookie)
    request.state.principal = principal
    return principal


def check_csrf(principal: Principal, supplied: str | None) -> None:
    """403 unless ``supplied`` is the session's CSRF token (token callers need none)."""
    if principal.via != "session":
        return
    expected = principal.csrf_token or ""
    if not supplied or not hmac.compare_digest(supplied, expected):
        raise HTTPException(status_code=403, detail=msg("auth_csrf"))


BEARER = HTTPBearer(auto_error=False, scheme_name="bearerToken",
                    description="An API token from `fairshare tokens create` (browsers use the "
                                "session cookie and send X-CSRF-Token on writes).")


def api_principal(request: Request,
                  _: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
                  ) -> Principal:
    """The authenticated API caller (401 otherwise); session writes need X-CSRF-Token."""
    principal = identify(request)
    if principal is None:
        raise unauthorized()
    if request.method not in SAFE_METHODS:
        check_csrf(principal, request.headers.get(CSRF_HEADER))
    return principal


def require(action: Action) -> Callable[..., Principal]:
    """A dependency: the API caller, if their role may perform ``action`` (else 403)."""

    def dependency(principal: Annotated[Principal, Depends(api_principal)]) -> Principal:
        if not allowed(principal.role, action):
            raise HTTPException(status_code=403, detail=msg(
                "auth_role_may_not", role=principal.role.value, action=action.value.replace("_", " ")))
        return principal

    dependency.__name__ = f"require_{action.value}"
    return dependency


def permits(principal: Principal, action: Action) -> bool:
    """Whether ``principal`` may perform ``action`` (for showing or hiding page parts)."""
    return allowed(principal.role, action)
