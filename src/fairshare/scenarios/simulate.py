"""Which online policies a cell can simulate, and with which engine.

The cell's built-in engine decides each month with :func:`fairshare.matching.solve` on the
month's batch (``myopic``). When the arrivals engine (:mod:`fairshare.arrivals`) is installed,
its online policies are offered too.
"""

from __future__ import annotations

from fairshare.scenarios.cell import ONLINE_POLICIES_BUILTIN


def available_online_policies() -> tuple[str, ...]:
    """Online policies a grid may name, sorted."""
    return tuple(sorted(ONLINE_POLICIES_BUILTIN))
