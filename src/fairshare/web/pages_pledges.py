"""The pledges page: persons pledged against persons delivered, per jurisdiction and period."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fairshare.api.auth import context_of, settings_of
from fairshare.service.roles import Action
from fairshare.web.pages import PagePrincipal
from fairshare.web.pages_registry import _need
from fairshare.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/pledges", response_class=HTMLResponse)
def pledges_page(request: Request, principal: PagePrincipal) -> Response:
    """Pledged against delivered (transfers), and the pledges with their sources."""
    from fairshare.service.pledges import list_pledges
    from fairshare.service.readmodels import jurisdictions
    from fairshare.service.views import pledge_standing_view

    _need(principal, Action.read_aggregates)
    ctx = context_of(request)
    return page(request, "pledges.html", title_key="pledges_title", principal=principal,
                active="/pledges",
                places={j["code"]: j for j in jurisdictions()},
                standing=pledge_standing_view(
                    ctx, code=None, period=None, aggregates_only=principal.aggregates_only,
                    small_cell=settings_of(request).small_cell_threshold),
                pledges=[p.as_dict() for p in list_pledges(ctx)])
