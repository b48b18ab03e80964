"""fairshare: fair, consent-based distribution of asylum claimants across a federation.

The analyst's API returns pandas DataFrames::

    >>> import fairshare
    >>> df = fairshare.shares("canada-population", total=1000)  # doctest: +SKIP
    >>> bal = fairshare.balance("canada-population", years="2024")  # doctest: +SKIP

The engines (keys, apportionment, ledger, matching, outcomes) are pure functions over typed
values; the service layer adds the database; the CLI, API and web pages are thin shells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "balance", "read_sweep", "shares"]

if TYPE_CHECKING:
    import pandas as pd


def shares(key: str, *, total: int | None = None, method: str = "hamilton",
           on: str | None = None, data: str | None = None) -> pd.DataFrame:
    """Each jurisdiction's share under ``key`` (and its apportioned fair share of ``total``).

    See :func:`fairshare.analysis.shares_frame`.
    """
    from fairshare.analysis import shares_frame

    return shares_frame(key, total=total, method=method, on=on, data=data)


def balance(key: str, *, years: str | int = "2024", cumulative: bool = False,
            transfers: str | None = None, method: str = "hamilton",
            carry_forward: bool = False, data: str | None = None,
            **kwargs: Any) -> pd.DataFrame:
    """Intake against fair share per jurisdiction. See :func:`fairshare.analysis.balance_frame`."""
    from fairshare.analysis import balance_frame

    return balance_frame(key, years=years, cumulative=cumulative, transfers=transfers,
                         method=method, carry_forward=carry_forward, data=data, **kwargs)


def read_sweep(folder: str) -> pd.DataFrame:
    """A sweep's rows (one per finished cell and jurisdiction). See
    :func:`fairshare.scenarios.results.read_sweep`."""
    from fairshare.scenarios.results import read_sweep as _read

    return _read(folder)
