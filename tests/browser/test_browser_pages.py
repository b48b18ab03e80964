"""Every page, in English and French, on a phone (390 px) and a desktop (1366 px): a full-page
screenshot into build/screenshots/ (kept by CI as an artifact), no element wider than the
viewport, and no axe-core violation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_helpers import axe_violations, log_in

from webapp_helpers import SeededApp

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
WIDTHS = (390, 1366)

# Elements whose right edge passes the viewport, ignoring what sits inside a scroll container
# (a wide table scrolls inside its panel: the panel fits, the page does not scroll sideways).
OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p).overflowX; if (s === 'auto' || s === 'scroll') return true; }
      return false; };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || getComputedStyle(el).position === 'absolute' && r.right < 0) continue;
    if ((r.right > vw + 1 || r.width > vw + 1) && !scrolls(el)) {
      out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''} right=${Math.round(r.right)} width=${Math.round(r.width)}`);
    }
  }
  return {vw, scrollWidth: document.documentElement.scrollWidth, out: out.slice(0, 8)};
}"""


def _run_and_family(app: SeededApp) -> tuple[str, str]:
    runs = app.client.get("/api/v1/runs", headers=app.auth("coordinator")).json()
    if not runs:
        app.client.post("/api/v1/runs?wait=true", headers=app.auth("coordinator"), json={})
        runs = app.client.get("/api/v1/runs", headers=app.auth("coordinator")).json()
    run_id = runs[-1]["id"]
    detail = app.client.get(f"/api/v1/runs/{run_id}", headers=app.auth("coordinator")).json()
    return run_id, detail["recommendations"][0]["family_id"]


def _override_one(app: SeededApp, run_id: str, keep: str) -> None:
    """Override one pending recommendation (not ``keep``'s) to a destination the service
    offers, so that the run page shows a decided row."""
    from fairshare.service import decision_options

    who = app.auth("coordinator")
    recs = app.client.get(f"/api/v1/runs/{run_id}", headers=who).json()["recommendations"]
    if any(r["status"] == "overridden" for r in recs):
        return
    target = next(r for r in recs if r["status"] == "pending" and r["family_id"] != keep
                  and r["destination"])
    app.client.get(f"/api/v1/runs/{run_id}/recommendations/{target['family_id']}", headers=who)
    options = decision_options(app.client.app.state.ctx, run_id=run_id,
                               family_id=target["family_id"])
    to = next(c for c in options.open if c != target["destination"])
    r = app.client.post(f"/api/v1/runs/{run_id}/decisions", headers=who, json={
        "family_id": target["family_id"], "kind": "override", "to": to,
        "reason_code": "family-ties", "reason": "Relatives nearby offer housing."})
    assert r.status_code == 201, r.text


def _pages(app: SeededApp) -> list[tuple[str | None, str, str]]:
    """(user or None for anonymous, path, screenshot name) of every page."""
    run_id, family = _run_and_family(app)
    _override_one(app, run_id, family)
    return [
        (None, "/login", "login"),
        ("coordinator", "/", "overview"),
        ("coordinator", "/?years=2024", "overview-2024"),
        ("coordinator", "/keys", "keys"),
        ("coordinator", "/matching", "matching"),
        ("coordinator", f"/matching/runs/{run_id}", "run"),
        ("coordinator", f"/matching/runs/{run_id}/families/{family}", "explanation"),
        ("coordinator", "/audit", "audit"),
        ("coordinator", "/capacity", "capacity"),
        ("coordinator", "/agreements", "agreements"),
        ("coordinator", "/matching/runs/R-NO-SUCH-RUN", "error-not-found"),
        ("officer-qc", "/batch", "batch"),
        ("officer-qc", "/", "overview-officer"),
        ("officer-qc", "/agreements", "agreements-officer"),
        ("analyst", "/batch", "not-for-your-role"),
        ("analyst", "/summaries", "summaries"),
        ("analyst", f"/summaries/{run_id}", "summary"),
        ("auditor", "/audit", "audit-auditor"),
    ]


def _check(page: Any, width: int) -> list[str]:
    found = page.evaluate(OVERFLOW_JS)
    problems = [f"wider than {width}px: {e}" for e in found["out"]]
    if found["scrollWidth"] > found["vw"] + 1:
        problems.append(f"the page scrolls sideways: {found['scrollWidth']} > {found['vw']}")
    problems += [f"axe {v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
                 for v in axe_violations(page)]
    return problems


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_page_fits_and_passes_axe(browser: Any, live: tuple[str, SeededApp], lang: str,
                                        width: int) -> None:
    base, app = live
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    current: str | None = "-"
    context = None
    for user, path, name in _pages(app):
        if user != current:
            if context is not None:
                context.close()
            context = browser.new_context(base_url=base, locale="en-CA",
                                          viewport={"width": width, "height": 900})
            page = context.new_page()
            if user is not None:
                log_in(page, app, user)
            current = user
        sep = "&" if "?" in path else "?"
        page.goto(f"{path}{sep}lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}-{width}.png"), full_page=True)
        problems += [f"{name} ({lang}, {width}px): {p}" for p in _check(page, width)]
    if context is not None:
        context.close()
    assert problems == [], "\n".join(problems)


def test_not_for_your_role_page_says_so_and_leads_back(page: Any, live: tuple[str, SeededApp]) -> None:
    base, app = live
    log_in(page, app, "analyst")
    page.goto("/keys")
    page.goto("/batch", referer=f"{base}/keys")  # as if followed from a link on /keys
    assert page.locator("h1").text_content() == "Not available for your role"
    assert "Something is wrong" not in page.content()
    page.locator("#back-link").click()
    page.wait_for_url("**/keys")  # back where the analyst was, not to the overview
    page.goto("/batch?lang=fr")
    assert page.locator("h1").text_content() == "Page non disponible pour votre rôle"


def test_a_failed_form_returns_to_its_page(page: Any, live: tuple[str, SeededApp]) -> None:
    base, app = live
    run_id, family = _run_and_family(app)
    log_in(page, app)
    explanation = f"/matching/runs/{run_id}/families/{family}"
    page.goto(explanation)
    # A forged form without its CSRF token is refused; the error page leads back to the form.
    with page.expect_navigation():
        page.evaluate("""(action) => { const f = document.createElement('form'); f.method = 'post';
            f.action = action; document.body.appendChild(f); f.submit(); }""", explanation + "/decide")
    assert page.locator(".flash-error").count() == 1
    assert page.locator("#back-link").get_attribute("href") == explanation
    assert base
