"""Importing claimant batches: allow-list schema, all or nothing, idempotent, pseudonymised."""

from __future__ import annotations

import json

import pytest

import registry_fixtures as rf
from fairshare.errors import ConflictError, FairshareError, InputError, PermissionDeniedError
from fairshare.service import (
    Context,
    import_claimants,
    revoke_agreement,
    status,
    verify_audit,
)
from registry_fixtures import AGREEMENT, families_rows, person, table_counts, write_csv

registry = rf.registry
sqlite_registry = rf.sqlite_registry


def test_import_then_same_batch_again_is_imported_once(registry: Context, tmp_path):
    path = write_csv(tmp_path / "b.csv", families_rows(5, size=3))
    first = import_claimants(registry, path=path, agreement_id=AGREEMENT)
    assert (first.new_claimants, first.new_families, first.already_imported) == (15, 5, False)
    before = table_counts(registry)
    again = import_claimants(registry, path=path, agreement_id=AGREEMENT)
    assert again.already_imported and again.batch_id == first.batch_id
    assert table_counts(registry) == before
    counts = status(registry).counts
    assert counts["claimants"] == 15 and counts["families"] == 5 and counts["consents"] == 15


def test_same_content_as_json_in_another_order_is_the_same_batch(sqlite_registry: Context, tmp_path):
    rows = families_rows(3)
    import_claimants(sqlite_registry, path=write_csv(tmp_path / "b.csv", rows), agreement_id=AGREEMENT)
    (tmp_path / "b.json").write_text(json.dumps(list(reversed(rows))), encoding="utf-8")
    assert import_claimants(sqlite_registry, path=tmp_path / "b.json",
                            agreement_id=AGREEMENT).already_imported


def test_overlapping_batch_adds_only_new_people(registry: Context, tmp_path):
    import_claimants(registry, path=write_csv(tmp_path / "a.csv", families_rows(3)),
                     agreement_id=AGREEMENT)
    result = import_claimants(registry, path=write_csv(tmp_path / "b.csv", families_rows(5)),
                              agreement_id=AGREEMENT)
    assert (result.new_claimants, result.already_present, result.new_families) == (4, 6, 2)


def test_same_id_different_content_is_a_conflict_naming_the_ids(registry: Context, tmp_path):
    import_claimants(registry, path=write_csv(tmp_path / "a.csv", families_rows(2)),
                     agreement_id=AGREEMENT)
    changed = families_rows(3)
    changed[1]["birth_year"] = "1975"
    before = table_counts(registry)
    with pytest.raises(ConflictError) as err:
        import_claimants(registry, path=write_csv(tmp_path / "b.csv", changed),
                         agreement_id=AGREEMENT)
    assert "Q-C0001-1" in str(err.value) and "row 2" in str(err.value)
    assert "nothing was imported" in str(err.value)
    assert table_counts(registry) == before


def test_raw_partner_ids_are_never_stored(sqlite_registry: Context, tmp_path):
    rows = [person("RAW-ID-CANARY-77", "RAW-FAM-CANARY-88")]
    import_claimants(sqlite_registry, path=write_csv(tmp_path / "a.csv", rows),
                     agreement_id=AGREEMENT)
    sqlite_registry.close()
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("fairshare.sqlite*"))
    assert b"CANARY" not in blob
    key_file = tmp_path / "keys" / f"{AGREEMENT}.key"
    assert key_file.exists() and (key_file.stat().st_mode & 0o077) == 0


