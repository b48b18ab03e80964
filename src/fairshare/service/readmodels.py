"""Read models shared by the API and the pages: the analysis engine's frames as plain rows.

The engine's results depend only on the shipped reference data and the arguments, so they are
memoised (bounded caches). Transfers recorded in the registry are passed in explicitly, as a
tuple, so that a new transfer gives a new cache entry.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from fairshare.ledger import RegistryFlows

YEARS_DEFAULT = "2019-2024"


def _clean(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _records(df: Any) -> list[dict[str, Any]]:
    return [{str(k): _clean(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


@functools.lru_cache(maxsize=8)
def keys_list() -> list[dict[str, Any]]:
    """Every preset key: id, label, description, references and dated formulas."""
    from fairshare.keys import list_keys

    return [{"id": k.id, "label": k.label, "description": k.description, "label_fr": k.label_fr,
             "description_fr": k.description_fr,
             "federation": k.federation, "unit": k.unit,
             "references": [{"title": r.title, "url": r.url, "title_fr": r.title_fr or r.title}
                            for r in k.references],
             "versions": [{"effective": v.effective, "formula": v.formula,
                           "formula_fr": v.formula_in("fr")} for v in k.versions]}
            for k in list_keys()]


def keys_for_pages(lang: str) -> list[dict[str, Any]]:
    """The keys that apply to the shipped (Canadian) data, labelled in ``lang`` (en or fr)."""
    keys = [k for k in keys_list() if k["federation"] in ("any", "canada")]
    if lang != "fr":
        return keys
    return [{**k, "label": k["label_fr"], "description": k["description_fr"],
             "references": [{**r, "title": r["title_fr"]} for r in k["references"]],
             "versions": [{**v, "formula": v["formula_fr"]} for v in k["versions"]]}
            for k in keys]


@functools.lru_cache(maxsize=8)
def jurisdictions() -> list[dict[str, str]]:
    """The shipped federation's members."""
    from fairshare.reference import load_federation

    return [{"code": j.code, "name": j.name, "name_fr": j.name_fr, "iso_3166_2": j.iso_3166_2}
            for j in load_federation().jurisdictions]


@functools.lru_cache(maxsize=64)
def shares(key: str, total: int | None = None, method: str = "hamilton",
           on: str | None = None) -> dict[str, Any]:
    """Shares under ``key`` (see :func:`fairshare.analysis.shares_frame`)."""
    from fairshare.analysis import shares_frame

    df = shares_frame(key, total=total, method=method, on=on)
    rows = [{"code": r["code"], "name": r["name"], "share": r["share"],
             "fair_share": r.get("fair_share")} for r in _records(df)]
    return {"key": df.attrs["key"], "effective": df.attrs["effective"], "method": method,
            "total": total, "notes": [str(n) for n in df.attrs.get("notes", [])],
            "note_texts": list(df.attrs.get("notes", [])), "rows": rows}


@functools.lru_cache(maxsize=128)
def balance(key: str, years: str = YEARS_DEFAULT, cumulative: bool = False,
            method: str = "hamilton", carry_forward: bool = False,
            registry: RegistryFlows | None = None) -> dict[str, Any]:
    """Intake against fair share: the one balance (:func:`fairshare.analysis.compute_balance`)
    with the registry's flows (transfers by date, registry-only years)."""
    from fairshare.analysis import balance_frame

    df = balance_frame(key, years=years, cumulative=cumulative, method=method,
                       carry_forward=carry_forward, registry=registry)
    rows = _records(df)
    for r in rows:
        r["year"] = str(r["year"])
    return {"key": df.attrs["key"], "effective": df.attrs["effective"], "method": method,
            "total_basis": df.attrs.get("total_basis", ""),
            "notes": [str(n) for n in df.attrs.get("notes", [])],  # English (the API's)
            "note_texts": list(df.attrs.get("notes", [])),  # for each reader's language
            "rows": rows}
