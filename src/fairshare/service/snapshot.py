"""A matching problem as canonical JSON (the run's input snapshot) and back."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from typing import Any

from fairshare.matching import Destination, Family, Member, Problem
from fairshare.store.audit import canonical_json


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


def load_snapshot(stored: Any) -> dict[str, Any] | None:
    """The run snapshot document as stored in ``runs.snapshot`` (None: purged)."""
    return None if stored is None else dict(stored)


def store_snapshot(doc: dict[str, Any]) -> Any:
    """What :func:`load_snapshot` reads back, for ``runs.snapshot``."""
    return doc


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
