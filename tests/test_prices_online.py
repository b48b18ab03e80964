"""Destination prices from the registry's recent arrivals (issue 11, point 5): `prices update`
stores and audits them; `run create --online` uses the latest and records which (SQLite and
PostgreSQL), on the CLI, the API schema and the web form."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

import registry_fixtures as rf
from fairshare.errors import InputError, NotFoundError
from fairshare.exchange.agreements import synth_agreement_yaml
from fairshare.i18n import from_json
from fairshare.service import (
    Context,
    add_agreement,
    create_run,
    import_claimants,
    latest_prices,
    replay_run,
    show_audit,
    show_run,
    update_prices,
    verify_audit,
)
from fairshare.service.prices import apply_prices, parse_horizon
from registry_fixtures import add_offers, table_counts, write_csv

registry = rf.registry
AGREEMENT = "qc-ca-arrivals"
OFFERS = [("NB-1", "NB", 4), ("ON-1", "ON", 8), ("NS-1", "NS", 8), ("QC-1", "QC", 8)]


def _agreement(folder: Path) -> Path:
    """The example agreement, with arrived_on among its fields."""
    doc = yaml.safe_load(synth_agreement_yaml(agreement_id=AGREEMENT))
    doc["fields"].append("arrived_on")
    path = folder / f"{AGREEMENT}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _rows(today: dt.date, n: int = 8) -> list[dict[str, str]]:
    """``n`` two-person families that arrived over the last three weeks (half French-speaking,
    half English-speaking; the first half with tertiary education)."""
    return [rf.person(f"C{f}-{m}", f"F{f}", languages="fr:fluent" if f % 2 else "en:fluent",
                      education="tertiary" if f <= n // 2 else "none",
                      arrived_on=(today - dt.timedelta(days=21 - 2 * f)).isoformat())
            for f in range(1, n + 1) for m in range(2)]


def _setup(ctx: Context, folder: Path, *, arrived: bool = True, key: str | None = None) -> None:
    """The agreement, the families and the offers; ``key`` (hex) fixes the pseudonymisation
    key, and so the families' ids and the order the solver sees them in."""
    if key is not None:
        ctx.settings.keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = ctx.settings.keys_dir / f"{AGREEMENT}.key"
        path.write_text(key + "\n", encoding="ascii")
        path.chmod(0o600)
    add_agreement(ctx, path=_agreement(folder))
    rows = _rows(ctx.today())
    if not arrived:
        rows = [{**r, "arrived_on": ""} for r in rows]
    import_claimants(ctx, path=write_csv(folder / "b.csv", rows), agreement_id=AGREEMENT)
    add_offers(ctx, folder, OFFERS)


def _plan(detail) -> dict[str, str | None]:
    return {r.family_id: r.destination for r in detail.recommendations}


def _snapshot_problem(ctx: Context, run_id: str):
    """The problem a run stored in its snapshot (raw scores)."""
    from fairshare.service.snapshot import load_snapshot, problem_from_json
    from fairshare.store.engine import read_transaction

    with read_transaction(ctx.engine) as conn:
        doc = load_snapshot(conn, run_id)
    assert doc is not None
    return problem_from_json(doc["problem"])


def _value(problem, detail) -> float:
    """A plan's total score per person under ``problem``'s scores."""
    sizes = {f.id: f.size for f in problem.families}
    return sum(sizes[f] * problem.scores[f][d] for f, d in _plan(detail).items() if d)


def test_prices_update_stores_and_audits(registry: Context, tmp_path):
    _setup(registry, tmp_path)
    info = update_prices(registry, horizon_days=60, samples=3, seed=1, actor="ana")
    assert info.recent_arrivals == 8 and info.model_id == "default"
    assert sorted(info.prices) == ["NB", "NS", "ON", "QC"]
    assert all(p >= 0 for p in info.prices.values()) and max(info.prices.values()) > 0
    assert latest_prices(registry) == dataclass_without_recent(info)
    entry = show_audit(registry, action="prices.update")[0]
    assert entry.actor == "ana" and entry.details["inputs_sha256"] == info.inputs_sha256
    assert entry.details["row_digests"][0]["table"] == "destination_prices"
    assert verify_audit(registry).ok
    # the same registry, options and seed give the same inputs' hash and prices
    again = update_prices(registry, horizon_days=60, samples=3, seed=1)
    assert (again.id, again.inputs_sha256, again.prices) == (info.id + 1, info.inputs_sha256,
                                                             info.prices)
    # audit verify covers the row: a price changed behind the application's back is found
    rf.tamper(registry, f"UPDATE destination_prices SET prices = '{json.dumps({'NB': 9.0})}' "
                        f"WHERE id = {info.id}")
    result = verify_audit(registry)
    assert not result.ok and f"destination_prices row {info.id}" in str(result.problem)


