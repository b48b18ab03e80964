"""Small cells stay small: no route gives an analyst a value from which a suppressed cell can be
derived (capacity used beside remaining, a run's totals beside its suppressed destinations,
transfers beside net intake, delivered beside shortfall, counts in notes).

A bounded privacy stress test: a seeded registry, a few transfers (small cells by
construction), every analyst-visible figure checked against the coordinator's exact ones.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from fairshare.service.disclosure import protect, protect_note
from fairshare.store.tables import families as fam_table
from webapp_helpers import SeededApp, seeded_app

C, A = "coordinator", "analyst"
N = 10  # the default small-cell threshold


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> SeededApp:
    app = seeded_app(tmp_path_factory.mktemp("cells"), families=25)
    h = app.auth(C)
    csv = ("offer_id,jurisdiction,period,persons,services,expires_on\n"
           "MB-CELLS,MB,2026,60,english,2099-06-30\n")
    assert app.client.post("/api/v1/capacity", headers=h,
                           files={"file": ("c.csv", csv.encode())}).status_code == 201
    fams = [f for f in app.client.get("/api/v1/families?status=waiting&limit=200",
                                      headers=h).json()["items"]
            if f["consenting"] and not f["services"] and f["current_jurisdiction"] != "MB"
            and f["size"] <= 3]  # two of them: a small cell in MB
    with app.client.app.state.engine.connect() as conn:
        excluded = dict(conn.execute(select(fam_table.c.id, fam_table.c.excluded)).all())
    placed = 0
    for f in fams:
        if "MB" in excluded[f["id"]] or placed >= 2:
            continue
        r = app.client.post("/api/v1/assignments", headers=h, json={
            "family_id": f["id"], "to": "MB", "reason": "small cell test"})
        assert r.status_code == 201, r.text[:300]
        placed += 1
    assert placed == 2
    assert app.client.post("/api/v1/runs?wait=true", headers=h,
                           json={"policy": "balanced"}).status_code == 201
    return app


def _get(app: SeededApp, who: str, path: str) -> Any:
    r = app.client.get(path, headers=app.auth(who))
    assert r.status_code == 200, (who, path, r.text[:300])
    return r.json()


def test_capacity_used_and_remaining_do_not_give_a_small_cell_back(app: SeededApp) -> None:
    exact = {o["id"]: o for o in _get(app, C, "/api/v1/capacity")}
    shown = _get(app, A, "/api/v1/capacity")
    assert any(0 < o["used"] < N for o in exact.values())  # the fixture made small cells
    for o in shown:
        e = exact[o["id"]]
        if 0 < e["used"] < N:
            assert o["used"] == f"<{N}" and o["remaining"] is None, o
        else:
            assert (o["used"], o["remaining"]) == (e["used"], e["remaining"])
        if o["remaining"] is not None:  # offered minus remaining is never a small cell
            assert not 0 < o["persons"] - o["remaining"] < N


def _suppressed_cells_are_not_alone(cells: dict[str, Any], total: Any) -> None:
    hidden = [k for k, v in cells.items() if isinstance(v, str)]
    if isinstance(total, int) and hidden:
        assert len(hidden) >= 2, (cells, total)  # subtraction gives a sum of two, at best


def test_run_summary_totals_do_not_give_a_suppressed_destination_back(app: SeededApp) -> None:
    run_id = _get(app, C, "/api/v1/runs")[0]["id"]
    exact = _get(app, C, f"/api/v1/runs/{run_id}/summary")
    shown = _get(app, A, f"/api/v1/runs/{run_id}/summary")
    assert any(isinstance(d["persons"], str) or isinstance(d["families"], str)
               for d in shown["destinations"])
    fams = {d["destination"]: d["families"] for d in shown["destinations"]}
    persons = {d["destination"]: d["persons"] for d in shown["destinations"]
               if d["destination"] != "stay"}
    _suppressed_cells_are_not_alone(fams, shown["families"])
    _suppressed_cells_are_not_alone(persons, shown["placed"])
    capacity = {o["code"]: 0 for o in _get(app, C, "/api/v1/capacity")}
    for o in _get(app, C, "/api/v1/capacity"):
        if o["active"]:
            capacity[o["code"]] += o["used"]
    for d, e in zip(shown["destinations"], exact["destinations"], strict=True):
        for col in ("families", "persons"):
            if 0 < e[col] < N:
                assert d[col] == f"<{N}"
        if 0 < capacity.get(d["destination"], 0) < N:
            assert d["capacity_remaining"] is None, d


def test_balance_withholds_what_is_computed_from_small_transfers(app: SeededApp) -> None:
    for query in ("years=2019-2026", "years=2019-2026&cumulative=true"):
        exact = _get(app, C, f"/api/v1/balance?{query}")
        shown = _get(app, A, f"/api/v1/balance?{query}")
        assert any(0 < r["transfers_in"] < N for r in exact["rows"]), (query, exact["rows"][-3:])
        for r, e in zip(shown["rows"], exact["rows"], strict=True):
            small = [c for c in ("transfers_in", "transfers_out") if 0 < e[c] < N]
            for c in small:
                assert r[c] == f"<{N}"
            if small:
                assert r["net_intake"] is None and r["surplus"] is None, r
            if r["source"] == "registry":
                year = [x for x in shown["rows"] if x["year"] == r["year"]]
                _suppressed_cells_are_not_alone({x["code"]: x["intake"] for x in year},
                                                sum(x["intake"] for x in year
                                                    if isinstance(x["intake"], int))
                                                if all(x["fair_share"] is not None
                                                       for x in year) else None)


def test_pledge_standing_hides_small_deliveries(app: SeededApp) -> None:
    for s in _get(app, A, "/api/v1/pledges/standing"):
        if isinstance(s["delivered"], str):
            assert s["shortfall"] is None and s["fulfilment"] is None
        else:
            assert not 0 < s["delivered"] < N


def test_analyst_pages_render_the_suppressed_figures(app: SeededApp) -> None:
    from webapp_helpers import login

    login(app.client, A, app.passwords[A])
    try:
        for path in ("/?years=2019-2026", "/pledges"):
            r = app.client.get(path)
            assert r.status_code == 200, (path, r.text[:300])
    finally:
        app.client.cookies.clear()


def test_protect_rules() -> None:
    cells, total = protect({"NB": 4, "ON": 12, "QC": 30}, N, total=46)
    assert cells == {"NB": "<10", "ON": "<10", "QC": 30} and total == 46
    assert protect({"NB": 4}, N, total=4) == ({"NB": "<10"}, "<10")
    assert protect({"NB": 4, "ON": 0}, N, total=14) == ({"NB": "<10", "ON": 0}, None)
    assert protect_note("12 transfer(s) dated outside", N) == "12 transfer(s) dated outside"
