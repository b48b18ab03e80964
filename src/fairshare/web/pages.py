"""The dashboard's pages: login, overview (map and charts), keys; other pages in sibling modules.

Routes parse the request, call one read model or service function, and render a template.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fairshare.api.auth import Principal, check_csrf, context_of, identify, settings_of
from fairshare.api.security import SESSION_COOKIE
from fairshare.i18n import N_, decimal_separator
from fairshare.service import accounts, logins, readmodels
from fairshare.service.passwords import MAX_PASSWORD
from fairshare.web import svg
from fairshare.web.render import page, translator

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "fs_login_csrf"
YEAR_CHOICES = ("2019-2024", "2024", "2023", "2022", "2021", "2020", "2019", "2025")


def page_principal(request: Request) -> Principal:
    """The logged-in user of a page (a redirect to /login otherwise)."""
    principal = identify(request)
    if principal is None:
        raise HTTPException(status_code=401)
    return principal


PagePrincipal = Annotated[Principal, Depends(page_principal)]


def require_form_csrf(principal: Principal, token: str | None) -> None:
    """403 unless the form carries the session's CSRF token."""
    check_csrf(principal, token)


def deny_role() -> HTTPException:
    """The 403 a page raises when the caller's role may not use it (shown as "not for your role")."""
    from fairshare.api.errors import ROLE_DENIED

    return HTTPException(status_code=403, detail=ROLE_DENIED)


def came_from(request: Request) -> str:
    """Where the user was before the request that failed: the same-origin Referer, else the page
    a failed form was posted from (its path without the action), else the overview."""
    from urllib.parse import urlsplit

    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path:
        target = referer.path + (f"?{referer.query}" if referer.query else "")
        if target != here:
            return _safe_next(target)
    if request.method == "POST":
        return _safe_next(_page_above(request, request.url.path))
    return "/"


def _page_above(request: Request, path: str) -> str:
    """The nearest page above a form's action (``/agreements/X/revoke`` -> ``/agreements``):
    the longest leading part of ``path`` that a GET route serves."""
    from starlette.routing import Match

    candidate = path
    while candidate not in ("", "/"):
        candidate = candidate.rsplit("/", 1)[0] or "/"
        scope = {"type": "http", "path": candidate, "root_path": "", "method": "GET"}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            return candidate
    return "/"


def error_page(request: Request, status: int, message: str, details: list[str], *,
               role_denied: bool = False) -> HTMLResponse:
    """An error rendered as a page (same message as the API's JSON), with a way back to where the
    user was; a page the caller's role may not use says so in plain words."""
    try:
        principal = identify(request)
    except HTTPException:
        principal = None
    back = came_from(request)
    if status == 403 and role_denied and principal is not None:
        return page(request, "forbidden.html", title_key="forbidden_title", principal=principal,
                    status_code=status, back=back)
    return page(request, "error.html", title_key="error_title", principal=principal,
                status_code=status, message=message, details=details, back=back)


SAFE_NEXT = re.compile(r"^/(?![/\\])[A-Za-z0-9/_.,=&?%-]*$")


