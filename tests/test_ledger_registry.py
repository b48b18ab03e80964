"""The one ledger: published intake plus registry transfers by date, the current year from the
registry alone, negative net intakes refused, and CLI / API / run create agreeing."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import registry_fixtures as rf
from fairshare.analysis import balance_frame
from fairshare.errors import InputError
from fairshare.service import (
    Context,
    create_run,
    decide,
    import_claimants,
    open_explanation,
    registry_flows,
)
from fairshare.service.ledger import balance_frame as registry_balance
from registry_fixtures import add_offers, families_rows, table_counts, write_csv

registry = rf.registry


def test_a_transfer_making_a_net_intake_negative_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "moves.csv"
    path.write_text("from,to,count,date\nQC,NB,999999,2024-03-01\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        balance_frame("canada-population", years="2024", transfers=str(path))
    assert "net intake negative" in str(caught.value)
    assert any(d.startswith("2024, QC:") and "= -" in d for d in caught.value.details)
    # a transfer outside the years shown is checked too when its year is shown
    assert balance_frame("canada-population", years="2023", transfers=str(path)) is not None


def test_cli_balance_refuses_a_negative_net_intake(run_cli, tmp_path: Path) -> None:
    (tmp_path / "moves.csv").write_text("from,to,count,date\nQC,NB,999999,2024-03-01\n",
                                        encoding="utf-8")
    env = {"FAIRSHARE_HOME": str(tmp_path / "var"), "FAIRSHARE_DATABASE_URL": ""}
    result = run_cli("balance", "--key", "canada-population", "--years", "2024", "--transfers", "moves.csv", env=env)
    assert result.exit_code == 2
    assert "negative" in result.stderr and "2024, QC" in result.stderr
    assert not (tmp_path / "var").exists()  # no registry was created by a read


def _decided(ctx: Context, folder: Path) -> tuple[str, str, int]:
    import_claimants(ctx, path=write_csv(folder / "b.csv", families_rows(6, size=2)),
                     agreement_id=rf.AGREEMENT)
    add_offers(ctx, folder, [("NB-1", "NB", 6), ("ON-1", "ON", 6)])
    run = create_run(ctx, policy="balanced", key="canada-population")
    rec = next(r for r in run.recommendations if r.destination)
    open_explanation(ctx, run_id=run.run.id, family_id=rec.family_id, actor="ana")
    decide(ctx, run_id=run.run.id, family_id=rec.family_id, kind="accept", reason="fits",
           decided_by="ana")
    return run.run.id, str(rec.destination), rec.persons


def test_the_current_year_comes_from_the_registry(registry: Context, tmp_path: Path) -> None:
    _, dest, persons = _decided(registry, tmp_path)
    flows = registry_flows(registry)
    assert flows.current_year == 2026  # the registry's clock: 2026-06-01
    df = registry_balance(registry.settings, key="canada-population", years="2026").set_index("code")
    assert set(df["source"]) == {"registry"}
    assert df.loc[dest, "transfers_in"] == persons and df.loc["QC", "transfers_out"] == persons
    assert df.loc["QC", "intake"] == 12  # the persons the registry received from Quebec
    assert df["net_intake"].sum() == 12 and df["fair_share"].sum() == 12
    assert any("registry data alone" in str(n) for n in df.attrs["notes"])
    # published years are unchanged by a 2026 transfer
    published = registry_balance(registry.settings, key="canada-population", years="2024")
    assert published["transfers_in"].sum() == 0 and set(published["source"]) == {"published"}


def test_run_create_uses_the_same_ledger(registry: Context, tmp_path: Path) -> None:
    _decided(registry, tmp_path)
    add_offers(registry, tmp_path, [("AB-1", "AB", 4)])
    run = create_run(registry, policy="balanced", key="canada-population")
    cumulative = registry_balance(registry.settings, key="canada-population", years="2019-2026",
                                  cumulative=True).set_index("code")
    for row in run.destinations:
        assert row["surplus_before"] == cumulative.loc[row["code"], "surplus"], row


def test_a_registry_state_with_a_negative_net_intake_is_refused(registry: Context,
                                                                tmp_path: Path) -> None:
    from sqlalchemy import update

    from fairshare.store.engine import write_transaction
    from fairshare.store.tables import transfers

    _decided(registry, tmp_path)
    with write_transaction(registry.engine) as conn:  # a corrupted store, not a user action
        conn.execute(update(transfers).values(persons=5000))
    before = table_counts(registry)
    with pytest.raises(InputError, match="net intake negative"):
        registry_balance(registry.settings, key="canada-population", years="2026")
    with pytest.raises(InputError, match="net intake negative"):
        create_run(registry, policy="balanced", key="canada-population")
    assert table_counts(registry) == before


def test_cli_api_and_runs_agree_on_the_2026_balance(run_cli, tmp_path: Path) -> None:
    env = {"FAIRSHARE_HOME": str(tmp_path / "var"), "FAIRSHARE_USER": "cli",
           "FAIRSHARE_DATABASE_URL": ""}

    def ok(*args: str) -> str:
        result = run_cli(*args, env=env)
        assert result.exit_code == 0, result
        return result.stdout

    ok("init")
    ok("synth", "agreement", "--out", "agreement.yaml")
    ok("agreements", "add", "agreement.yaml")
    ok("synth", "claimants", "--families", "12", "--seed", "3", "--out", "claimants.csv")
    ok("synth", "capacity", "--out", "capacity.csv", "--seed", "2", "--persons", "40")
    ok("capacity", "add", "capacity.csv")
    ok("import", "claimants", "claimants.csv", "--agreement", "qc-ca-relocation-2026")
    run = json.loads(ok("run", "create", "--policy", "balanced", "--key", "canada-population",
                        "--format", "json"))
    shown = json.loads(ok("run", "show", run["id"], "--format", "json"))
    rec = next(r for r in shown["recommendations"] if r["destination"])
    ok("explain", run["id"], rec["family_id"], "--by", "ana")
    ok("decide", run["id"], rec["family_id"], "accept", "--reason", "fits", "--by", "ana")
    year = json.loads(ok("balance", "--key", "canada-population", "--years", "2026", "--format", "json"))
    by_code = {r["code"]: r for r in year}
    assert {r["source"] for r in year} == {"registry"}
    assert by_code[rec["destination"]]["transfers_in"] == rec["persons"]
    cumulative = {r["code"]: r for r in json.loads(ok(
        "balance", "--key", "canada-population", "--years", "2019-2026", "--cumulative", "--format", "json"))}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from fairshare.api import Settings, create_app
    from fairshare.service.accounts import create_token, create_user
    from fairshare.store.engine import make_engine, write_transaction

    settings = Settings.for_home(tmp_path / "var", secure_cookies=False)
    engine = make_engine(settings.database_url)
    with write_transaction(engine) as conn:
        create_user(conn, username="reader", password="a-long-password-1", role="analyst")
        create_user(conn, username="coord", password="a-long-password-2", role="coordinator")
        token = create_token(conn, username="reader", name="t")[1]
        coordinator = create_token(conn, username="coord", name="t")[1]
    engine.dispose()
    client = TestClient(create_app(settings))
    h = {"Authorization": f"Bearer {token}"}
    c = {"Authorization": f"Bearer {coordinator}"}
    posted = client.post("/api/v1/runs?wait=true", headers=c, json={"policy": "balanced",
                                                                   "model": "default"})
    assert posted.status_code == 201, posted.text
    assert posted.json()["model"]["id"] == "default"
    missing = client.post("/api/v1/runs", headers=c, json={"policy": "balanced",
                                                          "model": "M0042"})
    assert missing.status_code == 404 and "M0042" in missing.json()["error"]["message"]
    from webapp_helpers import login

    login(client, "coord", "a-long-password-2")
    form = client.get("/matching").text
    assert 'name="model"' in form and '<option value="default">' in form
    overview = client.get("/?years=2026").text
    assert "registry data alone" in overview and '<option value="2026" selected>' in overview
    page = client.get(f"/matching/runs/{run['id']}").text
    assert 'id="run-model"' in page and "Default scorer" in page
    # the coordinator's exact figures: an analyst gets small transfers withheld
    api_year = client.get("/api/v1/balance?years=2026", headers=c)
    assert api_year.status_code == 200, api_year.text
    api_rows = {r["code"]: r for r in api_year.json()["rows"]}
    analyst = {r["code"]: r for r in client.get("/api/v1/balance?years=2026",
                                                 headers=h).json()["rows"]}
    assert set(analyst) == set(api_rows)  # the same rows; small figures withheld (None)
    assert all(analyst[k]["net_intake"] in (None, api_rows[k]["net_intake"]) for k in analyst)
    for code, row in by_code.items():
        assert api_rows[code]["net_intake"] == row["net_intake"], code
        assert api_rows[code]["source"] == "registry"
    api_cum = {r["code"]: r for r in client.get(
        "/api/v1/balance?years=2019-2026&cumulative=true", headers=c).json()["rows"]}
    second = json.loads(ok("run", "create", "--policy", "balanced", "--key",
                           "canada-population", "--format", "json"))
    after = json.loads(ok("run", "show", second["id"], "--format", "json"))
    assert after["model"]["id"] == "default"
    for row in after["destinations"]:
        assert row["surplus_before"] == cumulative[row["code"]]["surplus"]
        assert api_cum[row["code"]]["surplus"] == cumulative[row["code"]]["surplus"]
