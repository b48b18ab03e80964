"""No dead ends on the dashboard: decision choices the service accepts, errors that return to
the page, the decided destination in the run table, capacity and agreement pages, and the
analyst's run summary (through the real app and service, on SQLite)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from fairshare.errors import FairshareError
from fairshare.exchange.agreements import synth_agreement_yaml
from fairshare.exchange.reader import Document
from fairshare.service import (
    Context,
    add_agreement,
    add_capacity,
    decision_options,
    list_agreements,
    list_capacity,
)
from webapp_helpers import SeededApp, login, seeded_app

FORBIDDEN = "This page is not part of the work of"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> SeededApp:
    return seeded_app(tmp_path_factory.mktemp("dead-ends"), families=20)


def _browser(app: SeededApp, user: str = "coordinator") -> tuple[Any, str]:
    from fastapi.testclient import TestClient

    client = TestClient(app.client.app)
    return client, login(client, user, app.passwords[user])


def _ctx(app: SeededApp) -> Context:
    ctx: Context = app.client.app.state.ctx
    return ctx


def _new_run(client: Any, csrf: str, policy: str = "balanced") -> str:
    r = client.post("/matching/runs", data={"policy": policy, "key": "canada-population",
                                            "solver": "greedy", "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303, r.text[-2000:]
    job_page = r.headers["location"]  # the run is made as a job; its page leads to the run
    client.app.state.jobs.wait(job_page.rsplit("/", 1)[1])
    done = client.get(job_page, follow_redirects=False)
    assert done.status_code == 303, done.text
    return str(done.headers["location"].split("?")[0])


def _pending_moves(page: str) -> list[tuple[str, str]]:
    """(explanation link, recommended destination) of the pending rows that move a family."""
    return [(link, dest) for dest, link in re.findall(
        r'<td class="text">([A-Z]{2})</td><td class="text">pending</td>\s*'
        r'<td class="text"><a href="(/matching/runs/[^"]+/families/[^"]+)"', page)]


def _override_options(page: str) -> list[str]:
    select = re.search(r'<select id="override-to" name="to">(.*?)</select>', page, re.S)
    assert select, page[-3000:]
    return re.findall(r'<option value="([A-Z]*)">', select.group(1))


def _left_out(page: str) -> dict[str, str]:
    return {code: html.unescape(text) for code, text in re.findall(
        r'<li data-code="([A-Z]{2})"><strong>[^<]*</strong>: ([^<]*)</li>', page)}


def test_override_offers_only_what_the_service_accepts(app: SeededApp) -> None:
    client, csrf = _browser(app)
    run_url = _new_run(client, csrf)
    link, recommended = _pending_moves(client.get(run_url).text)[0]
    page = client.get(link).text
    run_id, family_id = link.split("/")[3], link.split("/")[5]
    options = decision_options(_ctx(app), run_id=run_id, family_id=family_id)
    offered = _override_options(page)
    assert offered[0] == ""  # "stays where it is" comes first
    assert sorted(offered[1:]) == sorted(c for c in options.open if c != recommended)
    left = _left_out(page)
    assert set(left) == {c.code for c in options.refused}
    assert left[options.current] == "is the family's current jurisdiction."
    assert any(text.startswith("no capacity left for a family of") for text in left.values())
    french = _left_out(client.get(link + "?lang=fr").text)
    assert french[options.current] == "est l'administration où se trouve déjà la famille."
    client.get(link + "?lang=en")
    # A destination left out is refused by the service; the error page leads back here.
    refused = client.post(link + "/decide", data={
        "kind": "override", "to": options.current, "reason_code": "other",
        "reason": "try the current one", "csrf_token": csrf})
    assert refused.status_code == 422 and f"is already in {options.current}" in refused.text
    assert f'href="{link}" id="back-link"' in refused.text
    # One offered is accepted, and the run table shows it as decided, overridden.
    chosen = offered[1]
    done = client.post(link + "/decide", data={"kind": "override", "to": chosen,
                                               "reason_code": "family-ties",
                                               "reason": "cousins there", "csrf_token": csrf},
                       follow_redirects=False)
    assert done.status_code == 303
    table = client.get(run_url).text
    row = re.search(rf'{family_id[:14]}</code></th><td>\d+</td><td class="text">(.*?)</td>',
                    table)
    assert row, table[-3000:]
    assert row.group(1) == (f'<strong class="decided">{chosen}</strong> <small class="was">'
                            f"(overridden; recommended {recommended})</small>")


def test_accepted_rows_show_the_accepted_destination(app: SeededApp) -> None:
    client, csrf = _browser(app)
    run_url = _new_run(client, csrf, policy="outcome")
    link, recommended = _pending_moves(client.get(run_url).text)[0]
    assert 'id="accept-button"' in client.get(link).text
    done = client.post(link + "/decide", data={"kind": "accept", "reason": "a good fit",
                                               "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    family_id = link.split("/")[5]
    table = client.get(run_url).text
    assert re.search(rf'{family_id[:14]}</code></th><td>\d+</td><td class="text"><strong '
                     rf'class="decided">{recommended}</strong></td><td class="text">accepted</td>',
                     table), table[-3000:]


@pytest.mark.parametrize(("path", "form", "back"), [
    ("/matching/runs", {"policy": "nope", "key": "canada-population", "solver": "auto"},
     "/matching"),
    ("/matching/assign", {"family_id": "f-nobody", "to": "ON", "reason_code": "other",
                          "reason": "by hand"}, "/matching"),
])
def test_form_errors_lead_back_to_the_form(app: SeededApp, path: str, form: dict[str, str],
                                           back: str) -> None:
    client, csrf = _browser(app)
    r = client.post(path, data={**form, "csrf_token": csrf})
    assert 400 <= r.status_code < 500
    assert f'href="{back}" id="back-link"' in r.text and "Back to where you were" in r.text
    # The Referer, when the browser sends it, wins (e.g. a run page with its filters).
    r = client.post(path, data={**form, "csrf_token": csrf},
                    headers={"referer": "http://testserver/matching?lang=en"})
    assert 'href="/matching?lang=en" id="back-link"' in r.text


CAPACITY_HEADER = "offer_id,jurisdiction,period,persons,units_1_2,units_3_4,units_5_plus," \
                  "services,expires_on\n"


def test_capacity_page_lists_and_adds_offers(app: SeededApp, tmp_path: Path) -> None:
    client, csrf = _browser(app)
    page = client.get("/capacity")
    assert page.status_code == 200 and 'id="capacity-form"' in page.text
    assert all(o.id in page.text for o in list_capacity(_ctx(app)))
    good = CAPACITY_HEADER + "WEB-ON-1,ON,2026,12,,,,french,2030-01-31\n"
    files = {"file": ("cap.csv", good.encode(), "text/csv")}
    assert client.post("/capacity/add", files=files,
                       data={"csrf_token": "forged"}).status_code == 403
    assert "WEB-ON-1" not in {o.id for o in list_capacity(_ctx(app))}
    done = client.post("/capacity/add", files=files, data={"csrf_token": csrf})
    assert done.status_code == 200 and "1 new offers stored: WEB-ON-1." in done.text
    assert "WEB-ON-1" in {o.id for o in list_capacity(_ctx(app))}
    again = client.post("/capacity/add", files=files, data={"csrf_token": csrf})
    assert "already stored; nothing changed" in again.text


def test_a_refused_capacity_file_shows_the_cli_errors_and_stores_nothing(
        app: SeededApp, tmp_path: Path) -> None:
    client, csrf = _browser(app)
    bad = (CAPACITY_HEADER + "WEB-X-1,ON,2026,-3,,,,french,2030-01-31\n"
           "WEB-X-2,ZZ,2026,5,,,,french,2030-01-31\n")
    with pytest.raises(FairshareError) as caught:  # what `fairshare capacity add` prints
        add_capacity(_ctx(app), path=Document(name="bad.csv", data=bad.encode()))
    before = len(list_capacity(_ctx(app)))
    r = client.post("/capacity/add", files={"file": ("bad.csv", bad.encode(), "text/csv")},
                    data={"csrf_token": csrf})
    assert r.status_code == 422 and 'id="upload-error"' in r.text
    shown = html.unescape(r.text)
    assert caught.value.message in shown
    assert caught.value.details and all(d in shown for d in caught.value.details)
    assert len(list_capacity(_ctx(app))) == before
    assert 'id="capacity-form"' in r.text  # the form is there to try again


@pytest.mark.parametrize("user", ["analyst", "auditor"])
def test_capacity_writes_are_not_for_readers(app: SeededApp, user: str) -> None:
    client, csrf = _browser(app, user)
    page = client.get("/capacity")
    assert page.status_code == 200 and 'id="capacity-form"' not in page.text
    r = client.post("/capacity/add", data={"csrf_token": csrf}, files={
        "file": ("c.csv", (CAPACITY_HEADER + "R-1,ON,2026,1,,,,,2030-01-31\n").encode(),
                 "text/csv")})
    assert r.status_code == 403 and FORBIDDEN in r.text
    assert 'href="/capacity" id="back-link"' in r.text


def test_an_officer_offers_capacity_only_for_their_jurisdiction(app: SeededApp) -> None:
    client, csrf = _browser(app, "officer-qc")
    r = client.post("/capacity/add", data={"csrf_token": csrf}, files={
        "file": ("c.csv", (CAPACITY_HEADER + "OQ-1,ON,2026,1,,,,,2030-01-31\n").encode(),
                 "text/csv")})
    assert r.status_code == 403 and "offers capacity only for QC" in r.text
    assert "OQ-1" not in {o.id for o in list_capacity(_ctx(app))}


def test_agreements_page_adds_and_revokes(app: SeededApp, tmp_path: Path) -> None:
    client, csrf = _browser(app)
    page = client.get("/agreements")
    assert page.status_code == 200 and "demo-qc-ca" in page.text
    document = synth_agreement_yaml(agreement_id="web-added-1").encode()
    files = {"file": ("a.yaml", document, "application/yaml")}
    assert client.post("/agreements/add", files=files,
                       data={"csrf_token": "forged"}).status_code == 403
    done = client.post("/agreements/add", files=files, data={"csrf_token": csrf})
    assert done.status_code == 200 and "Agreement web-added-1 is stored" in done.text
    assert 'action="/agreements/web-added-1/revoke"' in done.text
    revoked = client.post("/agreements/web-added-1/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 200 and "Agreement web-added-1 is revoked" in revoked.text
    status = {a.id: a.status for a in list_agreements(_ctx(app))}
    assert status["web-added-1"] == "revoked" and status["demo-qc-ca"] == "active"
    assert 'action="/agreements/web-added-1/revoke"' not in revoked.text
    missing = client.post("/agreements/nope/revoke", data={"csrf_token": csrf})
    assert missing.status_code == 404 and "No agreement 'nope'" in html.unescape(missing.text)


def test_a_refused_agreement_shows_the_cli_error_and_stores_nothing(app: SeededApp,
                                                                    tmp_path: Path) -> None:
    client, csrf = _browser(app)
    text = synth_agreement_yaml(agreement_id="web-bad-1").replace("retention_days: 730",
                                                                  "retention_days: -1")
    with pytest.raises(FairshareError) as caught:
        add_agreement(_ctx(app), path=Document(name="a.yaml", data=text.encode()))
    r = client.post("/agreements/add", data={"csrf_token": csrf},
                    files={"file": ("a.yaml", text.encode(), "application/yaml")})
    assert r.status_code == 422 and 'id="upload-error"' in r.text
    shown = html.unescape(r.text)
    assert caught.value.message in shown
    assert all(d in shown for d in caught.value.details)
    assert "web-bad-1" not in {a.id for a in list_agreements(_ctx(app))}


@pytest.mark.parametrize(("user", "read"), [("officer-qc", 200), ("auditor", 200),
                                            ("analyst", 403)])
def test_agreement_writes_are_for_coordinators(app: SeededApp, user: str, read: int) -> None:
    client, csrf = _browser(app, user)
    page = client.get("/agreements")
    assert page.status_code == read and 'id="agreement-form"' not in page.text
    assert "/revoke" not in page.text
    files = {"file": ("a.yaml", synth_agreement_yaml(agreement_id=f"x-{user}").encode(),
                      "application/yaml")}
    r = client.post("/agreements/add", files=files, data={"csrf_token": csrf})
    assert r.status_code == 403 and FORBIDDEN in r.text
    r = client.post("/agreements/demo-qc-ca/revoke", data={"csrf_token": csrf})
    assert r.status_code == 403 and FORBIDDEN in r.text
    assert 'href="/agreements" id="back-link"' in r.text  # the nearest page, not a 404
    assert {a.id: a.status for a in list_agreements(_ctx(app))}["demo-qc-ca"] == "active"


def test_analyst_run_summary_matches_the_api(app: SeededApp) -> None:
    coordinator, csrf = _browser(app)
    run_id = _new_run(coordinator, csrf).rsplit("/", 1)[1]
    client, _ = _browser(app, "analyst")
    listing = client.get("/summaries")
    assert listing.status_code == 200 and f'href="/summaries/{run_id}"' in listing.text
    assert 'href="/summaries"' in listing.text  # in the navigation
    page = client.get(f"/summaries/{run_id}")
    assert page.status_code == 200 and 'id="suppression-note"' in page.text
    api = app.client.get(f"/api/v1/runs/{run_id}/summary", headers=app.auth("analyst")).json()
    cells = re.findall(r"<tr><th scope=\"row\">[^<]*</th><td>([^<]*)</td><td>([^<]*)</td>",
                       page.text)
    expected = [(str(d["families"]), str(d["persons"])) for d in api["destinations"]]
    assert [(html.unescape(f), html.unescape(p)) for f, p in cells] == expected
    assert any(f.startswith("<") for f, _ in expected)  # small cells are suppressed
    # Coordinators see the counts; the analyst's nav has summaries instead of matching.
    full = coordinator.get(f"/summaries/{run_id}").text
    assert 'id="suppression-note"' not in full
    assert 'href="/matching"' not in listing.text
    assert 'href="/summaries"' not in coordinator.get("/keys").text


def test_navigation_links_the_new_pages_by_role(app: SeededApp) -> None:
    expected = {"coordinator": {"/capacity", "/agreements", "/matching"},
                "officer-qc": {"/capacity", "/agreements", "/matching"},
                "analyst": {"/capacity", "/summaries"},
                "auditor": {"/capacity", "/agreements", "/matching"}}
    for user, links in expected.items():
        client, _ = _browser(app, user)
        nav = re.search(r"<nav aria-label=\"[^\"]+\">(.*?)</nav>", client.get("/keys").text,
                        re.S)
        assert nav
        hrefs = set(re.findall(r'href="([^"]+)"', nav.group(1)))
        assert links <= hrefs, (user, hrefs)
        for page in hrefs:
            assert client.get(page).status_code == 200, (user, page)


def test_a_recommendation_whose_destination_filled_up_cannot_be_accepted(app: SeededApp) -> None:
    """Last in this module: it uses up one destination's capacity."""
    from fairshare.service import decide, open_explanation
    from fairshare.service.run_views import run_page

    client, csrf = _browser(app)
    run_url = _new_run(client, csrf, policy="preference-first")
    link, dest = _pending_moves(client.get(run_url).text)[0]
    run_id, family_id = link.split("/")[3], link.split("/")[5]
    ctx = _ctx(app)
    others = [r["family_id"] for r in run_page(ctx, run_id=run_id, scope=None,
                                               limit=1000)["recommendations"]
              if r["status"] == "pending" and r["family_id"] != family_id]
    for other in others:  # send other families to the same destination until it is full
        if decision_options(ctx, run_id=run_id, family_id=family_id).open.count(dest) == 0:
            break
        if dest in decision_options(ctx, run_id=run_id, family_id=other).open:
            open_explanation(ctx, run_id=run_id, family_id=other, actor="coordinator")
            decide(ctx, run_id=run_id, family_id=other, kind="override", to=dest,
                   reason="fill it up", decided_by="coordinator", reason_code="capacity")
    options = decision_options(ctx, run_id=run_id, family_id=family_id)
    refusal = next(c.refusal for c in options.choices if c.code == dest)
    assert refusal is not None and refusal.code == "no-capacity"
    page = client.get(link).text
    assert 'id="accept-refused"' in page and 'id="accept-button"' not in page
    assert f"The recommended destination {dest} cannot be accepted now" in page
    r = client.post(link + "/decide", data={"kind": "accept", "reason": "accept anyway",
                                            "csrf_token": csrf})
    assert r.status_code == 409 and str(refusal.message) in html.unescape(r.text)


def test_run_lists_and_the_audit_page_give_times_and_codes_in_the_readers_words(
        app: SeededApp) -> None:
    """Creation times read as dates and times of the page's locale (not ISO timestamps), and
    the analyst's run list names policies and statuses as the catalogue does."""
    coordinator, csrf = _browser(app)
    _new_run(coordinator, csrf)
    iso = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
    analyst, _ = _browser(app, "analyst")
    auditor, _ = _browser(app, "auditor")
    for client, path in ((coordinator, "/matching"), (analyst, "/summaries"),
                         (auditor, "/audit")):
        french = client.get(f"{path}?lang=fr").text
        english = client.get(f"{path}?lang=en").text
        assert not iso.search(french) and not iso.search(english), path
        assert " UTC</td>" in french and " UTC</td>" in english, path
    summaries = analyst.get("/summaries?lang=fr").text
    assert ">équilibrée</td>" in summaries and ">balanced</td>" not in summaries
