"""The dashboard's pages: login, language, CSRF, no inline script, and the officer's workflow."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fairshare.exchange.synth import synth_claimant_rows, write_claimants_csv
from fairshare.web import i18n
from webapp_helpers import SeededApp, csrf_of, login, seeded_app

PAGES = ["/", "/keys", "/batch", "/matching", "/audit"]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> SeededApp:
    return seeded_app(tmp_path_factory.mktemp("pages"), families=20)


def _browser(app: SeededApp, user: str = "coordinator") -> tuple[Any, str]:
    from fastapi.testclient import TestClient

    client = TestClient(app.client.app)
    return client, login(client, user, app.passwords[user])


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    en, fr = i18n.catalogue("en"), i18n.catalogue("fr")
    assert set(en) == set(fr)
    for key in en:
        assert set(re.findall(r"\{(\w+)\}", en[key])) == set(re.findall(r"\{(\w+)\}", fr[key])), key


def test_every_message_used_by_a_template_exists() -> None:
    from fairshare.web.render import TEMPLATES

    used = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(['"]([a-z_][a-z0-9_-]*)['"]\s*[,)]""", path.read_text()))
    assert not used - set(i18n.catalogue("en"))


def test_anonymous_pages_redirect_to_login(app: SeededApp) -> None:
    for path in PAGES:
        r = app.client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login", path


def test_login_rejects_wrong_password_and_missing_csrf(app: SeededApp) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(app.client.app)
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": "coordinator", "password": "wrong-password!",
                                    "csrf_token": token})
    assert r.status_code == 401 and "Wrong username or password" in r.text
    fresh = TestClient(app.client.app)
    r = fresh.post("/login", data={"username": "coordinator",
                                   "password": app.passwords["coordinator"], "csrf_token": "x"})
    assert r.status_code == 403
    assert "fs_session" not in fresh.cookies


def test_login_is_throttled_after_repeated_failures(app: SeededApp) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(app.client.app)
    for _ in range(app.settings.login_attempts):
        token = csrf_of(client.get("/login").text)
        client.post("/login", data={"username": "auditor", "password": "nope-nope-nope",
                                    "csrf_token": token})
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": "auditor", "password": app.passwords["auditor"],
                                    "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 429  # the throttle (held in the database) refuses before checking
    from fairshare.store.accounts import login_throttle
    from fairshare.store.engine import write_transaction

    with write_transaction(app.client.app.state.engine) as conn:
        conn.execute(login_throttle.delete())


def test_session_cookie_flags_and_logout(app: SeededApp) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(app.client.app)
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": "analyst", "password": app.passwords["analyst"],
                                    "csrf_token": token}, follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert "fs_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    csrf = csrf_of(client.get("/").text)
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_no_inline_script_or_style(app: SeededApp, path: str) -> None:
    client, _ = _browser(app)
    html = client.get(path).text
    assert re.findall(r"<script\b[^>]*>", html) == ['<script src="/static/app.js" defer>']
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert not re.search(r"\sstyle\s*=", html)
    assert "<html lang=" in html and "<title>" in html
    # Every script and style comes from this server (no CDN).
    for tag in re.findall(r"<(?:script|link|img)\b[^>]*>", html):
        ref = re.search(r'(?:src|href)="([^"]*)"', tag)
        assert ref and ref.group(1).startswith("/static/"), tag