BAD_CASES = {
    "unknown column": ({"favourite_colour": "blue"}, "column favourite_colour: unknown column"),
    "special category religion": ({"religion": "x"}, "column religion: special categories"),
    "special category ethnicity": ({"ethnicity": "x"}, "column ethnicity: special categories"),
    "claim narrative": ({"claim_narrative": "x"}, "column claim_narrative: special categories"),
    "wrong type": ({"birth_year": "nineteen"}, "row 2, column birth_year: not a year"),
    "out of range": ({"work_experience_years": "-3"}, "row 2, column work_experience_years"),
    "unknown jurisdiction": ({"preferences": "ON;XX"}, "row 2, column preferences: 'XX'"),
    "bad sex": ({"sex": "Q"}, "row 2, column sex"),
    "no consent": ({"consent": "no"}, "row 2, column consent"),
    "bad language": ({"languages": "french"}, "row 2, column languages"),
    "bad service": ({"services": "spa"}, "row 2, column services"),
    "bad date": ({"consent_at": "yesterday"}, "row 2, column consent_at"),
    "empty id": ({"claimant_id": ""}, "row 2, column claimant_id: required"),
    "formula id": ({"claimant_id": "=cmd()"}, "row 2, column claimant_id"),
    "preferred and excluded": ({"excluded": "NB"}, "row 2, column excluded"),
    "family disagrees": ({"preferences": "MB"}, "row 2, column preferences: differs from row 1"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_is_a_clear_error_and_changes_nothing(sqlite_registry: Context, tmp_path, case):
    change, message = BAD_CASES[case]
    rows = families_rows(3)
    rows[1] = {**rows[1], **change}
    columns = list(rows[0]) + [c for c in change if c not in rows[0]]
    before = table_counts(sqlite_registry)
    with pytest.raises(InputError) as err:
        import_claimants(sqlite_registry, path=write_csv(tmp_path / "bad.csv", rows, columns),
                         agreement_id=AGREEMENT)
    assert message in str(err.value)
    assert table_counts(sqlite_registry) == before
    assert verify_audit(sqlite_registry).ok


def test_error_messages_do_not_repeat_cell_values(sqlite_registry: Context, tmp_path):
    rows = families_rows(2)
    rows[0]["birth_year"] = "CANARY-1"
    rows[1]["languages"] = "CANARY-2"
    rows[2]["services"] = "CANARY-3"
    rows[3]["work_experience_years"] = "CANARY-4"
    with pytest.raises(InputError) as err:
        import_claimants(sqlite_registry, path=write_csv(tmp_path / "bad.csv", rows),
                         agreement_id=AGREEMENT)
    assert "CANARY" not in str(err.value) and str(err.value).count("row ") == 4


def test_every_error_is_reported_with_row_and_column(sqlite_registry: Context, tmp_path):
    rows = families_rows(4)
    rows[0]["birth_year"] = "abc"
    rows[3]["sex"] = "?"
    rows[5]["claimant_id"] = rows[4]["claimant_id"]
    with pytest.raises(InputError) as err:
        import_claimants(sqlite_registry, path=write_csv(tmp_path / "bad.csv", rows),
                         agreement_id=AGREEMENT)
    text = str(err.value)
    assert "row 1, column birth_year" in text and "row 4, column sex" in text
    assert "row 6, column claimant_id" in text and "already appears in row 5" in text


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the file is empty"),
    (b"claimant_id,family_id,current_jurisdiction\n", "no data rows"),
    (b"claimant_id,family_id\nA,B\n", "required column is missing"),
    (b"\xff\xfe\x00b\x00a\x00d", "not UTF-8"),
    (b"claimant_id,family_id,current_jurisdiction\nA,B\n", "row 1 has 2 cells"),
])
def test_malformed_files(sqlite_registry: Context, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    before = table_counts(sqlite_registry)
    with pytest.raises(InputError, match=message):
        import_claimants(sqlite_registry, path=path, agreement_id=AGREEMENT)
    assert table_counts(sqlite_registry) == before


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON"),
    ('{"a": 1}', "expected a list"),
    ('[{"claimant_id": {"x": 1}}]', "nested values"),
    ("[1, 2]", "row 1 is not an object"),
])
def test_malformed_json(sqlite_registry: Context, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        import_claimants(sqlite_registry, path=path, agreement_id=AGREEMENT)


def test_wrong_suffix_and_missing_file(sqlite_registry: Context, tmp_path):
    with pytest.raises(InputError, match=r"\.csv or \.json"):
        import_claimants(sqlite_registry, path=tmp_path / "x.xlsx", agreement_id=AGREEMENT)
    with pytest.raises(InputError, match="cannot read"):
        import_claimants(sqlite_registry, path=tmp_path / "missing.csv", agreement_id=AGREEMENT)


def test_column_outside_the_agreement_is_refused(sqlite_registry: Context, tmp_path):
    # the example agreement does not list arrived_on
    rows = [person("A-1", "F-1", arrived_on="2025-10-01")]
    with pytest.raises(InputError, match="arrived_on: not in the agreement"):
        import_claimants(sqlite_registry, path=write_csv(tmp_path / "a.csv", rows),
                         agreement_id=AGREEMENT)


def test_no_import_without_an_agreement_in_force(registry: Context, tmp_path):
    path = write_csv(tmp_path / "a.csv", families_rows(1))
    with pytest.raises(FairshareError, match="No agreement 'nope'"):
        import_claimants(registry, path=path, agreement_id="nope")
    revoke_agreement(registry, agreement_id=AGREEMENT)
    with pytest.raises(PermissionDeniedError, match="revoked"):
        import_claimants(registry, path=path, agreement_id=AGREEMENT)
    assert status(registry).counts["claimants"] == 0


def test_expired_agreement_refuses(sqlite_registry: Context, tmp_path):
    from registry_fixtures import FrozenClock

    assert isinstance(sqlite_registry.clock, FrozenClock)
    sqlite_registry.clock.advance(days=800)  # past 2027-12-31
    with pytest.raises(PermissionDeniedError, match="not in force"):
        import_claimants(sqlite_registry, path=write_csv(tmp_path / "a.csv", families_rows(1)),
                         agreement_id=AGREEMENT)
