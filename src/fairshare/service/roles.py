"""Roles and what each may do (docs/trust.md, Security).

The permission table is data: one row per action, the roles allowed. Routes name the action
they perform; :func:`fairshare.api.auth.require` checks it. Jurisdiction scoping of provincial
officers is applied by the read functions (they receive the caller's jurisdiction).
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """The roles of fairshare's users."""

    coordinator = "coordinator"  # federal coordinator: everything
    officer = "officer"          # provincial officer: one jurisdiction
    analyst = "analyst"          # aggregates only, small cells suppressed
    auditor = "auditor"          # read-only, plus the audit log
    system = "system"            # another system (the optimiser's account): imports and runs,
                                 # never a final decision


class Action(enum.StrEnum):
    """Everything a route can do, named."""

    read_aggregates = "read_aggregates"
    read_claimants = "read_claimants"
    import_claimants = "import_claimants"
    record_consent = "record_consent"
    read_agreements = "read_agreements"
    manage_agreements = "manage_agreements"
    read_capacity = "read_capacity"
    manage_capacity = "manage_capacity"
    read_runs = "read_runs"
    create_runs = "create_runs"
    replay_runs = "replay_runs"
    read_recommendations = "read_recommendations"
    decide = "decide"
    read_transfers = "read_transfers"
    read_audit = "read_audit"


_ALL = frozenset(Role)
_HUMANS_READING_PEOPLE = frozenset({Role.coordinator, Role.officer, Role.auditor})

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.read_aggregates: _ALL,
    Action.read_claimants: _HUMANS_READING_PEOPLE,
    Action.import_claimants: frozenset({Role.coordinator, Role.officer, Role.system}),
    Action.record_consent: frozenset({Role.coordinator, Role.officer}),
    Action.read_agreements: frozenset({Role.coordinator, Role.officer, Role.auditor, Role.system}),
    Action.manage_agreements: frozenset({Role.coordinator}),
    Action.read_capacity: frozenset({Role.coordinator, Role.officer, Role.auditor, Role.analyst,
                                     Role.system}),
    Action.manage_capacity: frozenset({Role.coordinator, Role.officer}),
    Action.read_runs: frozenset({Role.coordinator, Role.officer, Role.auditor, Role.system}),
    Action.create_runs: frozenset({Role.coordinator, Role.system}),
    Action.replay_runs: frozenset({Role.coordinator, Role.auditor, Role.system}),
    Action.read_recommendations: _HUMANS_READING_PEOPLE,
    Action.decide: frozenset({Role.coordinator, Role.officer}),
    Action.read_transfers: frozenset({Role.coordinator, Role.officer, Role.auditor}),
    Action.read_audit: frozenset({Role.coordinator, Role.auditor}),
}


def allowed(role: Role, action: Action) -> bool:
    """Whether ``role`` may perform ``action``."""
    return role in PERMISSIONS[action]
