"""The registry commands end to end, as a user runs them (real CLI in a subprocess)."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest


@pytest.fixture
def env(tmp_path):
    return {"FAIRSHARE_HOME": str(tmp_path / "var"), "FAIRSHARE_USER": "cli-tester",
            "FAIRSHARE_DATABASE_URL": ""}


def test_registry_workflow_from_the_command_line(run_cli, env, tmp_path):
    def ok(*args):
        result = run_cli(*args, env=env)
        assert result.exit_code == 0, result
        return result

    ok("init")
    ok("synth", "agreement", "--out", "agreement.yaml")
    ok("agreements", "add", "agreement.yaml")
    agreements = json.loads(ok("agreements", "list", "--format", "json").stdout)
    agreement = agreements[0]["id"]
    assert agreements[0]["active"] is True
    ok("synth", "claimants", "--families", "30", "--seed", "4", "--out", "claimants.csv")
    ok("synth", "capacity", "--out", "capacity.csv", "--seed", "2", "--persons", "60")
    ok("capacity", "add", "capacity.csv")
    assert "Imported batch 1" in ok("import", "claimants", "claimants.csv", "--agreement",
                                    agreement).stdout
    assert "already imported" in ok("import", "claimants", "claimants.csv", "--agreement",
                                    agreement).stdout
    created = json.loads(ok("run", "create", "--policy", "balanced", "--key",
                            "canada-population", "--format", "json").stdout)
    run_id = created["id"]
    shown = json.loads(ok("run", "show", run_id, "--format", "json").stdout)
    rec = next(r for r in shown["recommendations"] if r["destination"])
    stay = next(r for r in shown["recommendations"] if r is not rec)
    unopened = run_cli("decide", run_id, rec["family_id"], "accept", "--reason", "good fit",
                       "--by", "ana", env=env)
    assert unopened.exit_code == 2 and "has not opened the explanation" in unopened.stderr
    shown_expl = ok("explain", run_id, rec["family_id"], "--by", "ana").stdout
    assert rec["family_id"] in shown_expl and "Opening recorded for ana" in shown_expl
    out = ok("decide", run_id, rec["family_id"], "accept", "--reason", "good fit", "--by", "ana",
             "--code", "preference")
    assert f"moves to {rec['destination']}" in out.stdout
    ok("consent", "withdraw", stay["family_id"])
    assert "identical plan" in ok("run", "replay", run_id).stdout
    transfers = json.loads(ok("transfers", "list", "--format", "json").stdout)
    assert [t["family_id"] for t in transfers] == [rec["family_id"]]
    ok("export", "claimants", "--agreement", agreement, "--out", "export.csv")
    assert "cli-tester" not in (tmp_path / "export.csv").read_text(encoding="utf-8")
    counts = json.loads(ok("status", "--format", "json").stdout)["counts"]
    assert counts["runs"] == 1 and counts["decisions"] == 1 and counts["transfers"] == 1
    assert counts["claimants"] > 30 and counts["audit_entries"] >= 9
    audit = json.loads(ok("audit", "show", "--entity", rec["family_id"], "--format",
                          "json").stdout)
    assert [e["action"] for e in audit] == ["explanation.open", "decision.accept",
                                            "transfer.create"]
    assert "intact" in ok("audit", "verify").stdout
    ok("purge", "--as-of", "2026-11-01")
    ok("agreements", "revoke", agreement)

    refused = run_cli("export", "claimants", "--agreement", agreement, "--out", "x.csv", env=env)
    assert refused.exit_code == 2 and "revoked" in refused.stderr
    assert "Traceback" not in refused.stderr

    db = tmp_path / "var" / "fairshare.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER audit_entries_no_update")
        conn.execute("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 3")
    broken = run_cli("audit", "verify", env=env)
    assert broken.exit_code == 1 and "BROKEN at entry 3" in broken.stdout


def test_registry_messages_follow_fairshare_lang(run_cli, env, tmp_path):
    """The one-line confirmations are French with FAIRSHARE_LANG=fr (and stay as they were in
    English): no English stop-word outside ids, codes and commands, counts grouped by Babel."""
    from test_french_crawl import english_words

    fr = {**env, "FAIRSHARE_LANG": "fr"}

    def say(*args):
        result = run_cli(*args, env=fr)
        assert result.exit_code == 0, result
        return result.stdout.strip()

    def french(line):
        words = english_words(re.sub(r"`[^`]*`|\([^)]*sha[^)]*\)|\S*[/\\]\S*", " ", line))
        assert words == [], (line, words)
        return line

    assert french(say("init")).startswith("Base de données prête :")
    say("synth", "agreement", "--out", "agreement.yaml")
    stored = french(say("agreements", "add", "agreement.yaml"))
    assert stored.startswith("Entente ") and "enregistrée (active, du " in stored
    agreement = json.loads(say("agreements", "list", "--format", "json"))[0]["id"]
    say("synth", "claimants", "--families", "400", "--seed", "4", "--out", "claimants.csv")
    say("synth", "capacity", "--out", "capacity.csv", "--seed", "2", "--persons", "60")
    assert "places restantes" in french(say("capacity", "add", "capacity.csv"))
    imported = french(say("import", "claimants", "claimants.csv", "--agreement", agreement))
    assert imported.startswith("Lot 1 importé : ") and re.search(r"\d\u00a0\d{3} lignes", imported)
    assert "rien n'a changé" in french(say("import", "claimants", "claimants.csv", "--agreement",
                                           agreement))
    created = french(say("run", "create", "--policy", "balanced", "--key", "canada-population"))
    assert created.startswith("Appariement ") and "Décidez avec `fairshare decide" in created
    run_id = created.split()[1]
    shown = json.loads(say("run", "show", run_id, "--format", "json"))
    rec = next(r for r in shown["recommendations"] if r["destination"])
    explained = say("explain", run_id, rec["family_id"], "--by", "ana").splitlines()
    assert french(explained[0]).endswith("[en attente]")
    assert french(explained[1]).startswith(f"La famille {rec['family_id']}")
    assert french(explained[-1]).startswith("Consultation enregistrée pour ana")
    decided = french(say("decide", run_id, rec["family_id"], "accept", "--reason", "bon choix",
                         "--by", "ana"))
    assert f"la famille {rec['family_id']} va vers {rec['destination']}" in decided
    say("export", "claimants", "--agreement", agreement, "--out", "export.csv")
    assert french(say("audit", "verify")).startswith("Chaîne d'audit intacte : ")
    assert french(say("purge", "--as-of", "2026-11-01")).startswith("Purge au 2026-11-01 :")
    assert french(say("agreements", "revoke", agreement)).endswith("est révoquée.")
    english = run_cli("audit", "verify", env={**env, "FAIRSHARE_LANG": "en"})
    assert english.stdout.startswith("Audit chain intact: ")


ERRORS = [
    (("import", "claimants", "missing.csv", "--agreement", "x"), "cannot read"),
    (("export", "claimants", "--agreement", "x", "--out", "x.csv"), "No agreement 'x'"),
    (("agreements", "add", "missing.yaml"), "cannot read"),
    (("decide", "R1", "F1", "maybe", "--reason", "r", "--by", "u"), "accept or override"),
    (("purge", "--as-of", "someday"), "not a date"),
    (("run", "replay", "R00009"), "No run 'R00009'"),
    (("consent", "withdraw", "nobody"), "No claimant or family"),
    (("explain", "R00009", "f-1", "--by", "ana"), "has no recommendation"),
    (("explain", "R00009", "f-1", "--by", "ana", "--lang", "de"), "use en or fr"),
    (("reopen", "f-nobody", "--reason", "new facts"), "No family 'f-nobody'"),
    (("reopen", "f-nobody", "--reason", "x"), "at least 3"),
    (("audit", "verify", "--checkpoint", "missing.json"), "cannot read the checkpoint"),
    (("export", "claimants", "--agreement", "x", "--out", "x.csv", "--current", "NB"),
     "No agreement 'x'"),
]


def test_cli_errors_are_clear_and_exit_2(run_cli, env):
    early = run_cli("transfers", "list", env=env)
    assert early.exit_code == 2 and "run `fairshare init` first" in early.stderr
    assert run_cli("init", env=env).exit_code == 0
    for args, message in ERRORS:
        result = run_cli(*args, env=env)
        assert result.exit_code == 2, result
        assert message in result.stderr and "Traceback" not in result.stderr


def test_every_registry_command_has_help():
    from typer.testing import CliRunner

    from fairshare.cli import app

    runner = CliRunner()
    for cmd in (("agreements", "add"), ("agreements", "list"), ("agreements", "revoke"),
                ("import", "claimants"), ("export", "claimants"), ("consent", "withdraw"),
                ("consent", "give"), ("capacity", "add"), ("capacity", "list"),
                ("run", "create"), ("run", "show"), ("run", "list"), ("run", "replay"),
                ("transfers", "list"), ("audit", "verify"), ("audit", "show"),
                ("audit", "checkpoint"), ("init",), ("status",), ("explain",), ("decide",),
                ("reopen",), ("assign",), ("purge",), ("synth", "claimants"),
                ("synth", "agreement"), ("synth", "capacity")):
        result = runner.invoke(app, [*cmd, "--help"])
        assert result.exit_code == 0, cmd
        assert len(result.output) > 150, cmd