def dataclass_without_recent(info):
    import dataclasses

    return dataclasses.replace(info, recent_arrivals=None)


@pytest.mark.parametrize(("horizon", "samples", "message"), [
    (-5, 3, "--horizon must be at least 1 day"),
    (60, 0, "--samples must be at least 1"),
    (5, 3, "No family waiting in the registry arrived in the last 5 days"),
])
def test_bad_options_store_nothing(registry: Context, tmp_path, horizon, samples, message):
    _setup(registry, tmp_path)
    before = table_counts(registry)
    with pytest.raises(InputError, match=message):
        update_prices(registry, horizon_days=horizon, samples=samples)
    assert table_counts(registry) == before


def test_no_arrival_dates_is_a_clear_error(registry: Context, tmp_path):
    _setup(registry, tmp_path, arrived=False)
    with pytest.raises(InputError, match="arrived_on column"):
        update_prices(registry, horizon_days=183, samples=2)


def test_online_run_records_the_prices_and_differs_when_they_bind(registry: Context, tmp_path):
    # A dual price is the score difference that makes the marginal family indifferent, so the
    # priced problem has tied optima, the offline plan sometimes among them: which one the
    # solver returns depends on the families' order, i.e. on their pseudonyms. A fixed key
    # makes that order, and so this test, the same on every run.
    _setup(registry, tmp_path, key="1e" * 32)
    before = table_counts(registry)
    with pytest.raises(NotFoundError, match="fairshare prices update"):
        create_run(registry, policy="outcome", key="canada-population", online=True)
    assert table_counts(registry) == before
    prices = update_prices(registry, horizon_days=60, samples=3)
    offline = create_run(registry, policy="outcome", key="canada-population")
    online = create_run(registry, policy="outcome", key="canada-population", online=True)
    assert "prices" not in offline.run.versions
    assert online.run.versions["prices"] == prices.id
    assert online.run.versions["prices_sha256"] == prices.inputs_sha256
    assert online.run.versions["notes"] == []
    assert show_run(registry, run_id=online.run.id).as_dict()["run"]["versions"]["prices"] \
        == prices.id
    entries = {e.entity_id: e for e in show_audit(registry, action="run.create")}
    assert entries[online.run.id].details["prices"] == prices.id
    assert entries[offline.run.id].details["prices"] is None
    # Each plan is optimal for the scores its run solved: the online one for the priced scores,
    # the offline one for the raw scores (whatever the families' order).
    raw = _snapshot_problem(registry, offline.run.id)
    priced = apply_prices(raw, prices.prices)
    assert _value(priced, online) >= _value(priced, offline) - 1e-9
    assert _value(raw, offline) >= _value(raw, online) - 1e-9
    # The priced destinations (QC, NS: wanted by the families expected later) give up places.
    assert _plan(online) != _plan(offline)
    assert online.run.placed == offline.run.placed  # persons first in both
    used = {c: sum(r.persons for r in online.recommendations if r.destination == c)
            for c in prices.prices}
    used_off = {c: sum(r.persons for r in offline.recommendations if r.destination == c)
                for c in prices.prices}
    top = max(prices.prices, key=lambda c: prices.prices[c])
    assert used[top] <= used_off[top]
    assert replay_run(registry, run_id=online.run.id).identical


def test_stale_prices_warn_in_the_run(registry: Context, tmp_path):
    _setup(registry, tmp_path)
    update_prices(registry, horizon_days=30, samples=1)
    registry.clock.advance(days=31)  # type: ignore[attr-defined]
    run = create_run(registry, policy="outcome", key="canada-population", online=True)
    (note,) = run.run.versions["notes"]
    assert note["msgid"] == "note_prices_stale"  # stored as a message, shown in its reader's language
    english, french = from_json(note).render("en"), from_json(note).render("fr")
    assert "more than their 30-day horizon" in english and "fairshare prices update" in english
    assert "au-delà de leur horizon de 30 jours" in french and "31 jours" in french


def test_apply_prices_keeps_scores_in_range_and_orders_by_net_value():
    from fairshare.matching import Destination, Family, Problem

    problem = Problem(families=(Family(id="a", size=1, consent=True),),
                      destinations=(Destination(code="X", capacity=1),
                                    Destination(code="Y", capacity=1)),
                      scores={"a": {"X": 0.9, "Y": 0.5}})
    priced = apply_prices(problem, {"X": 0.6, "Y": 0.0})
    x, y = priced.scores["a"]["X"], priced.scores["a"]["Y"]
    assert 0 <= x < y <= 1  # 0.9 - 0.6 = 0.3 < 0.5 - 0 = 0.5
    assert y - x == pytest.approx(0.2 / 1.6)


