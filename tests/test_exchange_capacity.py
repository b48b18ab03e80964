"""Capacity offers: validated all or nothing, idempotent, conflicts refused; huge batches refused."""

from __future__ import annotations

import pytest

import registry_fixtures as rf
from fairshare.errors import ConflictError, InputError
from fairshare.service import Context, add_capacity, list_capacity
from registry_fixtures import table_counts, write_capacity, write_csv

sqlite_registry = rf.sqlite_registry

GOOD = {"offer_id": "NB-1", "jurisdiction": "NB", "period": "2026", "persons": "10",
        "units_1_2": "2", "units_3_4": "1", "units_5_plus": "", "services": "french",
        "expires_on": "2027-01-31"}


def test_capacity_is_stored_once(sqlite_registry: Context, tmp_path):
    path = write_csv(tmp_path / "c.csv", [GOOD])
    add_capacity(sqlite_registry, path=path)
    before = table_counts(sqlite_registry)
    (offer,) = add_capacity(sqlite_registry, path=path)
    assert table_counts(sqlite_registry) == before
    assert (offer.persons, offer.remaining, offer.housing_units) == (10, 10, {"1-2": 2, "3-4": 1})
    assert offer.active and list_capacity(sqlite_registry) == [offer]
    with pytest.raises(ConflictError, match="NB-1"):
        add_capacity(sqlite_registry, path=write_csv(tmp_path / "d.csv",
                                                     [{**GOOD, "persons": "12"}]))


@pytest.mark.parametrize(("change", "message"), [
    ({"persons": "-5"}, "row 1, column persons: must not be negative"),
    ({"persons": "ten"}, "row 1, column persons: 'ten' is not a whole number"),
    ({"jurisdiction": "ZZ"}, "row 1, column jurisdiction: 'ZZ'"),
    ({"units_3_4": "-1"}, "row 1, column units_3_4: must not be negative"),
    ({"services": "spa"}, "row 1, column services: 'spa'"),
    ({"expires_on": "soon"}, "row 1, column expires_on"),
    ({"offer_id": "bad id!"}, "row 1, column offer_id"),
    ({"colour": "red"}, "column colour: unknown column"),
])
def test_bad_capacity_changes_nothing(sqlite_registry: Context, tmp_path, change, message):
    before = table_counts(sqlite_registry)
    with pytest.raises(InputError) as err:
        add_capacity(sqlite_registry, path=write_csv(tmp_path / "c.csv",
                                                     [{**GOOD, **change}, {**GOOD, "offer_id": "X"}]))
    assert message in str(err.value)
    assert table_counts(sqlite_registry) == before


def test_duplicate_offer_ids_in_one_file(sqlite_registry: Context, tmp_path):
    with pytest.raises(InputError, match="row 2, column offer_id: 'NB-1' already in row 1"):
        add_capacity(sqlite_registry, path=write_capacity(tmp_path / "c.csv",
                                                          [("NB-1", "NB", 3), ("NB-1", "NB", 4)]))


def test_huge_files_are_refused(sqlite_registry: Context, tmp_path, monkeypatch):
    from fairshare.exchange import reader

    monkeypatch.setattr(reader, "MAX_BYTES", 100)
    path = write_csv(tmp_path / "c.csv", [GOOD, {**GOOD, "offer_id": "NB-2"}])
    with pytest.raises(InputError, match="limit; split"):
        add_capacity(sqlite_registry, path=path)
