"""The loop of issue 10, end to end, once through the real CLI and once through the REST API,
each on SQLite and on PostgreSQL:

agreement -> import (a bad file refused first) -> model trained and added -> run scored by
the model (its scores differ from the default scorer's) -> explanation opened -> decisions ->
the family is in D -> D's export lists it -> the current year's balance moved by the transfer
-> a newer run supersedes and leaves out placed and staying families -> reopen -> revoke ->
the next run excludes the revoked agreement's families -> audit verify intact -> a tampered
transfer row and a deleted tail are each detected.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fairshare.exchange.synth import synth_claimant_rows, write_claimants_csv
from fairshare.service import Context, Settings, open_context
from registry_fixtures import (
    fresh_pg_database,
    pg_template,
    tamper,
    write_agreement_with_parties,
    write_capacity,
)

QC_NB = "qc-nb-e2e"       # Quebec shares with New Brunswick (and the federal coordinator)
QC_CA = "qc-ca-e2e"       # Quebec shares with the federal coordinator only
FAMILIES = 12


@dataclass
class Database:
    """Where the loop runs: an empty folder and its database URL ('' = SQLite in the folder)."""

    home: Path
    url: str

    def context(self) -> Context:
        """A service context on the same database (to tamper with it as an attacker would)."""
        if self.url:
            return open_context(Settings(home=self.home, database_url=self.url,
                                         keys_dir=self.home / "keys", actor="attacker"))
        return open_context(Settings.for_home(self.home))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An outcome model trained by the CLI on a synthetic history (once for the module)."""
    folder = tmp_path_factory.mktemp("model")
    for args in (("synth", "history", "--persons", "1200", "--seed", "7", "--out", "history.csv"),
                 ("outcomes", "train", "--data", "history.csv", "--out", "model")):
        proc = subprocess.run([sys.executable, "-m", "fairshare", *args], cwd=folder,
                              capture_output=True, text=True, timeout=600, check=False,
                              env={**os.environ, "FAIRSHARE_HOME": str(folder / "var")})
        assert proc.returncode == 0, proc.stderr
    return folder / "model"


def _scores(ctx: Context, run_id: str) -> dict[str, dict[str, float]]:
    """The per-destination scores a run was solved with (from its stored snapshot)."""
    from fairshare.service.snapshot import load_snapshot

    with ctx.engine.connect() as conn:
        doc = load_snapshot(conn, run_id)
        assert doc is not None
    return dict(doc["problem"]["scores"])


def _differ(a: dict[str, dict[str, float]], b: dict[str, dict[str, float]]) -> float:
    return max(abs(a[f][d] - b[f][d]) for f in a for d in a[f])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        yield Database(tmp_path / "var", "")
        return
    url, drop = fresh_pg_database(pg_template())
    try:
        yield Database(tmp_path / "var", url)
    finally:
        drop()