def test_parse_horizon():
    assert parse_horizon("183d") == 183 and parse_horizon("30") == 30
    for bad in ("-5d", "0d", "six months", ""):
        with pytest.raises(InputError, match="--horizon"):
            parse_horizon(bad)


def test_api_schema_and_web_form_offer_online():
    from fairshare.api.schemas.runs import RunCreate

    assert RunCreate().online is False and RunCreate(online=True).online is True
    root = Path(__file__).resolve().parents[1] / "src" / "fairshare" / "web" / "templates"
    assert 'name="online"' in (root / "matching.html").read_text(encoding="utf-8")
    from fairshare.i18n import catalogue

    for lang in ("en", "fr"):
        words = catalogue(lang)
        assert words["run_online"] and words["run_online_help"]


def test_cli_prices_and_online_run(run_cli, tmp_path):
    env = {"FAIRSHARE_HOME": str(tmp_path / "var"), "FAIRSHARE_USER": "cli-tester",
           "FAIRSHARE_DATABASE_URL": ""}

    def ok(*args):
        result = run_cli(*args, env=env)
        assert result.exit_code == 0, result
        return result

    assert "--horizon" in ok("prices", "update", "--help").stdout
    assert "--online" in ok("run", "create", "--help").stdout
    ok("init")
    ok("agreements", "add", str(_agreement(tmp_path)))
    write_csv(tmp_path / "b.csv", _rows(dt.datetime.now(dt.UTC).date()))
    ok("import", "claimants", "b.csv", "--agreement", AGREEMENT)
    rf.write_capacity(tmp_path / "cap.csv", OFFERS)
    ok("capacity", "add", "cap.csv")
    refused = run_cli("run", "create", "--policy", "outcome", "--key", "canada-population",
                      "--online", env=env)
    assert refused.exit_code == 2 and "fairshare prices update" in refused.stderr
    for bad, says in ((["--horizon", "-5d"], "--horizon"), (["--samples", "0"], "--samples"),
                      (["--horizon", "1d"], "No family waiting")):
        result = run_cli("prices", "update", *bad, env=env)
        assert result.exit_code == 2 and says in result.stderr, result
    assert "No destination prices" in run_cli("prices", "show", env=env).stderr
    stored = json.loads(ok("prices", "update", "--horizon", "60d", "--samples", "2",
                           "--format", "json").stdout)
    assert stored["id"] == 1 and stored["horizon_days"] == 60
    run = json.loads(ok("run", "create", "--policy", "outcome", "--key", "canada-population",
                        "--online", "--format", "json").stdout)
    shown = json.loads(ok("run", "show", run["id"], "--format", "json").stdout)
    assert shown["run"]["versions"]["prices"] == 1


def test_web_form_and_api_create_online_runs(tmp_path):
    from fairshare.service import Settings, open_context
    from webapp_helpers import TestClient, login, seeded_app

    app = seeded_app(tmp_path / "home", families=6)
    client = TestClient(app.client.app)
    csrf = login(client, "coordinator", app.passwords["coordinator"])
    page = client.get("/matching").text
    assert 'name="online"' in page and "Online: use the latest destination prices" in page
    assert "En ligne : utiliser les derniers prix" in client.get("/matching?lang=fr").text
    client.get("/matching?lang=en")
    form = {"policy": "outcome", "key": "canada-population", "solver": "auto",
            "online": "on", "csrf_token": csrf}
    refused = client.post("/matching/runs", data=form, follow_redirects=False)
    assert refused.status_code == 404 and "fairshare prices update" in refused.text
    api = app.client.post("/api/v1/runs", headers=app.auth("coordinator"),
                          json={"policy": "outcome", "online": True})
    assert api.status_code == 404 and "fairshare prices update" in api.text
    ctx = open_context(Settings.for_home(tmp_path / "home",
                                         database_url=app.settings.database_url))
    try:
        _setup(ctx, tmp_path)
        prices = update_prices(ctx, horizon_days=60, samples=2)
    finally:
        ctx.close()
    done = client.post("/matching/runs", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/matching/jobs/")
    job_id = done.headers["location"].split("/")[3]
    client.app.state.jobs.wait(job_id)
    run_id = client.get(f"/api/v1/jobs/{job_id}").json()["run_id"]
    ctx = open_context(Settings.for_home(tmp_path / "home",
                                         database_url=app.settings.database_url))
    try:
        assert show_run(ctx, run_id=run_id).run.versions["prices"] == prices.id
    finally:
        ctx.close()
    created = app.client.post("/api/v1/runs?wait=true", headers=app.auth("coordinator"),
                              json={"policy": "outcome", "online": True})
    assert created.status_code == 201 and created.json()["versions"]["prices"] == prices.id
