"""Run snapshots stored as binary (migration ``snap_0001``): snapshots stored before it, as
JSON (the base64 form and the plain document), still read after the upgrade, and the
downgrade gives documents the earlier code reads; ids packed as raw bytes come back exact."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import zstandard

import registry_fixtures as rf
from fairshare.service.snapshot import (
    ENCODING,
    MAGIC,
    decode_snapshot,
    encode_snapshot,
    to_columns,
)
from fairshare.store.engine import make_engine
from fairshare.store.migrate import alembic_config, current_revision, upgrade


def _doc(ids: list[str], members: list[str]) -> dict[str, Any]:
    """A run's snapshot document (the shape a run stores), one member per family."""
    fams = [{"id": fid, "size": 1, "consent": True, "current": "QC", "services": [],
             "excluded": [], "preferences": ["NB"], "ties": [],
             "members": [{"id": mid, "birth_year": 1990, "sex": "F",
                          "languages": [["fr", "B2"]], "education": "tertiary",
                          "work_experience_years": 2.0}]} for fid, mid in zip(ids, members, strict=True)]
    return {"format": 1, "key": "canada-population", "solver": "auto",
            "policy": {"name": "outcome", "text": "id: outcome"},
            "model": {"id": "default", "sha256": "0" * 64, "name": "default"},
            "problem": {"name": "registry", "meta": {"key": "canada-population"},
                        "destinations": [{"code": "NB", "capacity": 9}],
                        "families": fams,
                        "scores": {fid: {"NB": 0.25 + k / 1000} for k, fid in enumerate(ids)}},
            "model_input": [{"id": mid, "family_id": fid, "birth_year": 1990, "sex": "F",
                             "languages": [["fr", "B2"]], "education": "tertiary",
                             "occupation_group": "health_care"}
                            for fid, mid in zip(ids, members, strict=True)]}


def _pseudonyms(prefix: str, n: int) -> list[str]:
    return sorted(f"{prefix}-{secrets.token_hex(16)}" for _ in range(n))


def _base64_form(doc: dict[str, Any]) -> dict[str, Any]:
    """A snapshot as stored before the column was binary (zstd, base64, JSON marker)."""
    raw = json.dumps(to_columns(doc), separators=(",", ":")).encode("utf-8")
    return {"encoding": ENCODING, "layout": "columns-1",
            "data": base64.b64encode(zstandard.ZstdCompressor(level=3).compress(raw))
            .decode("ascii")}