def _inputs(folder: Path) -> dict[str, Path]:
    """The files a user brings: two agreements, two batches, a bad batch (its last family is
    in Ontario, not a party), capacity offers."""
    folder.mkdir(parents=True, exist_ok=True)
    write_agreement_with_parties(folder, QC_NB, [("QC", "provider"), ("NB", "recipient"),
                                                 ("CA", "recipient")])
    write_agreement_with_parties(folder, QC_CA, [("QC", "provider"), ("CA", "recipient")])
    write_claimants_csv(synth_claimant_rows(families=FAMILIES, seed=11), folder / "nb.csv")
    write_claimants_csv(synth_claimant_rows(families=5, seed=12), folder / "ca.csv")
    bad = synth_claimant_rows(families=3, seed=13)
    for row in bad:
        if row["family_id"] == bad[-1]["family_id"]:
            row["current_jurisdiction"] = "ON"
    write_claimants_csv(bad, folder / "bad.csv")
    write_capacity(folder / "capacity.csv", [("NB-1", "NB", 40), ("PE-1", "PE", 10)])
    return {"nb_agreement": folder / f"{QC_NB}.yaml", "ca_agreement": folder / f"{QC_CA}.yaml",
            "nb": folder / "nb.csv", "ca": folder / "ca.csv", "bad": folder / "bad.csv",
            "capacity": folder / "capacity.csv"}


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_loop_through_the_cli(run_cli: Any, database: Database, tmp_path: Path,
                                  model_dir: Path) -> None:
    env = {"FAIRSHARE_HOME": str(database.home), "FAIRSHARE_DATABASE_URL": database.url,
           "FAIRSHARE_KEYS_DIR": str(database.home / "keys"), "FAIRSHARE_USER": "ana"}
    files = _inputs(tmp_path / "in")

    def cli(*args: str, code: int = 0) -> Any:
        result = run_cli(*args, env=env)
        assert result.exit_code == code, result
        return result

    def js(*args: str) -> Any:
        return json.loads(cli(*args, "--format", "json").stdout)

    cli("init")
    cli("agreements", "add", str(files["nb_agreement"]))
    cli("agreements", "add", str(files["ca_agreement"]))
    refused = cli("import", "claimants", str(files["bad"]), "--agreement", QC_NB, code=2)
    assert "ON is not a party of agreement 'qc-nb-e2e'" in refused.stderr
    for n, row in enumerate(_csv(files["bad"]), start=1):
        named = f"row {n}, column current_jurisdiction: ON is not a party" in refused.stderr
        assert named == (row["current_jurisdiction"] == "ON")
    assert js("status")["counts"]["claimants"] == 0
    cli("import", "claimants", str(files["nb"]), "--agreement", QC_NB)
    cli("capacity", "add", str(files["capacity"]))

    # the trained model scores the runs; the default scorer's scores differ
    model = cli("models", "add", str(model_dir), "--name", "synthetic 1200").stdout
    assert "M0001" in model
    plain = js("run", "create", "--policy", "balanced", "--key", "canada-population",
               "--model", "default")
    first = js("run", "create", "--policy", "balanced", "--key", "canada-population")
    assert plain["model"]["id"] == "default" and first["model"]["id"] == "M0001"
    assert js("run", "show", first["id"])["model"]["id"] == "M0001"
    ctx = database.context()
    try:
        assert _differ(_scores(ctx, first["id"]), _scores(ctx, plain["id"])) > 0.05
    finally:
        ctx.close()
    assert first["families"] == FAMILIES
    recs = js("run", "show", first["id"])["recommendations"]
    moving = [r for r in recs if r["destination"] == "NB"]
    assert len(moving) >= 2, recs
    placed, kept = moving[0], moving[1]
    unread = cli("decide", first["id"], placed["family_id"], "accept", "--reason", "fits",
                 "--by", "bob", code=2)
    assert "bob has not opened the explanation" in unread.stderr
    assert placed["family_id"] in cli("explain", first["id"], placed["family_id"], "--by",
                                      "bob").stdout
    cli("decide", first["id"], placed["family_id"], "accept", "--reason", "fits", "--by", "bob")
    cli("explain", first["id"], kept["family_id"], "--by", "bob")
    assert "stays where it is" in cli("decide", first["id"], kept["family_id"], "override",
                                      "--reason", "wants to stay", "--by", "bob").stdout

    # the family is in New Brunswick now, and New Brunswick's export lists it
    cli("export", "claimants", "--agreement", QC_NB, "--current", "NB", "--out", "nb-out.csv")
    exported = _csv(tmp_path / "nb-out.csv")
    assert len(exported) == placed["persons"]
    assert {r["current_jurisdiction"] for r in exported} == {"NB"}
    refused = cli("export", "claimants", "--agreement", QC_CA, "--current", "NB", "--out",
                  "x.csv", code=2)
    assert "NB is not a party" in refused.stderr and not (tmp_path / "x.csv").exists()
    moves = js("transfers", "list")
    assert [(t["from_code"], t["to_code"], t["persons"]) for t in moves] == [
        ("QC", "NB", placed["persons"])]
    # the current year's balance moved by the transfer (the one ledger)
    year = str(dt.date.today().year)
    balance = {r["code"]: r for r in js("balance", "--key", "canada-population", "--years", year)}
    assert balance["NB"]["transfers_in"] == placed["persons"]
    assert balance["QC"]["transfers_out"] == placed["persons"]

    # a newer run: the old pending recommendations are superseded; placed and staying left out
    second = js("run", "create", "--policy", "balanced", "--key", "canada-population")
    assert second["families"] == FAMILIES - 2
    statuses = {r["family_id"]: r["status"] for r in js("run", "show", first["id"])[
        "recommendations"]}
    assert statuses[placed["family_id"]] == "accepted"
    assert statuses[kept["family_id"]] == "overridden"
    assert set(statuses.values()) == {"accepted", "overridden", "superseded"}
    assert {r["status"] for r in js("run", "show", plain["id"])["recommendations"]} == {
        "superseded"}
    cli("reopen", kept["family_id"], "--reason", "x", code=2)  # reason too short
    assert "again in QC" in cli("reopen", kept["family_id"], "--reason", "new job offer").stdout
    cli("reopen", kept["family_id"], "--reason", "new job offer", code=2)  # not staying now

    # revoke: the agreement's families leave the pool, the other agreement's stay
    cli("import", "claimants", str(files["ca"]), "--agreement", QC_CA)
    cli("agreements", "revoke", QC_NB)
    revoke = js("audit", "show", "--action", "agreement.revoke")[-1]
    assert revoke["details"]["families_leaving_pool"] == FAMILIES - 1  # all waiting ones
    third = js("run", "create", "--policy", "balanced", "--key", "canada-population")
    assert third["families"] == 5
    ids = {r["family_id"] for r in js("run", "show", third["id"])["recommendations"]}
    assert kept["family_id"] not in ids and placed["family_id"] not in ids

    # the audit is intact and covers the rows; tampering is named
    verified = js("audit", "verify")
    assert verified["ok"] and verified["checked"] == ["chain", "rows"]
    assert verified["rows_checked"] > 0
    cli("audit", "checkpoint", "--out", "cp.json")
    assert "checkpoint entry" in cli("audit", "verify", "--checkpoint", "cp.json").stdout
    ctx = database.context()
    try:
        tamper(ctx, "UPDATE transfers SET to_code = 'ON'")
        broken = cli("audit", "verify", code=1)
        assert "transfers row 1" in broken.stdout and "was altered" in broken.stdout
        tamper(ctx, "UPDATE transfers SET to_code = 'NB'")
        assert "intact" in cli("audit", "verify", "--checkpoint", "cp.json").stdout
        tamper(ctx, "DELETE FROM audit_entries WHERE seq = (SELECT max(seq) FROM audit_entries)")
    finally:
        ctx.close()
    assert "intact" in cli("audit", "verify").stdout  # the chain alone cannot see it
    cut = cli("audit", "verify", "--checkpoint", "cp.json", code=1)
    assert "truncated tail" in cut.stdout
    (tmp_path / "junk.json").write_text("{}", encoding="utf-8")
    assert "not a checkpoint" in cli("audit", "verify", "--checkpoint", "junk.json",
                                     code=2).stderr


