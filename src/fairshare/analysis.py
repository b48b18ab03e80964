"""The analyst's API: keys, shares and the ledger as pandas DataFrames.

The CLI's ``shares`` and ``balance`` commands print exactly these frames.

>>> df = shares_frame("canada-population", total=1000)
>>> int(df["fair_share"].sum()), list(df.columns[:4])
(1000, ['code', 'name', 'share', 'fair_share'])
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairshare.errors import FairshareError, InputError
from fairshare.i18n import Localised, Text, msg
from fairshare.keys import KeyResult, evaluate_key, load_key, parse_date
from fairshare.ledger import Ledger, RegistryFlows, Transfer, compute_ledger, parse_years
from fairshare.reference import Federation, load_federation, read_csv_rows

if TYPE_CHECKING:
    import pandas as pd

TOTAL_BASES = ("jurisdictions", "published")


def evaluate(key: str | Path, *, on: str | None = None,
             data: str | Path | None = None) -> tuple[Federation, KeyResult]:
    """Load the federation and the key, and evaluate the key on ``on`` (latest by default)."""
    definition = load_key(key)
    fed = _federation_for(definition.federation, data)
    return fed, evaluate_key(definition, fed, parse_date(on))


def _federation_for(key_federation: str, data: str | Path | None) -> Federation:
    if data is None and key_federation not in ("any", "canada"):
        data = key_federation  # e.g. the German keys default to the German data
    return load_federation(data)


def shares_frame(key: str | Path, *, total: int | None = None, method: str = "hamilton",
                 on: str | None = None, data: str | Path | None = None) -> pd.DataFrame:
    """Each jurisdiction's share under ``key``, and its fair share of ``total`` if given.

    Columns: code, name, share, fair_share (when ``total``), then one column per component.
    """
    import pandas as pd

    from fairshare.apportion import apportion

    fed, result = evaluate(key, on=on, data=data)
    if total is not None and total < 0:
        raise InputError(msg("total_option_negative", total=total))
    seats = apportion(result.shares, total, method).seats if total is not None else None
    rows: list[dict[str, Any]] = []
    for j in fed.jurisdictions:
        row: dict[str, Any] = {"code": j.code, "name": j.name, "share": result.shares[j.code]}
        if seats is not None:
            row["fair_share"] = seats[j.code]
        for comp in result.components:
            row[f"share_{comp.component.indicator}"] = comp.shares[j.code]
        rows.append(row)
    df = pd.DataFrame(rows)
    df.attrs.update(key=result.key.id, effective=result.effective.isoformat(),
                    federation=fed.id, folder=str(fed.folder), notes=list(result.notes),
                    total=total, method=method)
    return df


def map_frame(key: str | Path, *, years: str | int = "2024", method: str = "hamilton",
              data: str | Path | None = None) -> pd.DataFrame:
    """What ``fairshare map`` draws. Where the federation records intake: the balance over
    ``years`` summed (:func:`balance_frame`, whose ``fulfilment`` is intake ÷ fair share). Where
    it does not (Germany ships only its key): each jurisdiction's share under the key
    (:func:`shares_frame`; ``years`` does not apply). ``df.attrs["folder"]`` names the federation.

    >>> list(map_frame("de-koenigstein-2020").columns[:3]), "fulfilment" in map_frame("canada-population")
    (['code', 'name', 'share'], True)
    """
    fed = _federation_for(load_key(key).federation, data)
    if fed.intake_indicator:
        return balance_frame(key, years=years, cumulative=True, method=method, data=data)
    return shares_frame(key, method=method, data=data)


def read_transfers(path: str | Path, fed: Federation) -> list[Transfer]:
    """Read transfers CSV ``from,to,count,date``; every bad cell is reported with row and column."""
    p = Path(path)
    try:
        header, rows = read_csv_rows(p)
    except FairshareError as exc:
        raise InputError(exc.source, details=exc.raw_details) from None
    needed = ["from", "to", "count", "date"]
    missing = [c for c in needed if c not in header]
    if missing:
        raise InputError(msg("transfers_missing_columns", where=str(p),
                             missing=", ".join(missing)))
    errors: list[Text] = []
    out: list[Transfer] = []
    codes = set(fed.codes)
    for i, row in enumerate(rows, start=2):
        bad = False
        for col in ("from", "to"):
            if row[col] not in codes:
                errors.append(msg("transfers_unknown_code", row=i, column=col, code=row[col]))
                bad = True
        if row["from"] == row["to"] and row["from"]:
            errors.append(msg("transfers_same_code", row=i, code=row["from"]))
            bad = True
        try:
            count = int(row["count"])
            if count <= 0:
                raise ValueError
        except ValueError:
            errors.append(msg("transfers_bad_count", row=i, raw=row["count"]))
            bad = True
        try:
            date = dt.date.fromisoformat(row["date"])
        except ValueError:
            errors.append(msg("transfers_bad_date", row=i, raw=row["date"]))
            bad = True
        if not bad:
            out.append(Transfer(from_code=row["from"], to_code=row["to"], count=count, date=date))
    if errors:
        raise InputError(msg("transfers_problems", where=str(p), n=len(errors)), details=errors)
    return out


def available_years(fed: Federation, registry: RegistryFlows | None = None) -> list[str]:
    """Years a balance can be computed for: the published intake's, then (with a registry) each
    later year up to the current one, from registry data alone."""
    published = list(fed.intake().periods)
    return published + (registry.years_after(published[-1]) if registry else [])


def compute_balance(key: str | Path, *, years: str | int = "2024", cumulative: bool = False,
                    transfers: str | Path | list[Transfer] | None = None,
                    method: str = "hamilton", carry_forward: bool = False,
                    total_basis: str = "jurisdictions", on: str | None = None,
                    data: str | Path | None = None, registry: RegistryFlows | None = None,
                    ) -> tuple[Federation, KeyResult, Ledger]:
    """The ledger under ``key`` for ``years``; see :func:`fairshare.ledger.compute_ledger`.

    This is the one balance of fairshare: the CLI's ``balance``, the API, the web overview and
    ``run create`` (fair-share gaps, surplus before and after a plan) all call it. ``registry``
    adds the registry's transfers (each in the year of its date) and, for the years after the
    published data up to the current year, the intake the registry received (those rows say
    ``source="registry"``). ``transfers`` (a CSV file or values) adds hypothetical moves.

    Raises:
        InputError: bad years or transfers, or transfers that make a net intake negative.
    """
    if total_basis not in TOTAL_BASES:
        raise InputError(msg("error_total_basis", value=total_basis, bases=", ".join(TOTAL_BASES)))
    fed, result = evaluate(key, on=on, data=data)
    intake = fed.intake()
    extra_years = registry.years_after(intake.periods[-1]) if registry else []
    year_list = parse_years(str(years), available_years(fed, registry))
    moves = (read_transfers(transfers, fed) if isinstance(transfers, str | Path)
             else list(transfers or []))
    if registry is not None:
        moves = list(registry.transfers) + moves
    by_year: dict[str, Any] = dict(intake.values_by_period)
    by_year.update({y: (registry.intake_by_year().get(y, {}) if registry else {})
                    for y in extra_years})
    totals = None
    if total_basis == "published":
        national = [c for c, role in intake.extra_roles.items() if role == "national_total"]
        if not national:
            raise InputError(msg("error_no_national_total", federation=fed.label))
        totals = {y: (round(intake.extra_rows.get(y, {}).get(national[0], 0.0))
                      if y not in extra_years else round(sum(by_year[y].values())))
                  for y in year_list}
    basis = ("sum of the jurisdictions' intakes" if total_basis == "jurisdictions"
             else "published national total (includes offices not assigned to a jurisdiction)")
    population_id = "population" if "population" in fed.indicators else None
    population = fed.values(population_id) if population_id else {}
    ledger = compute_ledger(result.shares, by_year, year_list,
                            population=population, transfers=moves, method=method, totals=totals,
                            total_basis=basis, cumulative=cumulative, carry_forward=carry_forward,
                            registry_years=frozenset(extra_years))
    shown = [y for y in year_list if y in extra_years]
    if shown:
        ledger = replace(ledger, notes=(*ledger.notes, *(
            msg("note_registry_year", year=y) for y in shown)))
    return fed, result, ledger


def balance_frame(key: str | Path, *, years: str | int = "2024", cumulative: bool = False,
                  transfers: str | Path | list[Transfer] | None = None, method: str = "hamilton",
                  carry_forward: bool = False, total_basis: str = "jurisdictions",
                  on: str | None = None, data: str | Path | None = None,
                  registry: RegistryFlows | None = None) -> pd.DataFrame:
    """Intake against fair share: one row per jurisdiction and year (or per jurisdiction).

    Columns: year, code, name, share, intake, transfers_in, transfers_out, net_intake,
    fair_share, surplus, fulfilment, per_1000, carried_in, balance, source (``published``, or
    ``registry`` for a year after the published data). ``df.attrs`` holds the key, the totals
    shared out and where they came from, and notes (e.g. partial years). ``registry``: see
    :func:`compute_balance`.
    """
    import pandas as pd

    fed, result, ledger = compute_balance(key, years=years, cumulative=cumulative,
                                          transfers=transfers, method=method,
                                          carry_forward=carry_forward, total_basis=total_basis,
                                          on=on, data=data, registry=registry)
    names = {j.code: j.name for j in fed.jurisdictions}
    rows = []
    for r in ledger.rows:
        d = asdict(r)
        d["year"] = d.pop("period")
        d["name"] = names[r.code]
        rows.append(d)
    order = ["year", "code", "name", "share", "intake", "transfers_in", "transfers_out",
             "net_intake", "fair_share", "surplus", "fulfilment", "per_1000", "carried_in", "balance",
             "source"]
    df = pd.DataFrame(rows, columns=order)
    intake = fed.intake()
    notes: list[Text] = [*result.notes, *ledger.notes]
    for y in sorted({str(r.period) for r in ledger.rows} | set(ledger.totals)):
        for part in y.split("-"):
            if part in intake.period_notes:
                notes.append(msg("note_period_covers", period=part, what=Localised(
                    intake.period_notes[part], intake.period_notes_fr.get(part, ""))))
    df.attrs.update(key=result.key.id, effective=result.effective.isoformat(), federation=fed.id,
                    folder=str(fed.folder), totals=ledger.totals, total_basis=ledger.total_basis,
                    method=method, notes=sorted(set(notes), key=str), intake_source=intake.source.title,
                    intake_notes=intake.notes)
    return df
