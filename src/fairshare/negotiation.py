"""The negotiating table for analysts: solidarity amounts and temporary-resident targets as
DataFrames (the CLI and notebooks call these; the engines live in fairshare.scenarios)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def solidarity_frame(key: str | Path, *, years: str | int = "2024", policy: str | Path = "canada-ihap",
                     cumulative: bool = False, transfers: str | Path | None = None,
                     method: str = "hamilton", data: str | Path | None = None) -> pd.DataFrame:
    """Each jurisdiction's solidarity amount per year (or over the years) under ``policy``.

    The surplus comes from the ledger (:func:`fairshare.analysis.compute_balance`): intake plus
    transfers in, minus transfers out, minus the fair share under ``key``. Columns: year, code,
    name, fair_share, net_intake, surplus, persons (counted by the policy), amount (+ receives,
    - pays), capped, currency. ``df.attrs`` holds the policy, its version and references.
    """
    import datetime as dt

    import pandas as pd

    from fairshare.analysis import compute_balance
    from fairshare.scenarios.solidarity import load_solidarity, solidarity_amounts

    pol = load_solidarity(policy)
    fed, result, ledger = compute_balance(key, years=years, cumulative=cumulative,
                                          transfers=transfers, method=method, data=data)
    names = {j.code: j.name for j in fed.jurisdictions}
    rows = []
    for period in dict.fromkeys(r.period for r in ledger.rows):
        mine = [r for r in ledger.rows if r.period == period]
        year = int(str(period).split("-")[-1])
        version = pol.version_on(max(dt.date(year, 12, 31), pol.versions[0].effective))
        lines = solidarity_amounts(version, surplus={r.code: r.surplus for r in mine},
                                   fair_share={r.code: r.fair_share for r in mine},
                                   shares=result.shares)
        for r, line in zip(mine, lines, strict=True):
            rows.append({"year": period, "code": r.code, "name": names[r.code],
                         "fair_share": r.fair_share, "net_intake": r.net_intake,
                         "surplus": r.surplus, "persons": line.persons, "amount": line.amount,
                         "capped": line.capped, "currency": pol.currency})
    df = pd.DataFrame(rows)
    version = pol.version_on(None)
    df.attrs.update(policy=pol.id, label=pol.label, key=result.key.id,
                    amount_per_person=version.amount_per_person,
                    amount_confidence=version.amount_confidence, derivation=version.derivation,
                    references=[f"{r.title} <{r.url}>" for r in pol.references])
    return df


def temporary_resident_frame(provinces: str | Path | None = None,
                             data: str | Path | None = None) -> pd.DataFrame:
    """Progress toward each temporary-resident target (one row per target).

    ``provinces`` is Statistics Canada table 17-10-0121-01 as downloaded (CSV); without it the
    province targets (Quebec's) have no series and say so.
    """
    import pandas as pd

    from fairshare.reference import load_federation
    from fairshare.scenarios.tr_targets import progress_rows, read_statcan_17100121, track

    series = None
    if provinces is not None:
        fed = load_federation(data)
        names = {"canada": "CA"}
        for j in fed.jurisdictions:
            names[j.name.lower()] = j.code
            names[j.name_fr.lower()] = j.code
        series = read_statcan_17100121(provinces, names=names)
    return pd.DataFrame(progress_rows(track(series)))