def test_language_query_cookie_and_accept_language(app: SeededApp) -> None:
    client, _ = _browser(app)
    assert '<html lang="en">' in client.get("/").text
    fr = client.get("/?lang=fr")
    assert '<html lang="fr">' in fr.text and "Vue d&#39;ensemble" in fr.text
    assert client.cookies.get("lang") == "fr"
    assert '<html lang="fr">' in client.get("/keys").text  # remembered
    client.get("/?lang=en")
    assert '<html lang="en">' in client.get("/keys").text
    other, _ = _browser(app)
    other.cookies.delete("lang")
    page = other.get("/keys", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr">' in page.text and "Clés de répartition" in page.text
    # Key names and descriptions are French too, on every page that shows them.
    assert "Part de la population (Canada)" in page.text
    assert "Clé de référence de l&#39;UE 2024" in other.get("/?lang=fr").text
    assert "Population share (Canada)" in other.get("/keys?lang=en").text


def test_overview_shows_the_map_bars_and_table(app: SeededApp) -> None:
    client, _ = _browser(app)
    html = client.get("/?key=eu-2024-reference&years=2024").text
    assert html.count('class="region"') == 2 * 13  # a desktop and a phone drawing, one shown
    assert 'id="map"' in html and 'id="map-narrow"' in html
    assert 'data-code="CA-QC"' in html and 'id="bars"' in html and 'id="bars-narrow"' in html
    assert html.count("<tr data-code=") == 13
    assert 'id="lines"' not in html  # one year: no time series
    assert 'id="lines"' in client.get("/?years=2019-2024").text
    # Unknown parameters fall back to the defaults instead of failing.
    assert client.get("/?key=nope&years=1700").status_code == 200


def test_keys_page_compares_selected_keys(app: SeededApp) -> None:
    client, _ = _browser(app)
    html = client.get("/keys?key=canada-population&key=eu-2024-reference").text
    assert html.count('class="panel key-card"') == 2
    assert "References" not in html or "Sources" in html
    assert html.count("<td>") == 26


@pytest.mark.parametrize(("user", "path", "status"), [
    ("analyst", "/batch", 403), ("analyst", "/matching", 403), ("analyst", "/audit", 403),
    ("auditor", "/batch", 403), ("auditor", "/audit", 200), ("officer-qc", "/audit", 403),
    ("officer-qc", "/batch", 200), ("analyst", "/", 200), ("analyst", "/keys", 200)])
def test_pages_by_role(app: SeededApp, user: str, path: str, status: int) -> None:
    client, _ = _browser(app, user)
    assert client.get(path).status_code == status


def test_batch_page_validates_then_imports(app: SeededApp, tmp_path: Any) -> None:
    client, csrf = _browser(app, "officer-qc")
    data = write_claimants_csv(synth_claimant_rows(families=4, seed=91),
                               tmp_path / "b.csv").read_bytes()
    files = {"file": ("b.csv", data, "text/csv")}
    form = {"agreement_id": "demo-qc-ca", "csrf_token": csrf}
    assert client.post("/batch/validate", files=files,
                       data={**form, "csrf_token": "bad"}).status_code == 403
    report = client.post("/batch/validate", files=files, data=form)
    assert report.status_code == 200 and "The file is valid." in report.text
    done = client.post("/batch/import", files=files, data=form)
    assert done.status_code == 200 and "Imported" in done.text and "4 new families" in done.text
    bad = client.post("/batch/validate", data=form,
                      files={"file": ("x.csv", b"claimant_id,ethnicity\n1,x\n", "text/csv")})
    assert bad.status_code == 422 and "ethnicity" in bad.text


def _run_location(client: Any, created: Any) -> str:
    """The run page a "Create the run" answer leads to, once its job is done: the form goes
    to the job's page, which sends the browser to the run when it is made."""
    assert created.status_code == 303, created.text
    job_page = created.headers["location"]
    assert job_page.startswith("/matching/jobs/J")
    client.app.state.jobs.wait(job_page.rsplit("/", 1)[1])
    done = client.get(job_page, follow_redirects=False)
    assert done.status_code == 303, done.text
    location: str = done.headers["location"]
    return location


def test_matching_workflow_accept_only_after_explanation(app: SeededApp) -> None:
    client, csrf = _browser(app)
    r = client.post("/matching/runs", data={"policy": "balanced", "key": "canada-population",
                                            "solver": "auto", "csrf_token": csrf},
                    follow_redirects=False)
    run_page = client.get(_run_location(client, r))
    assert "The matching run was created." in run_page.text
    assert 'id="accept-button"' not in run_page.text
    assert 'id="baselines-table"' in run_page.text and "Greedy by score" in run_page.text
    moves = re.findall(r'<td class="text">[A-Z]{2}</td><td class="text">pending</td>\s*'
                       r'<td class="text"><a href="(/matching/runs/[^"]+/families/[^"]+)"',
                       run_page.text)
    assert moves, run_page.text[-3000:]
    link = moves[0]
    # Deciding without having opened the explanation is refused.
    early = client.post(link + "/decide", data={"kind": "accept", "reason": "looks right",
                                                "csrf_token": csrf})
    assert early.status_code == 409
    page = client.get(link)
    assert 'id="explanation-text"' in page.text and 'id="accept-button"' in page.text
    assert 'id="alternatives-table"' in page.text
    french = client.get(link + "?lang=fr")
    assert "La famille" in french.text
    client.get(link + "?lang=en")
    done = client.post(link + "/decide", data={"kind": "override", "to": "", "reason_code":
                                               "family-ties", "reason": "family stays",
                                               "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("done=decided")
    after = client.get(link)
    assert 'id="decided-status"' in after.text and "overridden" in after.text
    audit = client.get("/audit?action=decision.override").text
    assert "decision.override" in audit and "The chain of" in audit


def test_override_needs_a_reason_code(app: SeededApp) -> None:
    client, csrf = _browser(app)
    r = client.post("/matching/runs", data={"policy": "outcome", "key": "canada-population",
                                            "solver": "auto", "csrf_token": csrf},
                    follow_redirects=False)
    run_page = client.get(_run_location(client, r)).text
    link = re.findall(r'href="(/matching/runs/[^"]+/families/[^"]+)"', run_page)[0]
    client.get(link)
    bad = client.post(link + "/decide", data={"kind": "override", "reason": "no code given",
                                              "csrf_token": csrf})
    assert bad.status_code == 422 and "reason code" in bad.text


def test_api_reference_page_lists_operations(app: SeededApp) -> None:
    client, _ = _browser(app, "analyst")
    html = client.get("/docs").text
    assert "POST /api/v1/runs/{run_id}/decisions" in html and "<script" not in html


def test_large_runs_compare_with_baselines_on_request(app: SeededApp,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from fairshare.web import pages_matching

    client, csrf = _browser(app)
    r = client.post("/matching/runs", data={"policy": "preference-first", "key":
                                            "canada-population", "solver": "auto",
                                            "csrf_token": csrf}, follow_redirects=False)
    url = _run_location(client, r).split("?")[0]
    monkeypatch.setattr(pages_matching, "BASELINES_INLINE_FAMILIES", 0)
    lazy = client.get(url).text
    assert 'id="baselines-link"' in lazy and 'id="baselines-table"' not in lazy
    assert 'id="baselines-table"' in client.get(url + "?baselines=1").text


def test_run_form_refuses_a_key_that_is_not_a_preset(app: SeededApp) -> None:
    client, csrf = _browser(app)
    r = client.post("/matching/runs", data={"policy": "balanced", "key": "/etc/passwd",
                                            "solver": "auto", "csrf_token": csrf})
    assert r.status_code == 422 and "root:" not in r.text


def test_language_link_keeps_the_page_filters(app: SeededApp) -> None:
    client, _ = _browser(app)
    html = client.get("/?key=eu-2024-reference&years=2024").text
    assert 'href="?key=eu-2024-reference&amp;years=2024&amp;lang=fr"' in html


def test_sessions_expire_when_idle_and_after_the_absolute_lifetime(app: SeededApp) -> None:
    import datetime as dt

    from sqlalchemy import update

    from fairshare.service.accounts import web_sessions
    from fairshare.store.engine import make_engine, write_transaction

    engine = make_engine(app.settings.database_url)
    for column, age in (("seen_at", dt.timedelta(minutes=app.settings.session_minutes + 1)),
                        ("created_at", dt.timedelta(hours=13))):
        client, _ = _browser(app, "auditor")
        assert client.get("/", follow_redirects=False).status_code == 200
        with write_transaction(engine) as conn:
            conn.execute(update(web_sessions).values(
                {column: dt.datetime.now(dt.UTC) - age}))
        assert client.get("/", follow_redirects=False).status_code == 303, column
