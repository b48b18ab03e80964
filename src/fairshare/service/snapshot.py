"""A matching problem as canonical JSON (the run's input snapshot) and back; how a run's
snapshot is stored (compressed, binary) and read.

A snapshot is stored in ``runs.snapshot`` (a binary column) as :data:`MAGIC`, then the
document compressed with Zstandard: laid out by columns (see :func:`to_columns`: each id
written once, pseudonymised hexadecimal ids as their raw bytes, scores as one list) or as it
is (its canonical JSON). Older forms still read
(:func:`decode_snapshot`): the JSON marker ``{"encoding": "zstd+base64", "layout": ...,
"data": ...}`` of the base64 text stored before the column was binary, and the plain document
(``"format": 1``) stored before compression; migration ``snap_0001`` kept both as the bytes of
their JSON text. Use :func:`store_snapshot` and :func:`load_snapshot` (or the pure
:func:`encode_snapshot` and :func:`decode_snapshot`) rather than the column itself.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import operator
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select, update

from fairshare.matching import Destination, Family, Member, Problem
from fairshare.store.audit import canonical_json
from fairshare.store.tables import runs

ENCODING = "zstd+base64"  # the JSON marker of snapshots stored as base64 text (still read)
MAGIC = b"FSSNAP\x02"  # a stored snapshot's first bytes: binary form, version 2
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


def snapshot_body(doc: dict[str, Any]) -> bytes:
    """A snapshot document as it is stored before compression (:func:`encode_snapshot`).

    A run's document is laid out by columns (:func:`to_columns`: each family and member id
    written once, hexadecimal ids as raw bytes, scores as one list of numbers), which
    compresses about twice as well; any other document as it is (its canonical JSON). Keys
    are written sorted, so the body does not depend on the document's key order.
    """
    columns = to_columns(doc)
    if columns is None:
        return _LAYOUT_DOCUMENT + canonical_json(doc).encode("utf-8")
    return _columns_body(columns)


def run_snapshot_body(problem: Problem, rest: dict[str, Any],
                      model_input: list[dict[str, Any]]) -> bytes:
    """The :func:`snapshot_body` of the run document ``{**rest, "problem":
    problem_to_json(problem), "model_input": model_input}``, laid out by columns straight from
    ``problem`` (the document of 20,000 families is never built: :func:`decode_snapshot` gives
    it back)."""
    prob = problem.sorted()
    fams = prob.family_table
    ids = list(fams.ids)
    if set(prob.scores) != set(ids) or len(set(ids)) != len(ids):  # not the columns' shape
        return snapshot_body({**rest, "problem": problem_to_json(problem),
                              "model_input": model_input})
    members = [m for people in fams.members for m in sorted(people, key=_ID)]
    owners = [fid for fid, people in zip(ids, fams.members, strict=True) for _ in people]
    key_lists: dict[tuple[str, ...], int] = {}
    score_keys: list[int] = []
    score_values: list[float] = []
    for i in ids:
        scores = prob.scores[i]
        keys = tuple(sorted(scores))
        score_keys.append(key_lists.setdefault(keys, len(key_lists)))
        score_values.extend(map(scores.__getitem__, keys))
    out: dict[str, Any] = {
        "rest": rest, "name": prob.name, "meta": dict(sorted(prob.meta.items())),
        "destinations": [_destination_json(d) for d in prob.destinations],
        "families": {"id": ids, "size": fams.sizes.tolist(), "consent": fams.consent.tolist(),
                     "current": list(fams.current),
                     "services": [sorted(v) for v in fams.services],
                     "excluded": [sorted(v) for v in fams.excluded],
                     "preferences": [list(v) for v in fams.preferences],
                     "ties": [sorted(v) for v in fams.ties]},
        "members_per_family": [len(people) for people in fams.members],
        "members": {"id": [m.id for m in members],
                    "birth_year": [m.birth_year for m in members],
                    "sex": [m.sex for m in members],
                    "languages": [[list(x) for x in m.languages] for m in members],
                    "education": [m.education for m in members],
                    "work_experience_years": [m.work_experience_years for m in members]},
        "score_key_lists": [list(k) for k in key_lists], "score_keys": score_keys,
        "score_values": score_values,
    }
    mem = out["members"]
    if _inputs_follow(model_input, owners, mem):
        out["occupation_group"] = [a["occupation_group"] for a in model_input]
    else:
        out["model_input"] = model_input
    return _columns_body(out)


def _inputs_follow(model_input: Any, owners: list[str], mem: dict[str, list[Any]]) -> bool:
    """Whether the model input is the members' attributes in order (``mem``: the members'
    columns, ``owners``: each member's family id), plus the occupation: then only the
    occupation is stored."""
    wanted = {"id", "family_id", *_SHARED, "occupation_group"}
    if not isinstance(model_input, list) or len(model_input) != len(owners) or any(
            not isinstance(a, dict) or a.keys() != wanted for a in model_input):
        return False

    def column(k: str) -> list[Any]:
        return list(map(operator.itemgetter(k), model_input))

    return (column("id") == mem["id"] and column("family_id") == owners
            and all(column(k) == mem[k] for k in _SHARED))


def _columns_body(columns: dict[str, Any]) -> bytes:
    columns, blobs = _pack_ids(columns)
    head = json.dumps(columns, separators=(",", ":"), ensure_ascii=False,
                      sort_keys=True).encode("utf-8")
    return b"".join([_LAYOUT_COLUMNS, len(head).to_bytes(8, "big"), head, *blobs])


def input_hash(doc: dict[str, Any], *, body: bytes | None = None) -> str:
    """A run's input hash (``input_sha256``): the SHA-256 of its snapshot's
    :func:`snapshot_body` (``body`` when the caller has it). The body is a function of the
    document alone (the problem is sorted, the columns follow it) and gives the document back,
    so equal inputs hash alike and any change shows. Runs made before 2026-12-03 recorded the
    hash of the document's canonical JSON (:func:`sha256_json`): :func:`input_hash_matches`
    accepts both."""
    return hashlib.sha256(body if body is not None else snapshot_body(doc)).hexdigest()


def input_hash_matches(doc: dict[str, Any], recorded: str) -> bool:
    """Whether ``doc`` is the input a run recorded as ``recorded`` (:func:`input_hash`, or the
    canonical JSON's hash older runs recorded)."""
    return input_hash(doc) == recorded or sha256_json(doc) == recorded


def encode_snapshot(doc: dict[str, Any], *, body: bytes | None = None) -> bytes:
    """The stored form of a snapshot document: :data:`MAGIC`, then its :func:`snapshot_body`
    (``body`` when the caller has it) compressed with Zstandard.

    >>> stored = encode_snapshot({"format": 1, "problem": {"families": []}})
    >>> stored[:len(MAGIC)] == MAGIC, decode_snapshot(stored)
    (True, {'format': 1, 'problem': {'families': []}})
    """
    import zstandard

    raw = body if body is not None else snapshot_body(doc)
    return MAGIC + zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(raw)


def decode_snapshot(stored: Any) -> dict[str, Any] | None:
    """The snapshot document of a stored value (None when it was purged): the binary form,
    the base64 form of before (its JSON marker, as a value or as the bytes of its text) and
    the uncompressed document of before that (returned as it is).

    >>> decode_snapshot({"format": 1, "problem": {}})
    {'format': 1, 'problem': {}}
    >>> decode_snapshot(b'{"format": 1, "problem": {}}')
    {'format': 1, 'problem': {}}
    >>> decode_snapshot(None) is None
    True
    """
    if stored is None:
        return None
    if isinstance(stored, memoryview | bytearray):
        stored = bytes(stored)
    if isinstance(stored, bytes) and stored.startswith(MAGIC):
        import zstandard

        body = zstandard.ZstdDecompressor().decompress(stored[len(MAGIC):])
        layout, rest = body[:1], body[1:]
        if layout == _LAYOUT_DOCUMENT:
            doc: dict[str, Any] = json.loads(rest)
            return doc
        if layout == _LAYOUT_COLUMNS:
            size = int.from_bytes(rest[:8], "big")
            cols = _unpack_ids(json.loads(rest[8:8 + size]), rest[8 + size:])
            return from_columns(cols)
        raise ValueError(f"A run snapshot of an unknown layout ({layout!r}).")
    if isinstance(stored, bytes | str):  # a JSON value kept as the bytes of its text
        stored = json.loads(stored)
    if isinstance(stored, dict) and stored.get("encoding") == ENCODING:
        import zstandard

        raw = zstandard.ZstdDecompressor().decompress(base64.b64decode(stored["data"]))
        old: dict[str, Any] = json.loads(raw)
        return from_columns(old) if stored.get("layout") == COLUMNS else old
    if isinstance(stored, dict):
        return stored
    raise ValueError(f"A run snapshot of an unknown form ({type(stored).__name__}).")


_LAYOUT_DOCUMENT = b"D"  # canonical JSON of the document
_LAYOUT_COLUMNS = b"C"  # 8-byte length, JSON of the columns, then the raw bytes of packed ids
_HEX_ID = re.compile(r"(.*?)([0-9a-f]+)")
_PACKED = (("families", "id"), ("members", "id"))
_ID = operator.attrgetter("id")


def _pack_ids(cols: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
    """``cols`` with each id column of one prefix then lowercase hexadecimal digits of one
    even length (pseudonymised ids: ``f-`` and 32 digits) replaced by that shape, and the
    ids' raw bytes (half the size of their text, and random bytes do not compress)."""
    out = {**cols}
    blobs: list[bytes] = []
    for table, column in _PACKED:
        ids = cols[table][column]
        first = _HEX_ID.fullmatch(ids[0]) if ids and isinstance(ids[0], str) else None
        if first is None or len(first.group(2)) % 2:
            continue
        prefix, width = first.group(1), len(first.group(2))
        # One match over all the ids, one a line: as many lines as ids means no id holds a
        # line break, so each line is one id of the shape.
        shape = re.compile(f"(?:{re.escape(prefix)}[0-9a-f]{{{width}}}\n)*")
        if not all(isinstance(i, str) for i in ids):
            continue
        lines = "\n".join(ids) + "\n"
        if lines.count("\n") != len(ids) or not shape.fullmatch(lines):
            continue
        cut = len(prefix)
        blobs.append(bytes.fromhex("".join(i[cut:] for i in ids)))
        out[table] = {**cols[table], column: {"prefix": prefix, "hex_digits": width,
                                              "count": len(ids)}}
    return out, blobs


def _unpack_ids(cols: dict[str, Any], blobs: bytes) -> dict[str, Any]:
    """The columns :func:`_pack_ids` packed, their ids written out again."""
    at = 0
    for table, column in _PACKED:
        spec = cols[table][column]
        if not isinstance(spec, dict):
            continue
        width, count, prefix = int(spec["hex_digits"]), int(spec["count"]), spec["prefix"]
        size = width // 2 * count
        digits = blobs[at:at + size].hex()
        at += size
        cols[table][column] = [prefix + digits[k:k + width]
                               for k in range(0, width * count, width)]
    return cols


COLUMNS = "columns-1"
_FAMILY = ("id", "size", "consent", "current", "services", "excluded", "preferences", "ties")
_MEMBER = ("id", "birth_year", "sex", "languages", "education", "work_experience_years")
_SHARED = ("birth_year", "sex", "languages", "education")  # model input = member attributes


def to_columns(doc: dict[str, Any]) -> dict[str, Any] | None:
    """A run's snapshot document laid out by columns, or None when it has another shape
    (then it is stored as it is). :func:`from_columns` gives back an equal document.

    >>> doc = {"format": 1, "problem": {"name": "n", "meta": {}, "destinations": [],
    ...        "families": [{"id": "f1", "size": 1, "consent": True, "current": "QC",
    ...        "services": [], "excluded": [], "preferences": ["NB"], "ties": [],
    ...        "members": [{"id": "c1", "birth_year": 1990, "sex": "F", "languages": [],
    ...        "education": None, "work_experience_years": 2.0}]}],
    ...        "scores": {"f1": {"NB": 0.5}}}, "model_input": []}
    >>> from_columns(to_columns(doc)) == doc
    True
    """
    problem = doc.get("problem")
    if not isinstance(problem, dict) or set(problem) != {"name", "meta", "families",
                                                          "destinations", "scores"}:
        return None
    fams, scores = problem["families"], problem["scores"]
    if not isinstance(fams, list) or not isinstance(scores, dict):
        return None
    if any(not isinstance(f, dict) or set(f) != {*_FAMILY, "members"}
           or any(not isinstance(m, dict) or set(m) != set(_MEMBER) for m in f["members"])
           for f in fams):
        return None
    ids = [f["id"] for f in fams]
    if list(scores) != ids or any(not isinstance(s, dict) for s in scores.values()):
        return None
    members = [(f["id"], m) for f in fams for m in f["members"]]
    key_lists: dict[tuple[str, ...], int] = {}
    score_keys = [key_lists.setdefault(tuple(scores[i]), len(key_lists)) for i in ids]
    out: dict[str, Any] = {
        "rest": {k: v for k, v in doc.items() if k not in ("problem", "model_input")},
        "name": problem["name"], "meta": problem["meta"],
        "destinations": problem["destinations"],
        "families": {k: [f[k] for f in fams] for k in _FAMILY},
        "members_per_family": [len(f["members"]) for f in fams],
        "members": {k: [m[k] for _, m in members] for k in _MEMBER},
        "score_key_lists": [list(k) for k in key_lists], "score_keys": score_keys,
        "score_values": [v for i in ids for v in scores[i].values()],
    }
    model_input = doc.get("model_input")
    if "model_input" not in doc:
        out["model_input_absent"] = True
    elif _inputs_follow(model_input, [fid for fid, _ in members], out["members"]):
        out["occupation_group"] = [a["occupation_group"] for a in model_input]  # type: ignore[union-attr]
    else:
        out["model_input"] = model_input
    return out


def from_columns(cols: dict[str, Any]) -> dict[str, Any]:
    """The document :func:`to_columns` laid out."""
    fam_cols, mem_cols = cols["families"], cols["members"]
    n_members = len(mem_cols["id"])
    member_rows = [{k: mem_cols[k][j] for k in _MEMBER} for j in range(n_members)]
    key_lists = cols["score_key_lists"]
    values = cols["score_values"]
    fams, scores = [], {}
    at = pos = 0
    for i, count in enumerate(cols["members_per_family"]):
        fam = {k: fam_cols[k][i] for k in _FAMILY}
        fam["members"] = member_rows[at:at + count]
        at += count
        fams.append(fam)
        keys = key_lists[cols["score_keys"][i]]
        scores[fam["id"]] = dict(zip(keys, values[pos:pos + len(keys)], strict=True))
        pos += len(keys)
    doc: dict[str, Any] = {**cols["rest"], "problem": {
        "name": cols["name"], "meta": cols["meta"], "families": fams,
        "destinations": cols["destinations"], "scores": scores}}
    if "occupation_group" in cols:
        owners = [f["id"] for f in fams for _ in f["members"]]
        doc["model_input"] = [
            {"id": m["id"], "family_id": owner, **{k: m[k] for k in _SHARED},
             "occupation_group": occupation}
            for m, owner, occupation in zip(member_rows, owners, cols["occupation_group"],
                                            strict=True)]
    elif not cols.get("model_input_absent"):
        doc["model_input"] = cols["model_input"]
    return doc


def store_snapshot(conn: Connection, run_id: str, doc: dict[str, Any] | None) -> None:
    """Write (compressed, binary) or clear (``None``) the snapshot of ``run_id`` in the
    caller's transaction."""
    conn.execute(update(runs).where(runs.c.id == run_id).values(
        snapshot=None if doc is None else encode_snapshot(doc)))


def load_snapshot(conn: Connection, run_id: str) -> dict[str, Any] | None:
    """The snapshot document of ``run_id`` (None when the run has none or it was purged)."""
    stored = conn.execute(select(runs.c.snapshot).where(runs.c.id == run_id)).scalar_one_or_none()
    return decode_snapshot(stored)


#: A member's attributes in a snapshot, as left by :func:`redact_snapshot`.
REDACTED_MEMBER: dict[str, Any] = {"birth_year": None, "sex": None, "languages": [], "education": None,
                   "work_experience_years": None}


def redact_snapshot(doc: dict[str, Any], *, members: set[str],
                    families: set[str]) -> dict[str, Any] | None:
    """``doc`` without the attributes of anonymised ``members`` and ``families`` (None when it
    names none of them).

    A member keeps its id; its attributes (and the model input made of them) are cleared. A
    family keeps its id, size, consent and jurisdiction; its services, exclusions, preferences,
    ties and scores (a function of its members' attributes) are cleared. ``redacted`` counts
    what was removed. The snapshot no longer hashes to the run's recorded input hash, and a
    replay says so.
    """
    problem = doc.get("problem") or {}
    hit_members: set[str] = set()
    hit_families: set[str] = set()
    fams = []
    for f in problem.get("families", []):
        f = dict(f)
        new_members = []
        for m in f.get("members", []):
            if m["id"] in members and any(m.get(k) != v for k, v in REDACTED_MEMBER.items()):
                m = {**m, **REDACTED_MEMBER}
                hit_members.add(m["id"])
            new_members.append(m)
        f["members"] = new_members
        if f["id"] in families and (f["services"] or f["excluded"] or f["preferences"]
                                    or f["ties"] or problem.get("scores", {}).get(f["id"])):
            f.update(services=[], excluded=[], preferences=[], ties=[])
            hit_families.add(f["id"])
        fams.append(f)
    inputs = []
    for a in doc.get("model_input") or []:
        if a.get("id") in members and any(v is not None for k, v in a.items()
                                          if k not in ("id", "family_id")):
            a = {k: (v if k in ("id", "family_id") else None) for k, v in a.items()}
            hit_members.add(a["id"])
        inputs.append(a)
    if not hit_members and not hit_families:
        return None
    out = {**doc, "problem": {**problem, "families": fams, "scores": {
        k: v for k, v in problem.get("scores", {}).items() if k not in families}}}
    if "model_input" in doc:
        out["model_input"] = inputs
    done = dict(doc.get("redacted") or {"members": 0, "families": 0})
    out["redacted"] = {"members": int(done["members"]) + len(hit_members),
                       "families": int(done["families"]) + len(hit_families)}
    return out
