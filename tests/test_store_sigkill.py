"""A SIGKILL in the middle of a large import leaves the database intact: the integrity check
passes, nothing of the batch is present, the audit chain verifies, and the import can be
run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

import registry_fixtures as rf
from fairshare.exchange.synth import synth_claimant_rows, write_claimants_csv
from fairshare.service import Context, import_claimants, verify_audit
from registry_fixtures import AGREEMENT, families_rows, table_counts, write_csv

sqlite_registry = rf.sqlite_registry

IMPORTER = textwrap.dedent("""
    import sys
    import time
    from pathlib import Path
    from fairshare.service import Settings, import_claimants, open_context

    ctx = open_context(Settings.for_home(Path(sys.argv[1])))

    calls = 0

    def progress(done, total):
        global calls
        calls += 1
        print(f"progress {done} {total}", flush=True)
        if calls == 3:  # mid-transaction: wait here to be killed (never finishes on its own)
            time.sleep(120)

    import_claimants(ctx, path=sys.argv[2], agreement_id=sys.argv[3], progress=progress)
    print("finished", flush=True)
""")


@pytest.mark.slow
def test_sigkill_mid_import_leaves_the_database_intact(sqlite_registry: Context, tmp_path):
    ctx = sqlite_registry
    import_claimants(ctx, path=write_csv(tmp_path / "small.csv", families_rows(3)),
                     agreement_id=AGREEMENT)
    before = table_counts(ctx)
    big = write_claimants_csv(synth_claimant_rows(families=4000, seed=11), tmp_path / "big.csv")
    script = tmp_path / "importer.py"
    script.write_text(IMPORTER, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path), str(big), AGREEMENT],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line.strip())
        if line.startswith("progress") and len(seen) >= 3:  # the importer now sleeps mid-import
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, seen
    assert "finished" not in seen

    with ctx.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").first() is None
    assert table_counts(ctx) == before  # nothing of the batch
    assert verify_audit(ctx).ok
    again = import_claimants(ctx, path=big, agreement_id=AGREEMENT)
    assert again.new_claimants > 10000 and not again.already_imported
    assert verify_audit(ctx).ok
