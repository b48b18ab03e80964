"""The pledges page: persons pledged against persons delivered, per jurisdiction and period."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fairshare.api.auth import context_of
from fairshare.service.roles import Action
from fairshare.web.pages import PagePrincipal
from fairshare.web.pages_registry import _need
from fairshare.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/pledges", response_class=HTMLResponse)
def pledges_page(request: Request, principal: PagePrincipal) -> Response:
    """Pledged against delivered (transfers), and the pledges with their sources."""
    from fairshare.service.pledges import list_pledges, pledge_standing
    from fairshare.service.readmodels import jurisdictions

    _need(principal, Action.read_aggregates)
    ctx = context_of(request)
    return page(request, "pledges.html", title_key="pledges_title", principal=principal,
                active="/pledges",
                places={j["code"]: j for j in jurisdictions()},
                standing=[s.as_dict() for s in pledge_standing(ctx)],
                pledges=[p.as_dict() for p in list_pledges(ctx)])
