"""Seed a demonstration registry: the example agreement, synthetic claimants and capacity."""

from __future__ import annotations

from fairshare.exchange.agreements import synth_agreement_yaml
from fairshare.exchange.synth import (
    synth_capacity_rows,
    synth_claimant_rows,
    write_capacity_csv,
    write_claimants_csv,
)
from fairshare.service.agreements import add_agreement
from fairshare.service.capacity import add_capacity
from fairshare.service.context import Context
from fairshare.service.imports import import_claimants
from fairshare.service.models import ImportResult


def seed_demo(ctx: Context, *, families: int = 40, seed: int = 1,
              actor: str | None = None) -> ImportResult:
    """Add the example agreement (valid around today), import ``families`` synthetic families
    and add synthetic capacity offers. Files are written under ``<home>/demo``; idempotent."""
    import datetime as dt

    folder = ctx.settings.home / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    today = ctx.today()
    agreement = folder / "agreement.yaml"
    if not agreement.exists():
        agreement.write_text(synth_agreement_yaml(
            agreement_id="demo-qc-ca", valid_from=today - dt.timedelta(days=30),
            expires_on=today + dt.timedelta(days=730)), encoding="utf-8")
    info = add_agreement(ctx, path=agreement, actor=actor)
    batch = write_claimants_csv(synth_claimant_rows(families=families, seed=seed),
                                folder / "claimants.csv")
    capacity = write_capacity_csv(
        synth_capacity_rows(seed=seed, persons=max(40, families * 2),
                            expires_on=today + dt.timedelta(days=365)), folder / "capacity.csv")
    add_capacity(ctx, path=capacity, actor=actor)
    return import_claimants(ctx, path=batch, agreement_id=info.id, actor=actor)