def _safe_next(target: str | None) -> str:
    """A local path to go to after login (anything else, e.g. ``//evil.example``, gives /).

    >>> _safe_next("/keys?key=a"), _safe_next("//evil.example"), _safe_next("/\t/evil.example")
    ('/keys?key=a', '/', '/')
    """
    return target if target and SAFE_NEXT.match(target) else "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    """The login form (a double-submit cookie protects it against login CSRF)."""
    token = secrets.token_urlsafe(24)
    response = page(request, "login.html", title_key="login_title", login_csrf=token,
                    next=_safe_next(next), error=None)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=settings_of(request).secure_cookies, max_age=3600)
    return response


# What a refused login answers: the same message for a wrong name or password.
LOGIN_REFUSALS = {logins.Outcome.failed: (401, N_("login_failed")),
                  logins.Outcome.throttled: (429, N_("login_throttled")),
                  logins.Outcome.busy: (503, N_("login_busy"))}


@router.post("/login", response_class=HTMLResponse)
# The empty default is the CSRF form field's, not a password.
def login(request: Request, username: Annotated[str, Form(max_length=64)],  # nosec B107
          password: Annotated[str, Form(max_length=MAX_PASSWORD)],
          csrf_token: Annotated[str, Form(max_length=200)] = "",
          next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    """Check the password, start a session and go to ``next``."""
    t = translator(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not expected or not secrets.compare_digest(expected, csrf_token):
        raise HTTPException(status_code=403, detail=t("login_csrf_error"))
    settings = settings_of(request)
    result = logins.log_in(context_of(request), username=username, password=password,
                           address=request.client.host if request.client else None,
                           limits=settings.login_limits())
    if result.secret is None:
        token = secrets.token_urlsafe(24)
        status, message = LOGIN_REFUSALS[result.outcome]
        failed = page(request, "login.html", title_key="login_title", login_csrf=token,
                      next=_safe_next(next), error=t(message), status_code=status)
        failed.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                          secure=settings.secure_cookies, max_age=3600)
        return failed
    secret = result.secret
    response = RedirectResponse(url=_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, max_age=settings.session_minutes * 60)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, principal: PagePrincipal,  # nosec B107 # empty form default, not a password
           csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    """End the session."""
    require_form_csrf(principal, csrf_token)
    if principal.session_secret:
        accounts.log_out(context_of(request), secret=principal.session_secret)
    response = RedirectResponse(url="/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _fmt_rows(t: Any, rows: list[dict[str, Any]], names: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    out = []
    for r in rows:
        out.append({"code": r["code"], "label": t.name(names.get(r["code"], r)),
                    "share": t.percent(r["share"], 1), "intake": t.number(r["net_intake"]),
                    "fair_share": t.number(r["fair_share"]), "surplus": t.number(r["surplus"]),
                    "fulfilment": t.number(r["fulfilment"], 2),
                    "per_1000": t.number(r["per_1000"], 2)})
    return out


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, principal: PagePrincipal, key: str = "canada-population",
             years: str = "2019-2024") -> Response:
    """Map of fulfilment, intake against fair share, surplus over time, registry counts."""
    from fairshare.reference import load_federation
    from fairshare.service.views import balance_view, ledger_flows, status_counts

    t = translator(request)
    keys = readmodels.keys_for_pages(t.lang)
    if key not in {k["id"] for k in keys}:
        key = "canada-population"
    ctx = context_of(request)
    moves = ledger_flows(ctx)
    later = moves.years_after(load_federation().intake().periods[-1])  # registry-only years
    choices = (*YEAR_CHOICES, *later, *((f"2019-{later[-1]}",) if later else ()))
    if years not in choices:
        years = "2019-2024"
    small = settings_of(request).small_cell_threshold
    only = principal.aggregates_only
    total = balance_view(ctx, key=key, years=years, cumulative=True, method="hamilton",
                         carry_forward=False, aggregates_only=only, small_cell=small)
    names = {j["code"]: j for j in readmodels.jurisdictions()}
    fed = load_federation()
    values = {r["code"]: r["fulfilment"] for r in total["rows"]}
    value_text = {r["code"]: t.number(r["fulfilment"], 2) for r in total["rows"]}
    tooltips = {r["code"]: f"{t('fulfilment')} {t.number(r['fulfilment'], 2)}" for r in total["rows"]}
    key_label = next(k["label"] for k in keys if k["id"] == key)
    series: dict[str, list[tuple[str, float]]] = {}
    if "-" in years:
        per_year = balance_view(ctx, key=key, years=years, cumulative=False, method="hamilton",
                                carry_forward=False, aggregates_only=only, small_cell=small)
        for r in per_year["rows"]:
            if r["surplus"] is not None:  # withheld for analysts when from a small cell
                series.setdefault(r["code"], []).append((r["year"], float(r["surplus"])))
    bar_rows = [(r["code"], float(r["net_intake"]), float(r["fair_share"])) for r in total["rows"]
                if r["net_intake"] is not None and r["fair_share"] is not None]
    map_svg, bars_svg, lines_svg = [], [], []
    for narrow in (False, True):  # the stylesheet shows one of the two
        if fed.geojson:
            map_svg.append(svg.choropleth(fed, values, value_text, tooltips, lang=t.lang, narrow=narrow,
                                          title=t("map_title", key=key_label)))
        bars_svg.append(svg.paired_bars(bar_rows, title=t("bars_heading", years=years),
                                        first=t("intake"), second=t("fair_share"), fmt=t.number,
                                        narrow=narrow))
        if series:
            lines_svg.append(svg.lines(series, title=t("lines_heading"), fmt=t.number, narrow=narrow))
    counts = status_counts(ctx, aggregates_only=only, small_cell=small)
    return page(request, "overview.html", title_key="overview_title", principal=principal,
                keys=keys, key=key, key_label=key_label, years=years, year_choices=choices,
                map_svg=map_svg, bars_svg=bars_svg, lines_svg=lines_svg,
                legend=svg.legend_classes(decimal_separator(t.lang)),
                rows=_fmt_rows(t, total["rows"], names), notes=[t(n) for n in total["note_texts"]],
                counts=[(t.label("count_", k), v) for k, v in counts])


@router.get("/keys", response_class=HTMLResponse)
def keys_page(request: Request, principal: PagePrincipal) -> Response:
    """Compare keys side by side: shares, formulas and sources."""
    t = translator(request)
    keys = readmodels.keys_for_pages(t.lang)
    wanted = [k for k in (request.query_params.getlist("key") or []) if k]
    chosen = [k for k in keys if k["id"] in wanted] or keys[:3]
    names = {j["code"]: j for j in readmodels.jurisdictions()}
    shares = [readmodels.shares(k["id"]) for k in chosen]
    compare_rows = []
    for code, j in names.items():
        vals = [next((t.percent(r["share"], 2) for r in s["rows"] if r["code"] == code), "—")
                for s in shares]
        compare_rows.append({"label": t.name(j), "values": vals})
    return page(request, "keys.html", title_key="keys_title", principal=principal, keys=keys,
                chosen=chosen, selected={k["id"] for k in chosen}, compare_rows=compare_rows)
