"""Financial solidarity: an amount per person a jurisdiction is below or above its fair share.

A solidarity policy is dated, referenced YAML (``scenarios/solidarity/*.yaml``): the amount per
person, whether jurisdictions below their fair share pay (``pays``) and those above receive
(``receives``), who funds the receipts (``pool``: what the payers pay in, shared in proportion
to each receiver's excess; ``federal``: the federal government, at the full amount), a
``tolerance`` (the fraction of the fair share neither charged nor paid: a deduction), a
``pool_persons`` cap (a payer is charged for at most its key share of this many persons, as in
the EU pool of 30,000) and a ``cap_amount`` per jurisdiction. Amounts are positive when the
jurisdiction receives and negative when it pays.

>>> pol = load_solidarity("eu-2024-pool").version_on(None)
>>> lines = solidarity_amounts(pol, surplus={"A": 100, "B": -100}, fair_share={"A": 400, "B": 600},
...                            shares={"A": 0.4, "B": 0.6})
>>> [(x.code, x.persons, x.amount) for x in lines]
[('A', 100, 2000000.0), ('B', 100, -2000000.0)]
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairshare.errors import ScenarioError
from fairshare.i18n import msg
from fairshare.reference import Source

POLICY_DIR = Path(__file__).resolve().parent / "solidarity"
FUNDING = ("pool", "federal")


@dataclass(frozen=True)
class SolidarityVersion:
    """The terms of a solidarity policy from the date they take effect."""

    effective: dt.date
    amount_per_person: float
    amount_confidence: str
    derivation: str
    pays: bool
    receives: bool
    funding: str
    tolerance: float
    pool_persons: int | None
    cap_amount: float | None


@dataclass(frozen=True)
class SolidarityPolicy:
    """A dated, referenced solidarity policy."""

    id: str
    label: str
    description: str
    label_fr: str
    description_fr: str
    currency: str
    references: tuple[Source, ...]
    versions: tuple[SolidarityVersion, ...]
    path: Path

    def version_on(self, on: dt.date | None) -> SolidarityVersion:
        """The version in effect on ``on`` (the latest when None)."""
        if on is None:
            return self.versions[-1]
        eligible = [v for v in self.versions if v.effective <= on]
        if not eligible:
            raise ScenarioError(msg("solidarity_not_in_effect", policy=self.id,
                                    effective=str(self.versions[0].effective), on=str(on)))
        return eligible[-1]


@dataclass(frozen=True)
class SolidarityLine:
    """One jurisdiction's solidarity: persons counted and the amount (+ receives, - pays)."""

    code: str
    surplus: int
    persons: int
    amount: float
    capped: bool


def _need(path: Path, data: Mapping[str, Any], name: str, where: str = "") -> Any:
    if name not in data or data[name] is None or data[name] == "":
        raise ScenarioError(msg("yaml_field_missing", where=f"{path}{where}", field=name))
    return data[name]


