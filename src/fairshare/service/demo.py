"""Seed a demonstration registry: the example agreement, synthetic claimants and capacity."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, func, insert, select

from fairshare.errors import DemoModeError
from fairshare.exchange.agreements import synth_agreement_yaml
from fairshare.exchange.synth import (
    synth_capacity_rows,
    synth_claimant_rows,
    write_capacity_csv,
    write_claimants_csv,
)
from fairshare.i18n import Num, Text, msg
from fairshare.service.agreements import add_agreement
from fairshare.service.capacity import add_capacity
from fairshare.service.context import Context
from fairshare.service.imports import import_claimants
from fairshare.service.models import ImportResult
from fairshare.service.scoring_models import add_model
from fairshare.store.accounts import instance_marks, users
from fairshare.store.engine import read_transaction, write_transaction
from fairshare.store.tables import agreements, capacity_offers, families, runs, scoring_models

DEMO_HISTORY_PERSONS = 2000  # small: `make run` trains the demo model in a few seconds
MODE_MARK = "mode"
DEMO_MODE = "demo"
_DATA_TABLES = (agreements, families, capacity_offers, runs, scoring_models, users)


def _demo_marked(conn: Connection) -> bool:
    value = conn.execute(select(instance_marks.c.value)
                         .where(instance_marks.c.name == MODE_MARK)).scalar()
    return value == DEMO_MODE


def claim_demo_home(ctx: Context) -> None:
    """Mark the registry as a demo registry, refusing one that holds data the demo did not make.

    Raises:
        DemoModeError: The registry is not marked demo and holds agreements, families,
            capacity, runs, models or accounts (a real home: the demo must never touch it).
    """
    with write_transaction(ctx.engine) as conn:
        if _demo_marked(conn):
            return
        held: list[Text] = [
            msg("demo_held_table", table=table.name, count=Num(count)) for table in _DATA_TABLES
            if (count := conn.execute(select(func.count()).select_from(table)).scalar_one())]
        if held:
            raise DemoModeError(msg("error_demo_home_has_data", home=str(ctx.settings.home)),
                                details=held)
        conn.execute(insert(instance_marks).values(name=MODE_MARK, value=DEMO_MODE,
                                                   set_at=ctx.now()))


def refuse_demo_data(ctx: Context) -> None:
    """A normal ``serve`` refuses a demo registry and any database holding demo accounts.

    Raises:
        DemoModeError: The registry is marked demo, or demo accounts exist in it.
    """
    with read_transaction(ctx.engine) as conn:
        marked = _demo_marked(conn)
        demo_users = sorted(conn.execute(select(users.c.username)
                                         .where(users.c.demo.is_(True))).scalars())
    if marked or demo_users:
        accounts: list[Text] = [msg("demo_account_detail", user=u) for u in demo_users]
        raise DemoModeError(msg("error_demo_registry_served", home=str(ctx.settings.home)),
                            details=accounts)


def seed_demo(ctx: Context, *, families: int = 40, seed: int = 1,
              actor: str | None = None,
              history_persons: int = DEMO_HISTORY_PERSONS) -> ImportResult:
    """Add the example agreement (valid around today), import ``families`` synthetic families,
    add synthetic capacity offers, and train an outcome model on a synthetic history of
    ``history_persons`` adults and add it (0: no model; runs then use the default scorer).
    Files are written under ``<home>/demo``; idempotent (the model is trained once)."""
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
    result = import_claimants(ctx, path=batch, agreement_id=info.id, actor=actor)
    if history_persons:
        add_model(ctx, path=demo_model(folder / "model", persons=history_persons, seed=seed),
                  name=f"demo-synthetic-{history_persons}",  # a code: pages show it as written
                  actor=actor)
    return result


def demo_model(folder: Path, *, persons: int, seed: int) -> Path:
    """A model trained on a synthetic history (reused when ``folder`` already holds one)."""
    from fairshare.errors import InputError
    from fairshare.outcomes.features import prepare
    from fairshare.outcomes.synth import generate_history
    from fairshare.outcomes.train import load_model, save_model, train

    try:
        load_model(folder)
        return folder
    except InputError:
        pass
    history = generate_history(persons, seed=seed)
    frame = prepare(history, source="synthetic history", outcomes=True)
    return save_model(train(frame, data_name=f"synthetic history ({persons} persons, seed "
                                             f"{seed})"), folder)
