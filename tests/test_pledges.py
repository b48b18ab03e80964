"""Pledges: the file format, the registry (SQLite and PostgreSQL), pledged against delivered by
real transfers, offers from pledges, the CLI, the API route and the bilingual page."""

from __future__ import annotations

import json

import pytest

import registry_fixtures as rf
from fairshare.errors import ConflictError, InputError
from fairshare.scenarios.pledges import parse_pledges
from fairshare.service import (
    Context,
    add_capacity,
    create_run,
    decide,
    import_claimants,
    list_transfers,
    open_context,
    open_explanation,
    show_audit,
)
from fairshare.service import (
    Settings as ServiceSettings,
)
from fairshare.service.pledges import add_pledges, offers_from_pledges, pledge_standing
from registry_fixtures import AGREEMENT, add_offers, families_rows, table_counts, write_csv
from webapp_helpers import login, seeded_app

registry = rf.registry
CODES = ["NB", "NS", "ON", "QC"]


def test_every_bad_row_is_reported_together():
    text = ("jurisdiction,period,persons,source\nNB,2026,10,letter\nZZ,2026,1,x\n"
            "NB,2026-Q5,1,x\nNB,2026,ten,x\nNB,2026,3,\nNB,2026,10,letter\n")
    with pytest.raises(InputError) as info:
        parse_pledges(text, codes=CODES, where="p.csv")
    details = info.value.details
    assert details == [
        "row 3, column jurisdiction: 'ZZ' is not a jurisdiction of the federation (NB, NS, ON, QC).",
        "row 4, column period: '2026-Q5' - write 2025, 2025-Q2 or 2025-06.",
        "row 5, column persons: 'ten' - a whole number from 0 to 10,000,000.",
        "row 6, column source: say which agreement, letter or communiqué the pledge comes from.",
        "row 7: same jurisdiction, period and source as row 2."]
    with pytest.raises(InputError, match="column colour: unknown column"):
        parse_pledges("jurisdiction,period,persons,source,colour\n", codes=CODES, where="p.csv")


def _transfers(ctx: Context, folder) -> list:
    import_claimants(ctx, path=write_csv(folder / "b.csv", families_rows(6)), agreement_id=AGREEMENT)
    add_offers(ctx, folder, [("NB-1", "NB", 6), ("ON-1", "ON", 6)])
    run = create_run(ctx, policy="balanced", key="canada-population", actor="ana")
    for rec in run.recommendations[:3]:
        if rec.destination:
            open_explanation(ctx, run_id=run.run.id, family_id=rec.family_id, actor="bob")
            decide(ctx, run_id=run.run.id, family_id=rec.family_id, kind="accept", reason="fit",
                   decided_by="bob")
    return list_transfers(ctx)


def test_pledged_against_delivered_and_offers(registry: Context, tmp_path):
    moves = _transfers(registry, tmp_path)  # dated 2026-06-01 by the frozen clock
    assert moves
    delivered = {c: sum(t.persons for t in moves if t.to_code == c) for c in ("NB", "ON")}
    pledges = write_csv(tmp_path / "p.csv", [
        {"jurisdiction": "NB", "period": "2026", "persons": "10", "source": "Letter A"},
        {"jurisdiction": "ON", "period": "2026-Q2", "persons": "1", "source": "Letter B"},
        {"jurisdiction": "NS", "period": "2026-Q1", "persons": "5", "source": "Letter C",
         "agreement": AGREEMENT}])
    stored = add_pledges(registry, path=pledges, actor="ana")
    assert [(p.code, p.period, p.persons) for p in stored] == [
        ("NB", "2026", 10), ("NS", "2026-Q1", 5), ("ON", "2026-Q2", 1)]
    assert add_pledges(registry, path=pledges) == stored  # the same file twice: stored once
    standing = {(s.code, s.period): s for s in pledge_standing(registry)}
    assert standing[("NB", "2026")].delivered == delivered["NB"]
    assert standing[("ON", "2026-Q2")].delivered == delivered["ON"]
    assert standing[("NS", "2026-Q1")].delivered == 0 and standing[("NS", "2026-Q1")].shortfall == 5
    assert [s.code for s in pledge_standing(registry, code="nb")] == ["NB"]
    assert show_audit(registry, action="pledges.add")[0].actor == "ana"
    # A revised figure under the same source is a conflict; nothing is stored.
    before = table_counts(registry)
    revised = write_csv(tmp_path / "r.csv", [
        {"jurisdiction": "NS", "period": "2026-Q3", "persons": "4", "source": "Letter D"},
        {"jurisdiction": "NB", "period": "2026", "persons": "12", "source": "Letter A"}])
    with pytest.raises(ConflictError, match="nothing was stored") as info:
        add_pledges(registry, path=revised)
    assert "NB 2026 (Letter A): stored 10 persons, the file says 12" in info.value.details
    assert table_counts(registry) == before
    # Offers for what is still owed, in the capacity file format the registry reads back.
    rows = offers_from_pledges(registry, period="2026", expires_on=rf.TODAY.date().replace(year=2027))
    assert rows == [{"offer_id": "pledge-NB-2026", "jurisdiction": "NB", "period": "2026",
                     "persons": 10 - delivered["NB"], "units_1_2": "", "units_3_4": "",
                     "units_5_plus": "", "services": "", "expires_on": "2027-06-01"}]
    added = add_capacity(registry, path=write_csv(tmp_path / "offers.csv", rows))
    assert any(o.id == "pledge-NB-2026" and o.persons == 10 - delivered["NB"] for o in added)
    with pytest.raises(InputError, match="must expire after today"):
        offers_from_pledges(registry, period="2026", expires_on=rf.TODAY.date())


