"""French pages say nothing in English: every page, as every role, crawled with ``?lang=fr``.

Each role logs in, starts from the overview and follows every same-site link it is shown (plus
the routes a link does not reach: a run, an explanation, error pages raised by the service), with
``lang=fr``. The visible text of each page (tags, scripts and styles stripped; ``title``, ``alt``,
``aria-label`` and ``placeholder`` attributes kept; elements marked ``lang="en"`` — the language
switch — and ``translate="no"``, the mark of codes and of data shown as written: the audit log's
actions, an agreement's own title) must contain no word of a short English stop-list, outside the
proper names of :data:`ALLOWED`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from webapp_helpers import SeededApp, login, seeded_app

# Words that are English and not French: any of them on a French page is an untranslated string.
# (Words both languages share — audit, destination, total, place, surplus, note, page, or, on —
# are left out.)
ENGLISH = frozenset(["the", "and", "of", "is", "are", "for", "with", "your", "you", "run", "runs", "family", "families", "left", "capacity", "already", "not", "no", "this", "that", "these", "from", "by", "to", "has", "have", "been", "will", "which", "there", "their", "goes", "per", "persons", "person", "share", "intake", "key", "keys", "policy", "outcome", "outcomes", "predicted", "placed", "in", "into", "at", "be", "can", "cannot", "role", "sign", "signed", "log", "out", "next", "best", "choose", "chosen", "than", "more", "less", "other", "others", "list", "show", "shows", "back", "where", "when", "who", "what", "how", "why", "none", "only", "each", "every", "all", "any", "unknown", "missing", "found", "must", "should", "would", "yet", "still", "room", "recommended", "recommendation", "recommendations", "explanation", "explanations", "decision", "decisions", "fair", "fulfilment", "year", "years", "chain", "entries", "entry"])

# True proper nouns and codes that look like English words, with where they come from.
ALLOWED = frozenset({
    "fairshare",     # the project's name
    "ircc",          # Immigration, Refugees and Citizenship Canada (a source's acronym)
})

ROLES = ("coordinator", "officer-qc", "analyst", "auditor")
MAX_PAGES = 40  # per role: enough to reach every kind of page, bounded for time


class _Text(HTMLParser):
    """The visible text of a page, plus its accessible attributes."""

    SKIP = frozenset({"script", "style"})
    ATTRS = ("title", "alt", "aria-label", "placeholder")
    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                      "source", "track", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden: skipped or another language)
        self.links: list[str] = []

    def _hidden(self) -> bool:
        return any(h for _, h in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        other_language = (values.get("lang") or "fr")[:2] != "fr" and tag != "html"
        hidden = tag in self.SKIP or other_language or values.get("translate") == "no"
        if not hidden and not self._hidden():
            self.parts += [values[a] or "" for a in self.ATTRS if values.get(a)]
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        if tag not in self.VOID:
            self.stack.append((tag, hidden))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if not self._hidden():
            self.parts += [values[a] or "" for a in self.ATTRS if values.get(a)]

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self.parts.append(data)


def visible_text(html: str) -> tuple[str, list[str]]:
    """The page's visible text and its links."""
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts), parser.links


def english_words(text: str) -> list[str]:
    """The stop-list words of ``text`` (case-insensitive, whole words, apostrophes split).
    A token with a digit, ``-``, ``_``, ``/`` or an inner ``.`` is a code or an identifier
    (``f-29bb60a7``, ``run.create``, ``asylum_claims[2019..2023]``), not a word.

    >>> english_words("La famille n'est pas placée; Family goes to the QC (f-be12, run.create)")
    ['family', 'goes', 'to', 'the']
    """
    out = []
    for token in re.findall(r"[\w.\-/'’]+", text):
        token = token.strip(".'’")
        if re.search(r"[\d_/-]|\.", token):
            continue
        out += [w.lower() for w in re.split(r"['’]", token)
                if w.lower() in ENGLISH and w.lower() not in ALLOWED]
    return out


def with_french(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "lang"] + [("lang", "fr")]
    return f"{parts.path}?{urlencode(query)}"


