"""Named exceptions for fairshare.

Every error a user can cause derives from :class:`FairshareError`. Its message is part of the
interface: it names the file, row and column where it can, and says what to do. The CLI prints
the message (no traceback) and exits with code 2; the API answers 4xx with it as JSON.
"""

from __future__ import annotations


class FairshareError(Exception):
    """Base class of every error caused by input or configuration (exit code 2)."""

    exit_code = 2

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details or [])

    def __str__(self) -> str:
        if not self.details:
            return self.message
        shown = self.details[:50]
        more = len(self.details) - len(shown)
        lines = [self.message, *(f"  - {d}" for d in shown)]
        if more:
            lines.append(f"  ... and {more} more")
        return "\n".join(lines)


class InputError(FairshareError):
    """A file, argument or value the user supplied is malformed."""


class JsonBodyError(InputError):
    """A JSON request body refused before parsing (too deep, huge numbers, not text)."""


class DataError(FairshareError):
    """Reference or federation data are missing or inconsistent."""


class KeyDefinitionError(FairshareError):
    """A distribution key file is malformed or cannot be evaluated."""


class ApportionmentError(FairshareError):
    """An apportionment cannot be computed (bad weights, infeasible bounds)."""


class MatchingError(FairshareError):
    """A matching problem is malformed (checks failed before solving)."""


class StoreError(FairshareError):
    """The database refused an operation (conflict, missing entity, integrity)."""


class ConflictError(StoreError):
    """The same identifier arrived with different content."""


class NotFoundError(StoreError):
    """An entity named by the user does not exist."""


class PermissionDeniedError(FairshareError):
    """The caller's role or agreement does not allow the operation."""


class ScenarioError(FairshareError):
    """A scenario grid, solidarity policy or sweep folder is malformed or inconsistent."""


class DemoModeError(FairshareError):
    """Demo and real data would meet: ``serve --demo`` on a real home, or demo accounts in a
    registry served normally."""
