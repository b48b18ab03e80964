"""A matching problem as canonical JSON (the run's input snapshot) and back; how a run's
snapshot is stored (compressed) and read.

A snapshot is stored in ``runs.snapshot`` as ``{"encoding": "zstd+base64", "data": ...}``: the
canonical JSON of the document, compressed with Zstandard, in base64 (the column is JSON on
both databases). Snapshots stored before compression (a plain document, ``"format": 1``) still
read: :func:`decode_snapshot` returns any value without the marker as it is. Use
:func:`store_snapshot` and :func:`load_snapshot` (or the pure :func:`encode_snapshot` and
:func:`decode_snapshot`) rather than the column itself.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select, update

from fairshare.matching import Destination, Family, Member, Problem
from fairshare.store.audit import canonical_json
from fairshare.store.tables import runs

ENCODING = "zstd+base64"
ZSTD_LEVEL = 3  # level 9 saves a further 7% for three times the time (20,000 families: 2 s)


def problem_to_json(problem: Problem) -> dict[str, Any]:
    """A JSON document of ``problem`` (sorted: row order never changes the hash)."""
    prob = problem.sorted()
    return {
        "name": prob.name,
        "meta": dict(sorted(prob.meta.items())),
        "families": [{
            "id": f.id, "size": f.size, "consent": f.consent, "current": f.current,
            "services": sorted(f.services), "excluded": sorted(f.excluded),
            "preferences": list(f.preferences), "ties": sorted(f.ties),
            "members": [{"id": m.id, "birth_year": m.birth_year, "sex": m.sex,
                         "languages": [list(x) for x in m.languages], "education": m.education,
                         "work_experience_years": m.work_experience_years}
                        for m in sorted(f.members, key=lambda m: m.id)],
        } for f in prob.families],
        "destinations": [_destination_json(d) for d in prob.destinations],
        "scores": {fid: dict(sorted(s.items())) for fid, s in sorted(prob.scores.items())},
    }


def _destination_json(d: Destination) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(d):
        value = getattr(d, f.name)
        if isinstance(value, frozenset | set):
            value = sorted(value)
        elif isinstance(value, Mapping):
            value = dict(sorted(value.items()))
        out[f.name] = value
    return out


def _destination_kwargs(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (frozenset(v) if k == "services" else v) for k, v in d.items()}


def problem_from_json(doc: dict[str, Any]) -> Problem:
    """The problem stored by :func:`problem_to_json`."""
    fams = tuple(Family(
        id=f["id"], size=int(f["size"]), consent=bool(f["consent"]), current=f["current"],
        services=frozenset(f["services"]), excluded=frozenset(f["excluded"]),
        preferences=tuple(f["preferences"]), ties=frozenset(f["ties"]),
        members=tuple(Member(id=m["id"], family_id=f["id"], birth_year=m["birth_year"],
                             sex=m["sex"], languages=tuple((a, b) for a, b in m["languages"]),
                             education=m["education"],
                             work_experience_years=m["work_experience_years"])
                      for m in f["members"]))
        for f in doc["families"])
    dests = tuple(Destination(**_destination_kwargs(d)) for d in doc["destinations"])
    return Problem(families=fams, destinations=dests,
                   scores={k: dict(v) for k, v in doc["scores"].items()},
                   name=doc["name"], meta=dict(doc["meta"]))


def sha256_json(value: Any) -> str:
    """sha256 of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def plan_hash(assignment: dict[str, str | None]) -> str:
    """The hash of a plan: family id -> destination, sorted."""
    return sha256_json(sorted(assignment.items()))


def encode_snapshot(doc: dict[str, Any], *, canonical: str | None = None) -> dict[str, Any]:
    """The stored form of a snapshot document (compressed, with its format marker);
    ``canonical``: ``canonical_json(doc)`` when the caller already has it (for the hash).

    >>> stored = encode_snapshot({"format": 1, "problem": {"families": []}})
    >>> stored["encoding"], decode_snapshot(stored)
    ('zstd+base64', {'format': 1, 'problem': {'families': []}})
    """
    import zstandard

    raw = (canonical if canonical is not None else canonical_json(doc)).encode("utf-8")
    packed = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(raw)
    return {"encoding": ENCODING, "data": base64.b64encode(packed).decode("ascii")}


def decode_snapshot(stored: Any) -> dict[str, Any] | None:
    """The snapshot document of a stored value: decompressed when it carries the marker, as it
    is when it is an older, uncompressed document; None when it was purged.

    >>> decode_snapshot({"format": 1, "problem": {}})
    {'format': 1, 'problem': {}}
    >>> decode_snapshot(None) is None
    True
    """
    if stored is None:
        return None
    if isinstance(stored, dict) and stored.get("encoding") == ENCODING:
        import zstandard

        raw = zstandard.ZstdDecompressor().decompress(base64.b64decode(stored["data"]))
        doc: dict[str, Any] = json.loads(raw)
        return doc
    if isinstance(stored, dict):
        return stored
    raise ValueError(f"A run snapshot of an unknown form ({type(stored).__name__}).")


def store_snapshot(conn: Connection, run_id: str, doc: dict[str, Any] | None) -> None:
    """Write (compressed) or clear (``None``) the snapshot of ``run_id`` in the caller's
    transaction."""
    conn.execute(update(runs).where(runs.c.id == run_id).values(
        snapshot=None if doc is None else encode_snapshot(doc)))


def load_snapshot(conn: Connection, run_id: str) -> dict[str, Any] | None:
    """The snapshot document of ``run_id`` (None when the run has none or it was purged)."""
    stored = conn.execute(select(runs.c.snapshot).where(runs.c.id == run_id)).scalar_one_or_none()
    return decode_snapshot(stored)
