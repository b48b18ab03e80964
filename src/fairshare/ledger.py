"""The intake ledger: what each jurisdiction received against its fair share, over time.

Pure functions over typed values. For each year the total to share out (by default the sum of
the jurisdictions' intakes) is apportioned by the key's shares with an integer method; transfers
between jurisdictions move intake; the surplus is intake − fair share and fulfilment is
intake ÷ fair share (Germany's Erfüllungsquote). Optionally the balance carries forward from year
to year (as in the Netherlands), or the years are summed (cumulative).

>>> rows = compute_ledger({"A": 0.5, "B": 0.5}, {"2024": {"A": 70, "B": 30}}, ["2024"],
...                       population={"A": 1000, "B": 1000}).rows
>>> [(r.code, r.fair_share, r.surplus) for r in rows]
[('A', 50, 20), ('B', 50, -20)]
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fairshare.apportion import apportion
from fairshare.errors import InputError
from fairshare.i18n import Num, Text, msg


@dataclass(frozen=True)
class Transfer:
    """People moved from one jurisdiction to another (a voluntary, consented relocation)."""

    from_code: str
    to_code: str
    count: int
    date: dt.date


@dataclass(frozen=True)
class LedgerRow:
    """One jurisdiction in one period (a year, or the whole range when cumulative)."""

    period: str
    code: str
    share: float
    intake: int
    transfers_in: int
    transfers_out: int
    net_intake: int
    fair_share: int
    surplus: int
    fulfilment: float | None
    per_1000: float | None
    carried_in: int
    balance: int
    source: str = "published"


@dataclass(frozen=True)
class RegistryFlows:
    """What the registry adds to the published intake (a hashable value).

    ``transfers``: every recorded transfer, counted in the year of its date. ``intake``:
    ``(year, code, persons)`` received in the registry in years after the published data (by
    the jurisdiction each family was received from); those years are shown from registry data
    alone. ``current_year``: the last year a balance may be asked for.
    """

    transfers: tuple[Transfer, ...] = ()
    intake: tuple[tuple[str, str, int], ...] = ()
    current_year: int | None = None

    def years_after(self, last_published: str) -> list[str]:
        """The registry-only years: after ``last_published`` up to the current year.

        >>> RegistryFlows(current_year=2026).years_after("2024")
        ['2025', '2026']
        """
        if self.current_year is None:
            return []
        return [str(y) for y in range(int(last_published) + 1, self.current_year + 1)]

    def intake_by_year(self) -> dict[str, dict[str, float]]:
        """year -> code -> persons received (registry-only years)."""
        out: dict[str, dict[str, float]] = {}
        for year, code, persons in self.intake:
            out.setdefault(year, {})
            out[year][code] = out[year].get(code, 0.0) + persons
        return out


@dataclass(frozen=True)
class Ledger:
    """Rows in period order then jurisdiction order, the totals shared out, and notes."""

    rows: tuple[LedgerRow, ...]
    totals: dict[str, int]
    total_basis: str
    method: str
    notes: tuple[Text, ...] = field(default=())


def parse_years(text: str, available: Sequence[str]) -> list[str]:
    """Parse ``2024``, ``2019-2024`` or ``2019,2021`` against the years the data has.

    >>> parse_years("2019-2021", ["2019", "2020", "2021", "2022"])
    ['2019', '2020', '2021']
    """
    years: list[str] = []
    for part in str(text).split(","):
        part = part.strip()
        if "-" in part:
            lo, _, hi = part.partition("-")
            if not (lo.strip().isdigit() and hi.strip().isdigit()) or int(lo) > int(hi):
                raise InputError(msg("years_format", text=str(text)))
            years.extend(str(y) for y in range(int(lo), int(hi) + 1))
        elif part.isdigit():
            years.append(part)
        else:
            raise InputError(msg("years_not_a_year", text=str(text), part=part))
    missing = [y for y in years if y not in available]
    if missing:
        raise InputError(msg("years_no_data", text=str(text), missing=", ".join(missing),
                             first=available[0], last=available[-1]))
    return sorted(set(years))


def check_net_intake(rows: Sequence[LedgerRow]) -> None:
    """Refuse a ledger in which transfers take more people out of a jurisdiction than it took in.

    Raises:
        InputError: naming each year and jurisdiction, with its intake and transfers.
    """
    bad: list[Text] = [msg("net_intake_row", period=r.period, code=r.code, intake=Num(r.intake),
                           transfers_in=Num(r.transfers_in), transfers_out=Num(r.transfers_out),
                           net=Num(r.net_intake)) for r in rows if r.net_intake < 0]
    if bad:
        raise InputError(msg("net_intake_negative"), details=bad)


def _net_transfers(transfers: Sequence[Transfer], year: str,
                   codes: Sequence[str]) -> tuple[dict[str, int], dict[str, int]]:
    t_in = dict.fromkeys(codes, 0)
    t_out = dict.fromkeys(codes, 0)
    for t in transfers:
        if str(t.date.year) == year:
            t_in[t.to_code] += t.count
            t_out[t.from_code] += t.count
    return t_in, t_out


def compute_ledger(shares: Mapping[str, float], intake_by_year: Mapping[str, Mapping[str, float]],
                   years: Sequence[str], *, population: Mapping[str, float],
                   transfers: Sequence[Transfer] = (), method: str = "hamilton",
                   totals: Mapping[str, int] | None = None, total_basis: str = "jurisdictions",
                   cumulative: bool = False, carry_forward: bool = False,
                   registry_years: frozenset[str] = frozenset()) -> Ledger:
    """Intake against fair share for each year in ``years`` (or summed when ``cumulative``).

    Args:
        shares: each jurisdiction's share under the key (sums to 1), in display order.
        intake_by_year: year -> jurisdiction -> intake (claims).
        years: the years to report.
        population: residents per jurisdiction, for claims per 1,000 residents.
        transfers: relocations; each counts in the year of its date.
        method: apportionment method for the fair share in whole persons.
        totals: year -> total to share out; default the sum of the jurisdictions' intakes.
        total_basis: a label saying where ``totals`` came from, shown with the output.
        cumulative: one row per jurisdiction over the whole range.
        carry_forward: carry each year's balance (surplus or deficit) into the next year.
        registry_years: years whose intake comes from the registry alone (no published
            data); their rows say ``source="registry"``.

    Raises:
        InputError: unknown jurisdictions, or transfers that make a net intake negative.
    """
    codes = list(shares)
    unknown = sorted({c for t in transfers for c in (t.from_code, t.to_code)} - set(codes))
    if unknown:
        raise InputError(msg("transfers_unknown_codes", unknown=", ".join(unknown),
                             codes=", ".join(codes)))
    notes: list[Text] = []
    outside = [t for t in transfers if str(t.date.year) not in years]
    if outside:
        notes.append(msg("note_transfers_outside", n=len(outside), first=years[0], last=years[-1]))
    used_totals: dict[str, int] = {}
    yearly: list[LedgerRow] = []
    carried = dict.fromkeys(codes, 0)
    for year in years:
        intake = {c: round(float(intake_by_year[year].get(c, 0.0))) for c in codes}
        total = int(totals[year]) if totals is not None else sum(intake.values())
        used_totals[year] = total
        result = apportion(dict(shares), total, method)
        for tie in result.ties:
            notes.append(tie.message(year))
        t_in, t_out = _net_transfers(transfers, year, codes)
        for c in codes:
            net = intake[c] + t_in[c] - t_out[c]
            fair = result.seats[c]
            surplus = net - fair
            pop = population.get(c)
            carried_in = carried[c] if carry_forward else 0
            balance = carried_in + surplus
            carried[c] = balance
            yearly.append(LedgerRow(
                period=year, code=c, share=shares[c], intake=intake[c], transfers_in=t_in[c],
                transfers_out=t_out[c], net_intake=net, fair_share=fair, surplus=surplus,
                fulfilment=(net / fair) if fair else None,
                per_1000=(net / pop * 1000) if pop else None, carried_in=carried_in,
                balance=balance, source="registry" if year in registry_years else "published"))
    check_net_intake(yearly)
    if not cumulative:
        return Ledger(rows=tuple(yearly), totals=used_totals, total_basis=total_basis,
                      method=method, notes=tuple(notes))
    period = years[0] if len(years) == 1 else f"{years[0]}-{years[-1]}"
    sources = {r.source for r in yearly}
    source = sources.pop() if len(sources) == 1 else "published+registry"
    rows = []
    for c in codes:
        mine = [r for r in yearly if r.code == c]
        net = sum(r.net_intake for r in mine)
        fair = sum(r.fair_share for r in mine)
        pop = population.get(c)
        rows.append(LedgerRow(
            period=period, code=c, share=shares[c], intake=sum(r.intake for r in mine),
            transfers_in=sum(r.transfers_in for r in mine),
            transfers_out=sum(r.transfers_out for r in mine), net_intake=net, fair_share=fair,
            surplus=net - fair, fulfilment=(net / fair) if fair else None,
            per_1000=(net / pop * 1000) if pop else None, carried_in=0, balance=net - fair,
            source=source))
    return Ledger(rows=tuple(rows), totals={period: sum(used_totals.values())},
                  total_basis=total_basis, method=method, notes=tuple(notes))


def check_shares(shares: Mapping[str, float]) -> None:
    """Shares must be finite, non-negative and sum to 1 within 1e-9."""
    total = math.fsum(shares.values())
    if any(not math.isfinite(v) or v < 0 for v in shares.values()) or abs(total - 1) > 1e-9:
        raise InputError(msg("shares_sum", total=f"{total:.12g}"))