def test_pseudonymised_ids_are_stored_as_raw_bytes_and_come_back_exact() -> None:
    ids, members = _pseudonyms("f", 300), _pseudonyms("c", 300)
    doc = _doc(ids, members)
    stored = encode_snapshot(doc)
    assert stored.startswith(MAGIC)
    assert decode_snapshot(stored) == doc
    as_text = len(zstandard.ZstdCompressor(level=3).compress(
        json.dumps(to_columns(doc), separators=(",", ":")).encode()))
    assert len(stored) < 0.95 * as_text  # 16 bytes an id, not 34 characters compressed
    # Ids of another shape (mixed prefixes, upper case, odd lengths) are kept as text.
    for other in (["f-00aa", "g-00bb"], ["f-00AA", "f-00BB"], ["f-0aa", "f-0bb"], ["x", "y"]):
        doc = _doc(other, ["c-0a", "c-0b"])
        assert decode_snapshot(encode_snapshot(doc)) == doc
    doc = {"format": 1, "problem": {"families": []}}  # not a run's shape: stored as it is
    assert decode_snapshot(encode_snapshot(doc)) == doc


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def before_binary(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty database migrated to the revision before ``snap_0001``."""
    drop = None
    if request.param == "postgresql":
        try:
            url, drop = rf.fresh_pg_database(None, prefix="fairshare_snap")
        except Exception as exc:
            pytest.skip(f"no PostgreSQL server ({exc})")
    else:
        url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = make_engine(url)
    upgrade(engine, "jobs_0001")
    try:
        yield engine
    finally:
        engine.dispose()
        if drop is not None:
            drop()


def _downgrade(engine: sa.Engine, revision: str) -> None:
    from alembic import command

    cfg: Any = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _add_run(conn: sa.Connection, run_id: str, snapshot: Any) -> None:
    conn.execute(sa.text(
        "INSERT INTO runs (id, created_at, created_by, policy, key, input_sha256, plan_sha256, "
        "snapshot, versions, solver, status, objective, families, placed) VALUES (:id, "
        ":at, 'tester', 'outcome', 'canada-population', :sha, :sha, :snap, '{}', 'fast', "
        "'optimal', 1.0, 3, 3)"),
        {"id": run_id, "at": rf.TODAY, "sha": "0" * 64,
         "snap": None if snapshot is None else json.dumps(snapshot)})


def test_snapshots_stored_as_json_read_after_the_upgrade_and_the_downgrade(
        before_binary: sa.Engine) -> None:
    engine = before_binary
    doc = _doc(_pseudonyms("f", 3), _pseudonyms("c", 3))
    old = {"R00001": doc, "R00002": _base64_form(doc), "R00003": None}
    cast = "CAST(:snap AS json)" if engine.dialect.name == "postgresql" else ":snap"
    with engine.begin() as conn:
        for run_id, snapshot in old.items():
            _add_run(conn, run_id, snapshot)
        if cast != ":snap":  # PostgreSQL's json column takes the text by a cast
            conn.execute(sa.text(f"UPDATE runs SET snapshot = {cast} WHERE id = :id"),
                         [{"id": r, "snap": json.dumps(s)} for r, s in old.items() if s])
    upgrade(engine)
    assert current_revision(engine) == "snap_0001"
    runs = sa.table("runs", sa.column("id"), sa.column("snapshot", sa.LargeBinary()))
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.select(runs.c.id, runs.c.snapshot)).all())
    assert all(isinstance(v, bytes) for k, v in stored.items() if k != "R00003")
    assert {k: decode_snapshot(v) for k, v in stored.items()} == {
        "R00001": doc, "R00002": doc, "R00003": None}
    with engine.begin() as conn:  # a snapshot written now, in the binary form
        conn.execute(sa.update(runs).where(runs.c.id == "R00003").values(
            snapshot=encode_snapshot(doc)))
    _downgrade(engine, "jobs_0001")
    json_runs = sa.table("runs", sa.column("id"), sa.column("snapshot", sa.JSON()))
    with engine.connect() as conn:
        back = dict(conn.execute(sa.select(json_runs.c.id, json_runs.c.snapshot)).all())
    assert {k: v["encoding"] for k, v in back.items()} == dict.fromkeys(old, ENCODING)
    assert all(decode_snapshot(v) == doc for v in back.values())


def test_a_runs_body_laid_out_from_the_problem_is_the_documents() -> None:
    # run_snapshot_body builds the columns straight from the problem; the body (and so the
    # input hash) is the one of the document it stands for, and decodes back to it.
    from fairshare.matching import Destination, Family, Member, Problem
    from fairshare.service.snapshot import (
        decode_snapshot,
        encode_snapshot,
        input_hash,
        problem_to_json,
        run_snapshot_body,
        snapshot_body,
    )

    fids, cids = _pseudonyms("f-", 3), _pseudonyms("c-", 4)
    owners = [fids[0], fids[0], fids[1], fids[2]]
    members = {fid: tuple(Member(id=c, family_id=fid, birth_year=1980 + k, sex="F",
                                 languages=(("fr", "B2"),), education="secondary",
                                 work_experience_years=float(k))
                          for k, (c, o) in enumerate(zip(cids, owners, strict=True)) if o == fid)
               for fid in fids}
    fams = tuple(Family(fid, len(members[fid]), True, current="QC", preferences=("ON", "NB"),
                        services=frozenset({"medical"}), ties=frozenset({"NB"}),
                        members=members[fid]) for fid in reversed(fids))
    dests = (Destination("ON", 9, housing_units={"1-2": 2}), Destination("NB", 5))
    scores = {fid: {"ON": 0.25 * k, "NB": 0.5} for k, fid in enumerate(fids)}
    problem = Problem(fams, dests, scores, name="registry", meta={"key": "k", "as_of": "x"})
    rest = {"format": 1, "key": "k", "solver": "auto", "model": {"id": "default"}}
    inputs = [{"id": m.id, "family_id": m.family_id, "birth_year": m.birth_year, "sex": m.sex,
               "languages": [list(x) for x in m.languages], "education": m.education,
               "occupation_group": "sales"} for f in problem.sorted().families
              for m in sorted(f.members, key=lambda m: m.id)]
    other = [*inputs[1:], inputs[0]]  # not in the members' order: kept as it is
    missing = Problem(fams, dests, {fids[0]: {"ON": 0.1}})  # not every family scored
    for prob, model_input in ((problem, inputs), (problem, other), (missing, inputs)):
        doc = {**rest, "problem": problem_to_json(prob), "model_input": model_input}
        body = run_snapshot_body(prob, rest, model_input)
        assert body == snapshot_body(doc) and body[:1] == (b"D" if prob is missing else b"C")
        assert input_hash(doc) == input_hash(doc, body=body)
        assert decode_snapshot(encode_snapshot(doc, body=body)) == doc
