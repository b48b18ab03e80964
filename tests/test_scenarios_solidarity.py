"""Financial solidarity policies: hand-computed amounts, caps, deductions, the CLI."""

from __future__ import annotations

import dataclasses
import json

import pytest

from fairshare.errors import ScenarioError
from fairshare.scenarios.solidarity import list_solidarity, load_solidarity, solidarity_amounts

SHARES = {"A": 0.5, "B": 0.3, "C": 0.2}
FAIR = {"A": 500, "B": 300, "C": 200}


def amounts(version, surplus):
    return {x.code: (x.persons, x.amount, x.capped)
            for x in solidarity_amounts(version, surplus=surplus, fair_share=FAIR, shares=SHARES)}


def test_every_shipped_policy_has_a_label_reference_and_a_derivation():
    policies = list_solidarity()
    assert {p.id for p in policies} == {"eu-2024-pool", "canada-ihap"}
    for p in policies:
        assert p.label and p.label_fr and p.references and all(r.url.startswith("https://")
                                                               for r in p.references)
        assert all(v.derivation and v.amount_confidence == "derived" for v in p.versions)


def test_eu_pool_pays_20000_per_person_within_the_pool_share():
    eu = load_solidarity("eu-2024-pool").version_on(None)
    assert eu.amount_per_person == 20000 and eu.pool_persons == 30000
    # B is 40 below its share (pays 40 x 20,000); A is 40 above (receives what is paid in).
    got = amounts(eu, {"A": 40, "B": -40, "C": 0})
    assert got == {"A": (40, 800000.0, False), "B": (40, -800000.0, False), "C": (0, 0.0, False)}
    # Receipts are scaled to what the payers paid in (the pool balances).
    got = amounts(eu, {"A": 100, "B": -40, "C": -10})
    assert got["B"][1] == -800000.0 and got["C"][1] == -200000.0
    assert got["A"][1] == pytest.approx(1000000.0)


def test_pool_share_cap_tolerance_and_amount_cap():
    eu = load_solidarity("eu-2024-pool").version_on(None)
    small = dataclasses.replace(eu, pool_persons=100)  # C is charged for at most 0.2 x 100 = 20
    assert amounts(small, {"A": 50, "B": 0, "C": -50})["C"] == (20, -400000.0, True)
    tolerant = dataclasses.replace(eu, tolerance=0.1)  # 10% of B's 300 = 30 persons not charged
    assert amounts(tolerant, {"A": 40, "B": -40, "C": 0})["B"] == (10, -200000.0, False)
    capped = dataclasses.replace(eu, cap_amount=500000.0)
    assert amounts(capped, {"A": 40, "B": -40, "C": 0})["B"] == (40, -500000.0, True)


def test_canadian_ihap_scheme_is_federal_and_only_pays_out():
    ihap = load_solidarity("canada-ihap").version_on(None)
    assert ihap.amount_per_person == 8004 and ihap.funding == "federal" and not ihap.pays
    assert round(250_000_000 / 31_235) == ihap.amount_per_person  # the stated derivation
    got = amounts(ihap, {"A": 100, "B": -60, "C": -40})
    assert got == {"A": (100, 800400.0, False), "B": (0, 0.0, False), "C": (0, 0.0, False)}


def test_unknown_policy_is_a_clear_error():
    with pytest.raises(ScenarioError, match="Unknown solidarity policy 'x'.*eu-2024-pool"):
        load_solidarity("x")


def test_a_malformed_policy_file_names_the_field(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("id: p\nlabel: P\ndescription: d\ncurrency: CAD\nreferences:\n"
                    "  - {title: t, url: https://example.org}\nversions:\n"
                    "  - {effective: '2025-01-01', amount_per_person: -1, amount_confidence: x,"
                    " pays: true, receives: true, funding: pool}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"versions\[0\]: 'amount_per_person' must be a number >= 0"):
        load_solidarity(str(path))


def test_solidarity_cli(run_cli):
    res = run_cli("solidarity", "--key", "canada-population", "--years", "2024",
                  "--policy", "eu-2024-pool", "--format", "json")
    assert res.exit_code == 0, res
    rows = {r["code"]: r for r in json.loads(res.stdout)}
    assert rows["QC"]["surplus"] > 0 and rows["QC"]["amount"] > 0
    assert rows["AB"]["amount"] < 0 and rows["AB"]["currency"] == "EUR"
    paid = -sum(r["amount"] for r in rows.values() if r["amount"] < 0)
    received = sum(r["amount"] for r in rows.values() if r["amount"] > 0)
    assert received == pytest.approx(paid, abs=1)  # the pool balances
    # Alberta pays for at most its key share of the 30,000-person pool.
    assert rows["AB"]["persons"] <= 0.12 * 30000 and rows["AB"]["capped"]
    bad = run_cli("solidarity", "--key", "canada-population", "--policy", "nope")
    assert bad.exit_code == 2 and "Unknown solidarity policy 'nope'" in bad.stderr
