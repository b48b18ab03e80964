"""Roles, actions and how far each role reaches: the one access table (docs/trust.md, Security).

:data:`PERMISSIONS` is data: for every action, the :class:`Reach` of every role. Every shell
reads it: the API's :func:`fairshare.api.auth.require` and the pages' ``permits`` answer 403 for
:attr:`Reach.none`; the service functions apply the jurisdiction part
(:mod:`fairshare.service.access`) to a provincial officer, whatever the shell. The CLI is the
operator's own console on the database (no role): it has :attr:`Reach.any` everywhere.
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


class Reach(enum.StrEnum):
    """Which objects a role may perform an action on."""

    none = "none"        # not at all (403)
    any = "any"          # every object, no jurisdiction limit
    own = "own"          # objects now in the officer's jurisdiction: a family whose current
                         # jurisdiction it is, an offer or an import row for it
    visible = "visible"  # families now in the jurisdiction or with a pending recommendation
                         # to it (the receiving officer reads what is offered to them)
    party = "party"      # transfers from or to the jurisdiction (its own ledger)


_NO, _ANY, _OWN, _SEE, _PARTY = Reach.none, Reach.any, Reach.own, Reach.visible, Reach.party
_COLUMNS = (Role.coordinator, Role.officer, Role.analyst, Role.auditor, Role.system)

# One row per action; columns: coordinator, officer, analyst, auditor, system.
_TABLE: dict[Action, tuple[Reach, Reach, Reach, Reach, Reach]] = {
    Action.read_aggregates:      (_ANY, _ANY,   _ANY, _ANY, _ANY),
    Action.read_claimants:       (_ANY, _SEE,   _NO,  _ANY, _NO),
    Action.import_claimants:     (_ANY, _OWN,   _NO,  _NO,  _ANY),
    Action.record_consent:       (_ANY, _OWN,   _NO,  _NO,  _NO),
    Action.read_agreements:      (_ANY, _ANY,   _NO,  _ANY, _ANY),
    Action.manage_agreements:    (_ANY, _NO,    _NO,  _NO,  _NO),
    Action.read_capacity:        (_ANY, _ANY,   _ANY, _ANY, _ANY),
    Action.manage_capacity:      (_ANY, _OWN,   _NO,  _NO,  _NO),
    Action.read_runs:            (_ANY, _SEE,   _NO,  _ANY, _ANY),
    Action.create_runs:          (_ANY, _NO,    _NO,  _NO,  _ANY),
    Action.replay_runs:          (_ANY, _NO,    _NO,  _ANY, _ANY),
    Action.read_recommendations: (_ANY, _SEE,   _NO,  _ANY, _NO),
    Action.decide:               (_ANY, _OWN,   _NO,  _NO,  _NO),
    Action.read_transfers:       (_ANY, _PARTY, _NO,  _ANY, _NO),
    Action.read_audit:           (_ANY, _NO,    _NO,  _ANY, _NO),
}

PERMISSIONS: dict[Action, dict[Role, Reach]] = {
    action: dict(zip(_COLUMNS, row, strict=True)) for action, row in _TABLE.items()}


def reach(role: Role, action: Action) -> Reach:
    """How far ``role`` may perform ``action``.

    >>> reach(Role.officer, Action.decide), reach(Role.analyst, Action.decide)
    (<Reach.own: 'own'>, <Reach.none: 'none'>)
    """
    return PERMISSIONS[action][role]


def allowed(role: Role, action: Action) -> bool:
    """Whether ``role`` may perform ``action`` on some object."""
    return reach(role, action) is not Reach.none


def officer_reach(action: Action) -> Reach:
    """The reach of a provincial officer for ``action`` (what a service applies to a scope)."""
    return reach(Role.officer, action)
