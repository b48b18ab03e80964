"""Retention schedule: how long each category of data is kept, and what happens after.

The schedule is policy as data (``retention.yaml`` ships as the default); the purge itself is
:func:`fairshare.service.purge`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fairshare.errors import InputError, Text, validation_details
from fairshare.i18n import msg

DEFAULT_POLICY = Path(__file__).resolve().parent / "retention.yaml"
CATEGORIES = {
    "claimants": ("anonymise",),
    "withdrawn_claimants": ("anonymise",),
    "run_snapshots": ("delete",),
    "explanations": ("delete",),
    "decision_reasons": ("delete",),
}


class Rule(BaseModel):
    """How long one category is kept and what the purge does after."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    days: int = Field(gt=0, le=36500)
    action: str

    def cutoff(self, as_of: dt.date) -> dt.datetime:
        """Records created before this moment (UTC) have expired on ``as_of``."""
        day = as_of - dt.timedelta(days=self.days)
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


class RetentionPolicy(BaseModel):
    """A validated retention schedule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    references: tuple[dict[str, str], ...] = ()
    categories: dict[str, Rule]


def load_retention_policy(path: str | Path | None = None) -> RetentionPolicy:
    """Read a schedule (the shipped default when ``path`` is None) and check its categories."""
    p = Path(path) if path else DEFAULT_POLICY
    try:
        raw: Any = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(msg("file_cannot_read", where=str(p), reason=str(exc.strerror))) from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(msg("file_bad_yaml", where=str(p), problem=str(exc))) from exc
    try:
        policy = RetentionPolicy.model_validate(raw)
    except ValidationError as exc:
        raise InputError(msg("retention_not_valid", where=str(p)),
                         details=validation_details(exc.errors())) from exc
    problems: list[Text] = []
    for name, rule in sorted(policy.categories.items()):
        if name not in CATEGORIES:
            problems.append(msg("retention_unknown_category", category=name,
                                known=", ".join(CATEGORIES)))
        elif rule.action not in CATEGORIES[name]:
            problems.append(msg("retention_bad_action", category=name, action=rule.action,
                                actions=", ".join(CATEGORIES[name])))
    if problems:
        raise InputError(msg("retention_not_valid", where=str(p)), details=problems)
    return policy
