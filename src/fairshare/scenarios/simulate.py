"""Which engines and online policies a cell can simulate.

Engine ``arrivals`` (:mod:`fairshare.arrivals`, when installed) offers its online policies;
engine ``matching`` decides each month with :func:`fairshare.matching.solve` (``myopic``).
"""

from __future__ import annotations

from fairshare.scenarios.cell import ONLINE_POLICIES_BUILTIN

ENGINES = ("arrivals", "matching")


def arrivals_available() -> bool:
    """Whether the arrivals engine is installed."""
    try:
        import fairshare.arrivals  # noqa: F401
    except ImportError:
        return False
    return True


def default_engine() -> str:
    """``arrivals`` when installed, else ``matching``."""
    return "arrivals" if arrivals_available() else "matching"


def available_online_policies(engine: str | None = None) -> tuple[str, ...]:
    """Online policies a grid may name with ``engine`` (default: the default engine), sorted."""
    if (engine or default_engine()) == "arrivals" and arrivals_available():
        from fairshare.arrivals import POLICIES

        return tuple(sorted(p for p in POLICIES if p != "hindsight"))
    return tuple(sorted(ONLINE_POLICIES_BUILTIN))