def _number(path: Path, where: str, value: Any, name: str, *, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value < 0:
        raise ScenarioError(msg("yaml_field_number", where=f"{path}{where}", field=name,
                                value=repr(value)))
    return float(value)


def _parse_version(path: Path, i: int, raw: Any) -> SolidarityVersion:
    where = f", versions[{i}]"
    if not isinstance(raw, dict):
        raise ScenarioError(msg("yaml_expected_mapping", where=f"{path}{where}"))
    try:
        effective = dt.date.fromisoformat(str(_need(path, raw, "effective", where)))
    except ValueError:
        raise ScenarioError(msg("yaml_field_date", where=f"{path}{where}", field="effective")) from None
    funding = str(_need(path, raw, "funding", where))
    if funding not in FUNDING:
        raise ScenarioError(msg("solidarity_funding", where=f"{path}{where}", funding=funding,
                                allowed=", ".join(FUNDING)))
    flags = {}
    for name in ("pays", "receives"):
        value = _need(path, raw, name, where)
        if not isinstance(value, bool):
            raise ScenarioError(msg("yaml_field_bool", where=f"{path}{where}", field=name))
        flags[name] = value
    tolerance = _number(path, where, raw.get("tolerance", 0.0), "tolerance")
    assert tolerance is not None  # nosec B101 # type narrowing / internal invariant
    if tolerance >= 1:
        raise ScenarioError(msg("solidarity_tolerance", where=f"{path}{where}"))
    pool = _number(path, where, raw.get("pool_persons"), "pool_persons", allow_none=True)
    amount = _number(path, where, _need(path, raw, "amount_per_person", where), "amount_per_person")
    assert amount is not None  # nosec B101 # type narrowing / internal invariant
    return SolidarityVersion(
        effective=effective, amount_per_person=amount,
        amount_confidence=str(_need(path, raw, "amount_confidence", where)),
        derivation=str(raw.get("derivation", "")), pays=flags["pays"], receives=flags["receives"],
        funding=funding, tolerance=tolerance, pool_persons=None if pool is None else int(pool),
        cap_amount=_number(path, where, raw.get("cap_amount"), "cap_amount", allow_none=True))


def parse_solidarity(path: Path) -> SolidarityPolicy:
    """Parse and check a solidarity policy file."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(msg("solidarity_cannot_read", where=str(path), problem=str(exc))) from None
    if not isinstance(data, dict):
        raise ScenarioError(msg("solidarity_not_mapping", where=str(path)))
    refs = _need(path, data, "references")
    if not isinstance(refs, list) or not all(isinstance(r, dict) and r.get("title") and r.get("url")
                                             for r in refs):
        raise ScenarioError(msg("yaml_references", where=str(path)))
    raw_versions = _need(path, data, "versions")
    if not isinstance(raw_versions, list) or not raw_versions:
        raise ScenarioError(msg("yaml_versions", where=str(path)))
    versions = tuple(sorted((_parse_version(path, i, v) for i, v in enumerate(raw_versions)),
                            key=lambda v: v.effective))
    return SolidarityPolicy(
        id=str(_need(path, data, "id")), label=str(_need(path, data, "label")),
        description=str(_need(path, data, "description")).strip(),
        label_fr=str(data.get("label_fr") or data["label"]),
        description_fr=str(data.get("description_fr") or data["description"]).strip(),
        currency=str(_need(path, data, "currency")),
        references=tuple(Source(title=str(r["title"]), url=str(r["url"])) for r in refs),
        versions=versions, path=path)


@functools.lru_cache(maxsize=1)
def _presets() -> dict[str, SolidarityPolicy]:
    return {p.id: p for p in (parse_solidarity(f) for f in sorted(POLICY_DIR.glob("*.yaml")))}


def list_solidarity() -> list[SolidarityPolicy]:
    """The shipped solidarity policies, sorted by id."""
    return [p for _, p in sorted(_presets().items())]


def load_solidarity(policy: str | Path) -> SolidarityPolicy:
    """A shipped policy by id (``eu-2024-pool``) or a policy file by path."""
    text = str(policy)
    presets = _presets()
    if text in presets:
        return presets[text]
    path = Path(text).expanduser()
    if path.is_file():
        return parse_solidarity(path)
    raise ScenarioError(msg("solidarity_unknown", policy=text, presets=", ".join(sorted(presets))))


def solidarity_amounts(version: SolidarityVersion, *, surplus: Mapping[str, int],
                       fair_share: Mapping[str, int],
                       shares: Mapping[str, float]) -> list[SolidarityLine]:
    """Each jurisdiction's amount under ``version`` given its surplus against its fair share.

    Args:
        version: the policy's terms.
        surplus: persons above (+) or below (-) the fair share, per jurisdiction.
        fair_share: the fair share in persons (for the tolerance).
        shares: the key's shares (for the ``pool_persons`` cap).

    Returns:
        One line per jurisdiction, in the order of ``surplus``.
    """
    rate = version.amount_per_person
    counted: dict[str, int] = {}
    capped: dict[str, bool] = {}
    for code, s in surplus.items():
        free = math.floor(version.tolerance * fair_share.get(code, 0))
        persons = max(abs(int(s)) - free, 0)
        cap = False
        if s < 0 and version.pool_persons is not None:
            limit = math.floor(shares.get(code, 0.0) * version.pool_persons)
            if persons > limit:
                persons, cap = limit, True
        if (s < 0 and not version.pays) or (s > 0 and not version.receives) or s == 0:
            persons = 0
        counted[code], capped[code] = persons, cap
    amounts: dict[str, float] = {}
    for code, s in surplus.items():
        value = counted[code] * rate
        if version.cap_amount is not None and value > version.cap_amount:
            value, capped[code] = version.cap_amount, True
        amounts[code] = -value if s < 0 else value
    if version.funding == "pool":
        paid_in = -sum(v for v in amounts.values() if v < 0)
        owed = sum(v for v in amounts.values() if v > 0)
        if owed > paid_in:
            factor = paid_in / owed if owed else 0.0
            amounts = {c: (v * factor if v > 0 else v) for c, v in amounts.items()}
    return [SolidarityLine(code=c, surplus=int(s), persons=counted[c],
                           amount=round(amounts[c], 2), capped=capped[c])
            for c, s in surplus.items()]
