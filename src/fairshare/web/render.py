"""Rendering pages: the Jinja2 environment and the context every page shares."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from fairshare import __version__
from fairshare.web import i18n

TEMPLATES = Path(__file__).resolve().parent / "templates"
FLASHES = ("imported", "decided", "run_created", "consent_recorded", "validated")


@functools.cache
def environment() -> Any:
    """The Jinja2 environment (autoescaping on)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                       trim_blocks=True, lstrip_blocks=True)


def language(request: Request) -> str:
    """The page language (query, cookie, Accept-Language)."""
    return i18n.choose(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE),
                       request.headers.get("accept-language"))


def translator(request: Request) -> i18n.Translator:
    """The translator for this request's language."""
    return i18n.Translator(language(request))


def nav_items(t: i18n.Translator, principal: Any) -> list[tuple[str, str]]:
    """Navigation links the caller's role can use."""
    from fairshare.api.auth import permits
    from fairshare.service.roles import Action

    items = [("/", t("nav_overview")), ("/keys", t("nav_keys"))]
    if principal is not None:
        if permits(principal, Action.read_aggregates):
            items.append(("/pledges", t("nav_pledges")))
        if permits(principal, Action.import_claimants):
            items.append(("/batch", t("nav_batch")))
        if permits(principal, Action.read_runs):
            items.append(("/matching", t("nav_matching")))
        elif permits(principal, Action.read_aggregates):  # analysts: runs in aggregate only
            items.append(("/summaries", t("i14_nav_summaries")))
        if permits(principal, Action.read_capacity):
            items.append(("/capacity", t("i14_nav_capacity")))
        if permits(principal, Action.read_agreements):
            items.append(("/agreements", t("i14_nav_agreements")))
        if permits(principal, Action.read_audit):
            items.append(("/audit", t("nav_audit")))
    return items


def page(request: Request, template: str, *, title_key: str, principal: Any = None,
         status_code: int = 200, active: str = "", **context: Any) -> HTMLResponse:
    """Render ``template`` with the shared context; remembers ``?lang=`` in a cookie."""
    lang = language(request)
    t = i18n.Translator(lang)
    settings = request.app.state.settings
    flashes = []
    done = request.query_params.get("done")
    if done in FLASHES:
        flashes.append(("ok", t.label("flash_", done)))
    other = "fr" if lang == "en" else "en"
    from urllib.parse import urlencode

    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("lang", "done")]
    lang_link = "?" + urlencode([*params, ("lang", other)])
    html = environment().get_template(template).render(
        lang=lang, other_lang=other, lang_link=lang_link, t=t, page_title=t(title_key),
        principal=principal, csrf_token=getattr(principal, "csrf_token", "") or "",
        nav=nav_items(t, principal), active=active or request.url.path, demo=settings.demo,
        version=__version__, flashes=flashes, **context)
    response = HTMLResponse(html, status_code=status_code)
    requested = request.query_params.get("lang")
    if requested in i18n.LANGUAGES and requested != request.cookies.get(i18n.COOKIE):
        response.set_cookie(i18n.COOKIE, requested, max_age=365 * 24 * 3600, samesite="lax",
                            secure=settings.secure_cookies, httponly=True)
    return response
