"""Evaluate a distribution key on a federation's reference data: a pure function."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from fairshare.errors import KeyDefinitionError
from fairshare.i18n import Text, msg
from fairshare.keys.model import Component, KeyDefinition
from fairshare.reference import Federation


@dataclass(frozen=True)
class ComponentResult:
    """One component's inputs and shares, for transparency."""

    component: Component
    periods: tuple[str, ...]
    values: dict[str, float | None]
    shares: dict[str, float]


@dataclass(frozen=True)
class KeyResult:
    """Every jurisdiction's share under a key (in the federation's order), with the working."""

    key: KeyDefinition
    effective: dt.date
    federation: str
    shares: dict[str, float]
    components: tuple[ComponentResult, ...]
    notes: tuple[Text, ...]


def _resolve_periods(fed: Federation, comp: Component) -> tuple[str, ...]:
    ind = fed.indicator(comp.indicator)
    out = []
    for p in comp.periods:
        period = ind.periods[-1] if p == "latest" else p
        if period not in ind.values_by_period:
            raise KeyDefinitionError(msg("key_no_period", indicator=comp.indicator, period=period,
                                         federation=fed.label, periods=", ".join(ind.periods)))
        out.append(period)
    return tuple(out)


def _raw_values(fed: Federation, key: KeyDefinition, comp: Component,
                periods: tuple[str, ...]) -> dict[str, float | None]:
    ind = fed.indicator(comp.indicator)
    values: dict[str, float | None] = {}
    for code in fed.codes:
        got = [ind.values_by_period[p].get(code) for p in periods]
        if any(v is None for v in got):
            values[code] = None
            continue
        nums = [float(v) for v in got if v is not None]
        total = math.fsum(nums)
        values[code] = total / len(nums) if comp.aggregate == "mean" else total
    if comp.per_capita_of:
        denom = fed.values(comp.per_capita_of)
        for code, v in values.items():
            d = denom.get(code)
            if v is None or d is None:
                values[code] = None
            elif d <= 0:
                raise KeyDefinitionError(msg("key_divisor", key=key.id, indicator=comp.per_capita_of,
                                             value=f"{d:g}", code=code))
            else:
                values[code] = v / d
    return values


def _transform(key: KeyDefinition, comp: Component, values: dict[str, float]) -> dict[str, float]:
    for code, v in values.items():
        if v < 0:
            raise KeyDefinitionError(msg("key_negative", key=key.id, indicator=comp.indicator,
                                         value=f"{v:g}", code=code))
        if comp.transform == "inverse" and v == 0:
            raise KeyDefinitionError(msg("key_inverse_zero", key=key.id, indicator=comp.indicator,
                                         code=code))
    raw = {c: (1.0 / v if comp.transform == "inverse" else v) for c, v in values.items()}
    total = math.fsum(raw.values())
    if total <= 0:
        raise KeyDefinitionError(msg("key_sums_zero", key=key.id, indicator=comp.indicator))
    return {c: v / total for c, v in raw.items()}


def _cap(shares: dict[str, float], base: dict[str, float], cap: float) -> dict[str, float]:
    """Keep each share within base × (1 ± cap), renormalising the others (water-filling)."""
    lo = {c: base[c] * (1 - cap) for c in shares}
    hi = {c: base[c] * (1 + cap) for c in shares}
    current = dict(shares)
    fixed: dict[str, float] = {}
    for _ in range(len(shares) + 1):
        free = [c for c in current if c not in fixed]
        budget = 1.0 - math.fsum(fixed.values())
        total_free = math.fsum(current[c] for c in free)
        scaled = {c: current[c] * budget / total_free if total_free > 0 else budget / len(free)
                  for c in free}
        violators = {c: (lo[c] if v < lo[c] else hi[c]) for c, v in scaled.items()
                     if v < lo[c] - 1e-15 or v > hi[c] + 1e-15}
        if not violators:
            fixed.update(scaled)
            break
        fixed.update(violators)
        if len(fixed) == len(shares):
            break
    return {c: fixed[c] for c in shares}


def evaluate_key(key: KeyDefinition, fed: Federation, on: dt.date | None = None) -> KeyResult:
    """Shares of every jurisdiction of ``fed`` under ``key`` (the version in effect ``on``).

    Shares sum to 1 within 1e-12. A missing indicator value is an error naming the
    jurisdictions, unless the component says ``missing: neutral``.
    """
    version = key.version_on(on)
    comps = version.components
    periods = {id(c): _resolve_periods(fed, c) for c in comps}
    raw = {id(c): _raw_values(fed, key, c, periods[id(c)]) for c in comps}
    notes: list[Text] = []

    base_comps = [c for c in comps if c.cap_relative_to_base is None and c.missing == "error"]
    for c in comps:
        missing = [code for code, v in raw[id(c)].items() if v is None]
        if missing and c.missing == "error":
            ind = fed.indicator(c.indicator)
            raise KeyDefinitionError(msg("key_missing_values", key=key.id, indicator=c.indicator,
                                         periods=", ".join(periods[id(c)]),
                                         codes=", ".join(missing),
                                         file=str(fed.folder / ind.file), path=str(key.path)))
    base: dict[str, float] = {}
    if base_comps:
        wsum = math.fsum(c.weight for c in base_comps)
        parts = [(c.weight / wsum, _transform(key, c, {k: v for k, v in raw[id(c)].items()
                                                         if v is not None})) for c in base_comps]
        base = {code: math.fsum(w * s[code] for w, s in parts) for code in fed.codes}
    elif any(c.cap_relative_to_base is not None or c.missing == "neutral" for c in comps):
        raise KeyDefinitionError(msg("key_needs_plain", key=key.id))

    results: list[ComponentResult] = []
    for c in comps:
        values = raw[id(c)]
        if c.transform == "inverse" and c.missing == "neutral":
            # A zero rate has no finite inverse: under `missing: neutral` it counts as missing.
            values = {k: (None if v == 0 else v) for k, v in values.items()}
        present = {k: v for k, v in values.items() if v is not None}
        absent = [k for k, v in values.items() if v is None]
        shares = _transform(key, c, present)
        if absent:
            budget = 1.0 - math.fsum(base[k] for k in absent)
            shares = {k: shares[k] * budget for k in present} | {k: base[k] for k in absent}
            notes.append(msg("note_neutral", indicator=c.indicator, codes=", ".join(absent)))
        if c.cap_relative_to_base is not None:
            shares = _cap(shares, base, c.cap_relative_to_base)
        results.append(ComponentResult(component=c, periods=periods[id(c)], values=values,
                                       shares={k: shares[k] for k in fed.codes}))
    combined = {code: math.fsum(r.component.weight * r.shares[code] for r in results)
                for code in fed.codes}
    total = math.fsum(combined.values())
    final = {code: v / total for code, v in combined.items()}
    return KeyResult(key=key, effective=version.effective, federation=fed.id, shares=final,
                     components=tuple(results), notes=tuple(notes))
