"""Exports under an agreement: refused without one in force, its fields only, formula-safe,
pseudonyms that differ between agreements; agreement and retention files validated."""

from __future__ import annotations

import csv
import json

import pytest

import registry_fixtures as rf
from fairshare.errors import ConflictError, InputError, PermissionDeniedError
from fairshare.exchange.agreements import parse_agreement_text, synth_agreement_yaml
from fairshare.exchange.retention import load_retention_policy
from fairshare.service import (
    Context,
    add_agreement,
    change_consent,
    export_claimants,
    import_claimants,
    list_agreements,
    revoke_agreement,
    show_audit,
)
from registry_fixtures import AGREEMENT, families_rows, person, write_agreement, write_csv

registry = rf.registry
sqlite_registry = rf.sqlite_registry


def _read(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_only_agreement_fields_and_escapes_formulas(sqlite_registry: Context, tmp_path):
    ctx = sqlite_registry
    rows = [person("A-1", "F-1", languages="fr:fluent"), person("A-2", "F-1")]
    import_claimants(ctx, path=write_csv(tmp_path / "a.csv", rows), agreement_id=AGREEMENT)
    narrow = write_agreement(tmp_path, "on-ca-test").read_text(encoding="utf-8")
    narrow = narrow.replace("- birth_year\n", "").replace("- sex\n", "")
    (tmp_path / "narrow.yaml").write_text(narrow, encoding="utf-8")
    add_agreement(ctx, path=tmp_path / "narrow.yaml")
    # Purpose limitation (changed deliberately, issue 10): an export under an agreement holds
    # only the claimants received under it. Before, on-ca-test exported qc-ca-test's people.
    nothing = export_claimants(ctx, agreement_id="on-ca-test", out=tmp_path / "none.csv")
    assert nothing.rows == 0
    narrow_rows = [{k: v for k, v in r.items() if k not in ("birth_year", "sex")} for r in rows]
    import_claimants(ctx, path=write_csv(tmp_path / "n.csv", narrow_rows),
                     agreement_id="on-ca-test")
    result = export_claimants(ctx, agreement_id="on-ca-test", out=tmp_path / "out.csv")
    exported = _read(tmp_path / "out.csv")
    assert result.rows == 2 and len(exported) == 2
    assert "birth_year" not in exported[0] and "sex" not in exported[0]
    assert set(exported[0]) <= set(parse_agreement_text(narrow).fields)
    # pseudonyms differ per agreement: partners cannot join their exports
    export_claimants(ctx, agreement_id=AGREEMENT, out=tmp_path / "other.json")
    other = json.loads((tmp_path / "other.json").read_text(encoding="utf-8"))
    assert {r["claimant_id"] for r in exported}.isdisjoint({r["claimant_id"] for r in other})
    assert all(r["claimant_id"].startswith("c-") for r in other)
    assert show_audit(ctx, action="export.claimants")[-1].details["rows"] == 2


def test_csv_formula_escaping():
    from fairshare.exchange.export import escape_formula

    assert [escape_formula(v) for v in ("=1+1", "+A", "-2", "@SUM", "ok", 5)] == [
        "'=1+1", "'+A", "'-2", "'@SUM", "ok", 5]


def test_export_file_cells_are_escaped(tmp_path):
    from fairshare.exchange.export import write_export

    write_export([{"a": "=HYPERLINK(\"x\")", "b": "-5"}], ["a", "b"], tmp_path / "x.csv")
    assert _read(tmp_path / "x.csv") == [{"a": "'=HYPERLINK(\"x\")", "b": "'-5"}]


def test_export_refused_without_an_agreement_in_force(registry: Context, tmp_path):
    import_claimants(registry, path=write_csv(tmp_path / "a.csv", families_rows(2)),
                     agreement_id=AGREEMENT)
    with pytest.raises(Exception, match="No agreement 'missing'"):
        export_claimants(registry, agreement_id="missing", out=tmp_path / "x.csv")
    revoke_agreement(registry, agreement_id=AGREEMENT)
    with pytest.raises(PermissionDeniedError, match="revoked"):
        export_claimants(registry, agreement_id=AGREEMENT, out=tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
    assert [a.active for a in list_agreements(registry)] == [False]


def test_withdrawn_claimant_leaves_the_export(registry: Context, tmp_path):
    import_claimants(registry, path=write_csv(tmp_path / "a.csv", families_rows(3)),
                     agreement_id=AGREEMENT)
    change_consent(registry, subject="Q-C0002-1", state="withdrawn", agreement_id=AGREEMENT)
    result = export_claimants(registry, agreement_id=AGREEMENT, out=tmp_path / "x.json")
    assert result.rows == 5
    change_consent(registry, subject="Q-C0002-1", state="given", text_version="2026-02",
                   agreement_id=AGREEMENT)
    assert export_claimants(registry, agreement_id=AGREEMENT, out=tmp_path / "y.json").rows == 6
    revoke_agreement(registry, agreement_id=AGREEMENT)  # withdrawal works even then
    result = change_consent(registry, subject="Q-F0001", state="withdrawn", agreement_id=AGREEMENT)
    assert len(result.claimant_ids) == 2


def test_agreement_immutable_and_validated(sqlite_registry: Context, tmp_path):
    path = write_agreement(tmp_path)
    assert add_agreement(sqlite_registry, path=path).id == AGREEMENT  # same document: no-op
    path.write_text(path.read_text(encoding="utf-8").replace("730", "365"), encoding="utf-8")
    with pytest.raises(ConflictError, match="immutable"):
        add_agreement(sqlite_registry, path=path)


@pytest.mark.parametrize(("edit", "message"), [
    (("purpose: relocation-matching", "purpose: marketing"), "not a known purpose"),
    (("- ties\n", "- ties\n- religion\n"), "special categories"),
    (("- ties\n", "- ties\n- shoe_size\n"), "not in the import schema"),
    (("- claimant_id\n", ""), "required fields claimant_id"),
    (("retention_days: 730", "retention_days: -1"), "retention_days"),
    (("expires_on: '2027-12-31'", "expires_on: '2025-12-31'"), "before valid_from"),
    (("role: recipient", "role: provider"), "one provider and one recipient"),
    (("legal_basis:", "surprise: 1\nlegal_basis:"), "surprise"),
    (("id: qc-ca-relocation-2026", "id: Bad Id!"), "lower-case"),
])
def test_bad_agreements_are_refused(edit, message):
    text = synth_agreement_yaml()
    assert edit[0] in text
    with pytest.raises(InputError) as err:
        parse_agreement_text(text.replace(*edit))
    assert message in str(err.value)


def test_synth_agreement_is_valid():
    agreement = parse_agreement_text(synth_agreement_yaml())
    assert {p.code for p in agreement.parties} == {"QC", "CA"}
    assert "religion" not in agreement.fields


def test_retention_policy_validation(tmp_path):
    assert load_retention_policy().categories["claimants"].action == "anonymise"
    bad = tmp_path / "r.yaml"
    bad.write_text("label: x\ncategories:\n  claimants: {days: 10, action: delete}\n"
                   "  shoes: {days: 1, action: delete}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_retention_policy(bad)
    assert "category claimants: action 'delete'" in str(err.value)
    assert "category shoes: unknown" in str(err.value)


def test_agreement_problems_read_in_french():
    text = synth_agreement_yaml().replace("- ties\n", "- ties\n- religion\n").replace(
        "retention_days: 730", "retention_days: 9999")
    with pytest.raises(InputError) as err:
        parse_agreement_text(text)
    french = err.value.full_text("fr")
    assert "champ fields : religion : les catégories particulières de données personnelles" \
        in french
    assert "champ retention_days : doit être au plus 3\xa0650" in french
    assert "retention_days: must be at most 3,650" in str(err.value)