def test_pledges_cli(run_cli, tmp_path):
    env = {"FAIRSHARE_HOME": str(tmp_path / "var"), "FAIRSHARE_USER": "cli", "FAIRSHARE_DATABASE_URL": ""}
    assert run_cli("init", env=env).exit_code == 0
    (tmp_path / "p.csv").write_text("jurisdiction,period,persons,source\nNB,2026,40,Letter\n",
                                    encoding="utf-8")
    added = run_cli("pledges", "add", "p.csv", "--format", "json", env=env)
    assert added.exit_code == 0, added
    listed = json.loads(run_cli("pledges", "list", "--format", "json", env=env).stdout)
    assert [(p["code"], p["persons"], p["created_by"]) for p in listed] == [("NB", 40, "cli")]
    standing = json.loads(run_cli("pledges", "standing", "--format", "json", env=env).stdout)
    assert standing == [{"code": "NB", "period": "2026", "pledged": 40, "delivered": 0,
                         "shortfall": 40, "fulfilment": 0.0}]
    out = run_cli("pledges", "offers", "--period", "2026", "--expires", "2099-01-01", "--out",
                  "offers.csv", env=env)
    assert out.exit_code == 0, out
    assert "pledge-NB-2026,NB,2026,40" in (tmp_path / "offers.csv").read_text(encoding="utf-8")
    (tmp_path / "bad.csv").write_text("jurisdiction,period,persons,source\nXX,2026,1,L\n",
                                      encoding="utf-8")
    bad = run_cli("pledges", "add", "bad.csv", env=env)
    assert bad.exit_code == 2 and "row 2, column jurisdiction: 'XX'" in bad.stderr


def test_api_route_and_bilingual_page(tmp_path):
    from fastapi.testclient import TestClient

    app = seeded_app(tmp_path, families=6)
    ctx = open_context(ServiceSettings.from_env({"FAIRSHARE_HOME": str(tmp_path),
                                                 "FAIRSHARE_DATABASE_URL": app.settings.database_url,
                                                 "FAIRSHARE_USER": "tester"}))
    try:
        add_pledges(ctx, path=write_csv(tmp_path / "p.csv", [
            {"jurisdiction": "NB", "period": "2026", "persons": "25", "source": "Letter NB"}]))
    finally:
        ctx.close()
    r = app.client.get("/api/v1/pledges/standing", headers=app.auth("analyst"))
    assert r.status_code == 200, r.text
    assert r.json()[0]["code"] == "NB" and r.json()[0]["pledged"] == 25
    assert app.client.get("/api/v1/pledges", headers=app.auth("analyst")).json()[0]["source"] == "Letter NB"
    assert app.client.get("/api/v1/pledges/standing?period=2026-Q9",
                          headers=app.auth("analyst")).status_code == 422
    assert app.client.get("/api/v1/pledges").status_code == 401
    browser = TestClient(app.client.app)
    login(browser, "analyst", app.passwords["analyst"])
    en = browser.get("/pledges?lang=en")
    assert en.status_code == 200 and "Pledged against delivered" in en.text
    assert "New Brunswick" in en.text and "Letter NB" in en.text and 'href="/pledges"' in en.text
    fr = browser.get("/pledges?lang=fr")
    assert "Personnes promises et accueillies" in fr.text and "Nouveau-Brunswick" in fr.text
