"""Small cells stay small: the one place that decides what an analyst (aggregates only) sees.

A count of 1 to N-1 people (N: the small-cell threshold, ``FAIRSHARE_SMALL_CELL``, default 10)
is shown as ``"<N"``. Suppressing the cell is not enough when something else shown with it
lets one subtract it back, so every figure an analyst receives goes through this module:

* a table of cells with a total (:func:`protect`) suppresses a second cell when only one is
  suppressed (complementary suppression), or withholds the total when there is no second cell;
* a figure derived from a suppressed count (capacity remaining beside the persons offered,
  net intake beside published intake) is withheld (None);
* a count inside a note is suppressed like any cell.

The shells (API, pages) call these functions through the read models; none suppresses by
itself.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)


def suppress(count: int, threshold: int) -> int | str:
    """A count, or ``"<N"`` when it is a small cell (1 to N-1 people).

    >>> suppress(3, 10), suppress(0, 10), suppress(12, 10)
    ('<10', 0, 12)
    """
    return f"<{threshold}" if 0 < count < threshold else count


def is_small(count: int, threshold: int) -> bool:
    """Whether ``count`` is a small cell."""
    return 0 < count < threshold


def protect(cells: Mapping[K, int], threshold: int,
            total: int | None = None) -> tuple[dict[K, int | str], int | str | None]:
    """Cells and their total as an analyst may see them.

    Small cells are suppressed. When exactly one cell is suppressed and the total is shown,
    the smallest other non-zero cell is suppressed too (so subtraction gives only the sum of
    two); with no such cell the total is withheld (None). A small total is suppressed.

    >>> protect({"NB": 3, "ON": 40, "QC": 25}, 10, total=68)
    ({'NB': '<10', 'ON': 40, 'QC': '<10'}, 68)
    >>> protect({"NB": 3, "ON": 0}, 10, total=3)
    ({'NB': '<10', 'ON': 0}, '<10')
    >>> protect({"NB": 3, "ON": 40}, 10)
    ({'NB': '<10', 'ON': 40}, None)
    """
    hidden = {k for k, v in cells.items() if is_small(v, threshold)}
    shown_total: int | str | None = None if total is None else suppress(total, threshold)
    if len(hidden) == 1 and total is not None:
        others = sorted((v, str(k), k) for k, v in cells.items() if k not in hidden and v > 0)
        if others:
            hidden.add(others[0][2])
        else:
            shown_total = shown_total if isinstance(shown_total, str) else None
    out: dict[K, int | str] = {k: (f"<{threshold}" if k in hidden and v > 0 else v)
                               for k, v in cells.items()}
    return out, shown_total


_COUNT_NOTE = re.compile(r"\b(\d+)(?= (?:transfer|famil|person|claimant|people))")


def protect_note(note: str, threshold: int) -> str:
    """A note with every count of people or transfers in it suppressed like a cell.

    >>> protect_note("3 transfer(s) dated outside 2019-2024 were not counted.", 10)
    '<10 transfer(s) dated outside 2019-2024 were not counted.'
    """
    return _COUNT_NOTE.sub(lambda m: str(suppress(int(m.group(1)), threshold)), note)


def capacity_rows(offers: list[dict[str, Any]], threshold: int) -> list[dict[str, Any]]:
    """Capacity offers for an analyst: the persons offered, the persons used suppressed when
    small, and the remainder withheld then (offered minus remaining would give it back)."""
    out = []
    for o in offers:
        used = int(o["used"])
        small = is_small(used, threshold)
        out.append({**o, "used": suppress(used, threshold),
                    "remaining": None if small else o["remaining"]})
    return out


#: Balance columns exact only when the registry's transfers and intake are.
_DERIVED = ("net_intake", "surplus", "fulfilment", "per_1000", "carried_in", "balance")


def balance_rows(result: dict[str, Any], threshold: int) -> dict[str, Any]:
    """The balance for an analyst. Published intake is public; what comes from the registry
    (transfers in and out; intake in registry-only years) is suppressed when small, with
    complementary suppression over each year's intake (its total gives the fair shares), and
    the columns computed from a suppressed count are withheld."""
    rows = [dict(r) for r in result["rows"]]
    years = sorted({r["year"] for r in rows})
    for year in years:
        part = [r for r in rows if r["year"] == year]
        registry_year = any(r.get("source") == "registry" for r in part)
        if registry_year:
            cells, total = protect({r["code"]: int(r["intake"] or 0) for r in part}, threshold,
                                   total=sum(int(r["intake"] or 0) for r in part))
            for r in part:
                r["intake"] = cells[r["code"]]
                if total is None or isinstance(total, str):
                    r["fair_share"] = None
        for r in part:
            hidden = isinstance(r["intake"], str)
            for col in ("transfers_in", "transfers_out"):
                value = int(r.get(col) or 0)
                r[col] = suppress(value, threshold)
                hidden = hidden or is_small(value, threshold)
            if hidden:
                for col in _DERIVED:
                    r[col] = None
                if r.get("fair_share") is None:
                    r["surplus"] = None
    # A carried balance sums earlier years: withheld from a withheld year of the code on.
    withheld: set[str] = set()
    for r in sorted(rows, key=lambda r: str(r["year"])):
        if r["code"] in withheld:
            r["balance"] = r["carried_in"] = None
        if r["balance"] is None:
            withheld.add(r["code"])
    return {**result, "rows": rows, "notes": [protect_note(n, threshold)
                                              for n in result.get("notes", [])]}