def test_the_loop_through_the_api(database: Database, tmp_path: Path, model_dir: Path) -> None:
    from fairshare.api import Settings as AppSettings
    from fairshare.api import create_app, prepare_database
    from fairshare.service import add_model, export_claimants, write_checkpoint
    from fairshare.service.accounts import create_token, create_user
    from fairshare.store.engine import write_transaction
    from webapp_helpers import (
        TestClient,  # imported without starlette's httpx2 warning
        create_run_job,
    )

    files = _inputs(tmp_path / "in")
    settings = AppSettings.for_home(database.home, secure_cookies=False)
    if database.url:
        from dataclasses import replace

        settings = replace(settings, database_url=database.url)
    prepare_database(settings)
    app = create_app(settings)
    ctx: Context = app.state.ctx
    tokens = {}
    with write_transaction(ctx.engine) as conn:
        for name, role, code in (("coord", "coordinator", None), ("nb-officer", "officer", "NB"),
                                 ("audit", "auditor", None)):
            create_user(conn, username=name, password="a-long-password", role=role,
                        jurisdiction=code)
            tokens[name] = {"Authorization": f"Bearer {create_token(conn, username=name, name='e2e')[1]}"}
    client = TestClient(app)
    coord, officer, auditor = tokens["coord"], tokens["nb-officer"], tokens["audit"]

    def post(url: str, status: int = 200, **kwargs: Any) -> Any:
        r = client.post(url, headers=kwargs.pop("headers", coord), **kwargs)
        assert r.status_code == status, r.text
        return r.json()

    def get(url: str, headers: dict[str, str] = coord) -> Any:
        r = client.get(url, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    for name in ("nb_agreement", "ca_agreement"):
        post("/api/v1/agreements", 201,
             json={"document": files[name].read_text(encoding="utf-8")})

    def upload(name: str, agreement: str, status: int = 200) -> Any:
        with files[name].open("rb") as handle:
            return post("/api/v1/claimants/import", status, data={"agreement_id": agreement},
                        files={"file": (f"{name}.csv", handle, "text/csv")})

    refused = upload("bad", QC_NB, 422)
    assert any("ON is not a party of agreement 'qc-nb-e2e'" in d
               for d in refused["error"]["details"]), refused
    assert get("/api/v1/families")["total"] == 0
    upload("nb", QC_NB)
    with files["capacity"].open("rb") as handle:
        post("/api/v1/capacity", 201, files={"file": ("capacity.csv", handle, "text/csv")})

    plain = create_run_job(client, coord, {"policy": "balanced", "key": "canada-population"})
    assert plain["model"]["id"] == "default"  # no model yet: the documented default scorer
    model = add_model(ctx, path=model_dir, name="synthetic 1200", actor="coord")
    run = post("/api/v1/runs?wait=true", 201,
               json={"policy": "balanced", "key": "canada-population"})
    assert run["model"] == {"id": model.id, "sha256": model.sha256, "name": model.name}
    assert _differ(_scores(ctx, run["id"]), _scores(ctx, plain["id"])) > 0.05
    assert run["families"] == FAMILIES
    recs = get(f"/api/v1/runs/{run['id']}")["recommendations"]
    placed = next(r for r in recs if r["destination"] == "NB")
    decision = {"family_id": placed["family_id"], "kind": "accept", "reason": "fits the family"}
    post(f"/api/v1/runs/{run['id']}/decisions", 409, json=decision)
    get(f"/api/v1/runs/{run['id']}/recommendations/{placed['family_id']}")
    post(f"/api/v1/runs/{run['id']}/decisions", 201, json=decision)

    # the family is in New Brunswick: its officer sees it there, its export lists it
    seen = get("/api/v1/families?status=placed", headers=officer)["items"]
    assert [(f["id"], f["current_jurisdiction"]) for f in seen] == [(placed["family_id"], "NB")]
    result = export_claimants(ctx, agreement_id=QC_NB, current="NB", out=tmp_path / "nb.csv",
                              actor="nb-officer")
    assert result.rows == placed["persons"] == len(_csv(tmp_path / "nb.csv"))
    transfers = get("/api/v1/transfers", headers=officer)
    assert [(t["from_code"], t["to_code"]) for t in transfers] == [("QC", "NB")]
    year = dt.date.today().year
    rows = {r["code"]: r for r in get(f"/api/v1/balance?years={year}")["rows"]}
    assert rows["NB"]["transfers_in"] == placed["persons"]
    assert rows["QC"]["transfers_out"] == placed["persons"]

    later = create_run_job(client, coord, {"policy": "balanced", "key": "canada-population"})
    assert later["families"] == FAMILIES - 1
    old = {r["family_id"]: r["status"] for r in get(f"/api/v1/runs/{run['id']}")[
        "recommendations"]}
    assert set(old.values()) == {"accepted", "superseded"}

    upload("ca", QC_CA)
    post(f"/api/v1/agreements/{QC_NB}/revoke")
    last = post("/api/v1/runs?wait=true", 201,
                json={"policy": "balanced", "key": "canada-population"})
    assert last["families"] == 5

    verified = get("/api/v1/audit/verify", headers=auditor)
    assert verified["ok"] and verified["checked"] == ["chain", "rows"]
    checkpoint = write_checkpoint(ctx, out=tmp_path / "cp.json")

    def verify_with(path: Path) -> Any:
        with path.open("rb") as handle:
            return post("/api/v1/audit/verify", headers=auditor,
                        files={"checkpoint": ("cp.json", handle, "application/json")})

    assert verify_with(tmp_path / "cp.json")["checkpoint"]["seq"] == checkpoint.seq
    tamper(ctx, "UPDATE transfers SET to_code = 'ON'")
    broken = get("/api/v1/audit/verify", headers=auditor)
    assert not broken["ok"] and "transfers row 1" in broken["first_bad_row"]
    tamper(ctx, "UPDATE transfers SET to_code = 'NB'")
    tamper(ctx, "DELETE FROM audit_entries WHERE seq = (SELECT max(seq) FROM audit_entries)")
    assert get("/api/v1/audit/verify", headers=auditor)["ok"]
    cut = verify_with(tmp_path / "cp.json")
    assert not cut["ok"] and "truncated tail" in cut["problem"]
    (tmp_path / "junk.json").write_text("[]", encoding="utf-8")
    with (tmp_path / "junk.json").open("rb") as handle:
        r = client.post("/api/v1/audit/verify", headers=auditor,
                        files={"checkpoint": ("junk.json", handle, "application/json")})
    assert r.status_code == 422 and "not a checkpoint" in r.json()["error"]["message"]
    app.state.engine.dispose()
