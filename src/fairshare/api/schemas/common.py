"""Base classes, errors, health and identity."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Base of request bodies: unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid")


class Public(BaseModel):
    """Base of responses."""

    model_config = ConfigDict(extra="ignore")


class ErrorBody(Public):
    """What went wrong, for people and programs."""

    status: int
    code: str
    message: str
    details: list[Any] = Field(default_factory=list)


class ErrorResponse(Public):
    """Every 4xx/5xx answer of the API."""

    error: ErrorBody


class Health(Public):
    """Liveness and version."""

    status: Literal["ok"]
    version: str
    database: Literal["ok", "unavailable"]


class Me(Public):
    """The authenticated caller."""

    username: str
    role: str
    jurisdiction: str | None
    via: str