def _kind(path: str) -> str:
    """A page's kind, so that the crawl visits a few of each (runs, explanations)."""
    return re.sub(r"/(R\d+|[^/]*\d[^/]*)", "/*", path)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> SeededApp:
    seeded = seeded_app(tmp_path_factory.mktemp("crawl"), families=12)
    from fastapi.testclient import TestClient

    client = TestClient(seeded.client.app)
    csrf = login(client, "coordinator", seeded.passwords["coordinator"])
    r = client.post("/matching/runs", data={"policy": "balanced", "key": "canada-population",
                                            "solver": "auto", "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    # The run is a job (its own process): wait for it, so the crawl finds the run's pages.
    client.app.state.jobs.wait(r.headers["location"].rsplit("/", 1)[1], timeout=600)  # type: ignore[attr-defined]
    return seeded


def _crawl(client: Any, start: list[str]) -> dict[str, str]:
    """Every page reachable from ``start`` (same site, GET), in French: url -> visible text."""
    seen: dict[str, str] = {}
    kinds: dict[str, int] = {}
    queue = list(start)
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(
                ("/static", "/api", "/logout")):
            continue
        french = with_french(url)
        kind = _kind(parts.path)
        if french in seen or kinds.get(kind, 0) >= 3:
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
        r = client.get(french)
        assert r.status_code < 500, (french, r.text[:500])
        text, links = visible_text(r.text)
        seen[french] = text
        queue += [parts.path + link if link.startswith("?") else link for link in links
                  if link.startswith(("/", "?"))]
    return seen


def _errors_in_french(app: SeededApp, client: Any, csrf: str) -> dict[str, str]:
    """Pages showing errors raised by the service and the pages (404, refused decisions)."""
    out = {}
    pages = {"/matching/runs/R99999": client.get("/matching/runs/R99999?lang=fr"),
             "/nowhere": client.get("/nowhere?lang=fr")}
    run = re.search(r'href="(/matching/runs/R\d+)"', client.get("/matching?lang=fr").text)
    if run:
        family = re.search(r'href="(/matching/runs/R\d+/families/[^"]+)"',
                           client.get(run.group(1) + "?lang=fr").text)
        if family:
            decide = family.group(1) + "/decide?lang=fr"
            form = {"kind": "override", "to": "", "reason_code": "other", "reason": "vu ici",
                    "csrf_token": csrf}
            client.post(decide, data=form)  # decided (the crawl opened the explanation)...
            pages["decided-again"] = client.post(decide, data=form)  # ...so this is refused
            pages["reason-too-short"] = client.post(decide, data={**form, "reason": "vu"})
    pages["assign-unknown"] = client.post("/matching/assign?lang=fr", data={
        "family_id": "F-nope", "to": "QC", "reason_code": "other", "reason": "essai",
        "csrf_token": csrf})
    pages["batch-invalid"] = client.post(
        "/batch/validate?lang=fr", data={"agreement_id": "demo-qc-ca", "csrf_token": csrf},
        files={"file": ("x.csv", b"claimant_id,family_id,religion,birth_year\n1,f,x,1700\n",
                        "text/csv")})
    import csv
    import io

    from fairshare.exchange.synth import synth_claimant_rows

    rows = synth_claimant_rows(families=2, seed=5)
    rows[0] = {**rows[0], "birth_year": "1700", "sex": "Q", "languages": "klingon"}
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    pages["batch-bad-rows"] = client.post(
        "/batch/validate?lang=fr", data={"agreement_id": "demo-qc-ca", "csrf_token": csrf},
        files={"file": ("rows.csv", buffer.getvalue().encode(), "text/csv")})
    for name, r in pages.items():
        assert 400 <= r.status_code < 500, (name, r.status_code)
        out[name] = visible_text(r.text)[0]
    return out


def _every_overview(client: Any) -> dict[str, str]:
    """The overview under every key and for every period it offers (their notes differ)."""
    html = client.get("/?lang=fr").text
    select = {name: re.findall(r'<option value="([^"]+)"', body) for name, body in
              re.findall(r'<select id="(key|years)"[^>]*>(.*?)</select>', html, re.S)}
    out = {}
    for key in select["key"]:
        for years in (select["years"][0], select["years"][-1], "2025"):
            url = f"/?{urlencode({'key': key, 'years': years, 'lang': 'fr'})}"
            out[url] = visible_text(client.get(url).text)[0]
    return out


@pytest.mark.parametrize("role", ROLES)
def test_french_pages_have_no_english(app: SeededApp, role: str) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(app.client.app)
    csrf = login(client, role, app.passwords[role])
    pages = _crawl(client, ["/", "/keys", "/matching", "/batch", "/audit", "/pledges"])
    assert len(pages) >= 3
    if role == "coordinator":
        pages.update(_errors_in_french(app, client, csrf))
        pages.update(_every_overview(client))
        assert any("/families/" in p for p in pages), sorted(pages)
    offenders = {url: sorted(set(english_words(text))) for url, text in pages.items()}
    offenders = {url: words for url, words in offenders.items() if words}
    assert not offenders, "\n".join(f"{u}: {w}" for u, w in offenders.items())


def test_login_page_is_french() -> None:
    """The page before login (no role) too."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as home:
        seeded = seeded_app(Path(home), families=4)
        text, _ = visible_text(seeded.client.get("/login?lang=fr").text)
        assert not english_words(text), english_words(text)
        seeded.client.close()


def test_numbers_on_a_french_page_follow_fr_ca(app: SeededApp) -> None:
    """Tables and charts format numbers alike, as Babel's fr_CA: no-break space, decimal comma."""
    from babel.numbers import format_decimal
    from fastapi.testclient import TestClient

    client = TestClient(app.client.app)
    login(client, "analyst", app.passwords["analyst"])
    html = client.get("/?key=canada-population&years=2019-2024&lang=fr").text
    table = html[html.index('id="balance-table"'):]
    cells = re.findall(r"<td>([^<]+)</td>", table)
    big = [c for c in cells if re.fullmatch(r"-?\d{1,3}(?:[\u00a0\u202f]\d{3})+", c)]
    assert big, cells[:20]
    assert not any(re.fullmatch(r"-?\d{1,3}(?:,\d{3})+", c) for c in cells), cells
    assert any(re.fullmatch(r"\d+,\d+", c) for c in cells), cells[:20]  # decimal comma
    svg = html[html.index('id="bars"'):html.index("</svg>", html.index('id="bars"'))]
    labels = re.findall(r">(-?[\d\u00a0\u202f,.]+)</text>", svg)
    assert labels and not any(re.search(r"\d,\d{3}\b", s) for s in labels), labels
    value = int(big[0].replace("\u00a0", "").replace("\u202f", ""))
    assert big[0] == format_decimal(value, locale="fr_CA")
    coordinator = TestClient(app.client.app)
    login(coordinator, "coordinator", app.passwords["coordinator"])
    run = re.search(r'href="(/matching/runs/R\d+)"', coordinator.get("/matching").text)
    assert run
    plan = coordinator.get(run.group(1) + "?lang=fr").text
    plan = plan[plan.index('id="plan-table"'):plan.index("</table>", plan.index('id="plan-table"'))]
    plan_cells = re.findall(r"<td>([^<]+)</td>", plan)
    assert plan_cells and not [c for c in plan_cells if re.fullmatch(r"\d{4,}", c)], plan_cells
