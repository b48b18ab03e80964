"""The same registry content, imported in any row order, gives the same run input hash and the
same plan (sorted inputs, id-based tie-breaks)."""

from __future__ import annotations

import random
import shutil

from fairshare.exchange.synth import synth_claimant_rows
from fairshare.service import (
    Settings,
    add_agreement,
    create_run,
    import_claimants,
    open_context,
    replay_run,
)
from registry_fixtures import AGREEMENT, FrozenClock, add_offers, sqlite_copy, write_agreement, write_csv


def _run(home, rows, key_file=None):
    home.mkdir()
    sqlite_copy(home / "fairshare.sqlite")
    if key_file is not None:
        (home / "keys").mkdir()
        shutil.copy(key_file, home / "keys" / key_file.name)
    ctx = open_context(Settings.for_home(home), clock=FrozenClock())
    add_agreement(ctx, path=write_agreement(home))
    import_claimants(ctx, path=write_csv(home / "b.csv", rows), agreement_id=AGREEMENT)
    add_offers(ctx, home, [("NB-1", "NB", 12), ("ON-1", "ON", 15), ("MB-1", "MB", 8)])
    run = create_run(ctx, policy="balanced", key="canada-population").run
    assert replay_run(ctx, run_id=run.id).identical
    ctx.close()
    return run, home / "keys" / f"{AGREEMENT}.key"


def test_row_order_does_not_change_the_run(tmp_path):
    rows = synth_claimant_rows(families=25, seed=9)
    first, key_file = _run(tmp_path / "a", rows)
    assert first.placed > 0 and first.families == 25
    for i in range(3):
        shuffled = rows[:]
        random.Random(i).shuffle(shuffled)
        again, _ = _run(tmp_path / f"s{i}", shuffled, key_file)
        assert (again.input_sha256, again.plan_sha256) == (first.input_sha256, first.plan_sha256)
