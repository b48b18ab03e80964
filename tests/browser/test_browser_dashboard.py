"""The dashboard in headless Chromium: log in, read the map, upload a batch, run a matching,
open an explanation, override, switch to French; axe-core on every page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_helpers import axe_violations, log_in, shot

from fairshare.exchange.synth import synth_claimant_rows, write_claimants_csv
from webapp_helpers import SeededApp

pytestmark = pytest.mark.browser


def test_login_and_read_the_map(page: Any, live: tuple[str, SeededApp]) -> None:
    log_in(page, live[1])
    regions = page.locator("svg#map path.region")
    assert regions.count() == 13
    quebec = page.locator('svg#map path[data-code="CA-QC"]')
    assert "Quebec" in quebec.locator("title").text_content()
    assert page.locator("#balance-table tbody tr").count() == 13
    page.get_by_label("Years").select_option("2024")  # app.js submits the form on change
    page.wait_for_url("**years=2024**")
    assert page.locator("svg#lines").count() == 0
    shot(page, "overview")
    assert page.problems == []


def test_switch_to_french_and_back(page: Any, live: tuple[str, SeededApp]) -> None:
    log_in(page, live[1], "analyst")
    page.locator("#lang-switch").click()
    page.wait_for_url("**lang=fr**")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").text_content() == "Vue d'ensemble"
    page.get_by_role("link", name="Clés").click()
    assert page.locator("h1").text_content() == "Clés de répartition"  # remembered
    shot(page, "keys-fr")
    page.locator("#lang-switch").click()
    assert page.locator("html").get_attribute("lang") == "en"


def test_upload_a_batch(page: Any, live: tuple[str, SeededApp], tmp_path: Path) -> None:
    log_in(page, live[1], "officer-qc")
    batch = write_claimants_csv(synth_claimant_rows(families=3, seed=501), tmp_path / "b.csv")
    page.get_by_role("link", name="Batch").click()
    page.get_by_label("Claimants file (CSV or JSON)").set_input_files(str(batch))
    page.get_by_role("button", name="Validate", exact=True).click()
    assert page.locator("#report .status").text_content() == "The file is valid."
    page.get_by_label("Claimants file (CSV or JSON)").set_input_files(str(batch))
    page.get_by_role("button", name="Validate and import").click()
    assert "3 new families" in page.locator("#import-result").text_content()
    shot(page, "batch-imported")


def test_run_a_matching_open_an_explanation_and_override(page: Any,
                                                         live: tuple[str, SeededApp]) -> None:
    log_in(page, live[1])
    page.get_by_role("link", name="Matching").click()
    page.get_by_label("Policy").select_option("balanced")
    page.get_by_role("button", name="Create the run").click()
    page.wait_for_url("**/matching/runs/R*")
    assert page.locator("#plan-table tbody tr").count() > 1
    shot(page, "run")
    page.locator("a.explain-link").first.click()
    assert page.locator("#explanation-text").text_content().startswith("Family ")
    assert page.locator("#alternatives-table tbody tr").count() >= 1
    shot(page, "explanation")
    page.get_by_label("Destination instead").select_option("")
    page.get_by_label("Reason code").select_option("family-ties")
    page.get_by_label("Reason", exact=True).last.fill("Relatives nearby offer housing.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Override").click()
    page.wait_for_url("**done=decided")
    assert "The decision was recorded." in page.locator(".flash-ok").text_content()
    assert "overridden" in page.locator("#recs-table").text_content()
    assert page.problems == []


@pytest.mark.parametrize(("user", "path"), [
    ("coordinator", "/login"), ("coordinator", "/"), ("coordinator", "/keys"),
    ("officer-qc", "/batch"), ("coordinator", "/matching"), ("coordinator", "/audit"),
    ("coordinator", "/?lang=fr"), ("coordinator", "/run"), ("coordinator", "/explanation")])
def test_accessibility(page: Any, live: tuple[str, SeededApp], user: str, path: str) -> None:
    base, app = live
    if path != "/login":
        log_in(page, app, user)
    if path in ("/run", "/explanation"):
        runs = app.client.get("/api/v1/runs", headers=app.auth("coordinator")).json()
        if not runs:
            app.client.post("/api/v1/runs?wait=true", headers=app.auth("coordinator"), json={})
            runs = app.client.get("/api/v1/runs", headers=app.auth("coordinator")).json()
        page.goto(f"/matching/runs/{runs[-1]['id']}")
        if path == "/explanation":
            page.locator("a.explain-link").first.click()
    else:
        page.goto(path)
    violations = axe_violations(page)
    assert violations == [], violations
    assert base


def test_the_accessibility_check_finds_violations(page: Any) -> None:
    """The harness itself: axe-core reports a page without language, title or image text."""
    page.set_content('<html><body><img src="data:,"><a href="#"></a></body></html>')
    found = {v["id"] for v in axe_violations(page)}
    assert "image-alt" in found
