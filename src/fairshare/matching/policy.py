"""Matching policies: weights and switches as dated, referenced YAML data.

A policy never lives in Python code. Presets ship in ``fairshare/matching/policies``:
``outcome``, ``balanced`` and ``preference-first``; a user passes a path to their own file.

Per-person value of placing a member of family f at destination d::

    outcome * score[f][d] + preference * pref(f, d) + ties * tie(f, d) + fair_share * gap(d)

where ``pref`` is 1 for the first choice and falls linearly to 1/k for the k-th of k choices
(0 when unranked), ``tie`` is 1 when relatives live at d, and ``gap`` is d's shortfall against its
fair-share target relative to the largest shortfall (0 above target). The family's value is its
size times the per-person value (a sum over members).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from fairshare.errors import MatchingError
from fairshare.i18n import msg

PRESETS = ("outcome", "balanced", "preference-first")


@dataclass(frozen=True)
class Reference:
    """A source a policy relies on."""

    title: str
    url: str


@dataclass(frozen=True)
class Policy:
    """Weights and switches of a matching policy.

    Attributes:
        id: short name (``outcome``).
        label: human title.
        description: what the policy does and why.
        valid_from: the date it takes effect.
        references: sources (title + URL).
        outcome: weight of the predicted outcome (per person).
        preference: weight of the preference bonus (per person).
        ties: weight of the ties-to-relatives bonus (per person).
        fair_share: weight of the fair-share gap bonus (per person).
        place_all: place the largest possible number of consenting persons first (lexicographic).
        unplaced_penalty: per-person penalty for an unplaced family when ``place_all`` is false.
        outcome_floor: when set (e.g. 0.95), the plan must keep at least this fraction of the best
            achievable total outcome, and the other weights are optimised within it.
        fair_share_mode: ``bonus`` (the ``fair_share`` weight only) or ``constraint`` (YAML
            ``fair_share: {mode: constraint}``): no family goes to a jurisdiction at or above
            its fair share while one below it has room for it (docs/matching.md).
    """

    id: str
    label: str
    description: str
    valid_from: dt.date
    references: tuple[Reference, ...]
    outcome: float = 1.0
    preference: float = 0.0
    ties: float = 0.0
    fair_share: float = 0.0
    place_all: bool = True
    unplaced_penalty: float = 0.0
    outcome_floor: float | None = None
    fair_share_mode: str = "bonus"

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary recorded with each run."""
        return {
            "id": self.id, "label": self.label, "valid_from": self.valid_from.isoformat(),
            "outcome": self.outcome, "preference": self.preference, "ties": self.ties,
            "fair_share": self.fair_share, "place_all": self.place_all,
            "unplaced_penalty": self.unplaced_penalty, "outcome_floor": self.outcome_floor,
            "fair_share_mode": self.fair_share_mode,
        }


_WEIGHTS = ("outcome", "preference", "ties", "fair_share", "unplaced_penalty")
FAIR_SHARE_MODES = ("bonus", "constraint")


def _fair_share_mode(data: dict[str, Any], where: str) -> str:
    """``fair_share: {mode: bonus|constraint}`` (absent: bonus)."""
    raw = data.get("fair_share")
    if raw is None:
        return "bonus"
    mode = raw.get("mode") if isinstance(raw, dict) else None
    if mode not in FAIR_SHARE_MODES or set(raw) - {"mode"}:
        raise MatchingError(msg("policy_fair_share_mode", where=where))
    return str(mode)


def _parse(data: Any, where: str) -> Policy:
    if not isinstance(data, dict):
        raise MatchingError(msg("policy_not_mapping", where=where))
    missing = [k for k in ("id", "label", "description", "references", "valid_from", "weights")
               if k not in data]
    if missing:
        raise MatchingError(msg("policy_lacks", where=where, missing=", ".join(missing)))
    refs = data["references"]
    if not isinstance(refs, list) or not refs or not all(
            isinstance(r, dict) and r.get("title") and r.get("url") for r in refs):
        raise MatchingError(msg("policy_references", where=where))
    weights = data["weights"]
    if not isinstance(weights, dict):
        raise MatchingError(msg("policy_weights_mapping", where=where))
    unknown = sorted(set(weights) - set(_WEIGHTS))
    if unknown:
        raise MatchingError(msg("policy_unknown_weights", where=where, unknown=", ".join(unknown),
                                known=", ".join(_WEIGHTS)))
    values: dict[str, float] = {}
    for key in _WEIGHTS:
        raw = weights.get(key, 0.0)
        if not isinstance(raw, int | float) or isinstance(raw, bool) or raw < 0:
            raise MatchingError(msg("policy_weight_number", where=where, key=key))
        values[key] = float(raw)
    floor = data.get("outcome_floor")
    if floor is not None and (not isinstance(floor, int | float) or not 0 < floor <= 1):
        raise MatchingError(msg("policy_floor", where=where))
    valid_from = data["valid_from"]
    if isinstance(valid_from, str):
        try:
            valid_from = dt.date.fromisoformat(valid_from)
        except ValueError as exc:
            raise MatchingError(msg("policy_valid_from_not_date", where=where,
                                    raw=str(valid_from))) from exc
    if not isinstance(valid_from, dt.date):
        raise MatchingError(msg("policy_valid_from", where=where))
    if floor is None and values["outcome"] == 0 and values["preference"] == 0:
        raise MatchingError(msg("policy_needs_weight", where=where))
    return Policy(
        id=str(data["id"]), label=str(data["label"]), description=str(data["description"]),
        valid_from=valid_from,
        references=tuple(Reference(str(r["title"]), str(r["url"])) for r in refs),
        outcome=values["outcome"], preference=values["preference"], ties=values["ties"],
        fair_share=values["fair_share"], place_all=bool(data.get("place_all", True)),
        unplaced_penalty=values["unplaced_penalty"],
        outcome_floor=None if floor is None else float(floor),
        fair_share_mode=_fair_share_mode(data, where),
    )


def policy_from_text(text: str, where: str = "text") -> Policy:
    """A policy from YAML text (e.g. the copy a run stored), checked like a file.

    >>> policy_from_text(resources.files("fairshare.matching").joinpath(
    ...     "policies", "balanced.yaml").read_text(encoding="utf-8")).id
    'balanced'
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MatchingError(msg("policy_bad_yaml", where=where, problem=str(exc))) from exc
    return _parse(data, where)


def load_policy(name_or_path: str) -> Policy:
    """Load a preset (``outcome``, ``balanced``, ``preference-first``) or a YAML file.

    >>> load_policy("outcome").place_all
    True
    """
    if name_or_path in PRESETS:
        text = resources.files("fairshare.matching").joinpath(
            "policies", f"{name_or_path}.yaml").read_text(encoding="utf-8")
        where = f"'{name_or_path}'"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise MatchingError(msg("policy_unknown", name=name_or_path,
                                    presets=", ".join(PRESETS)))
        text = path.read_text(encoding="utf-8")
        where = str(path)
    return policy_from_text(text, where)
