"""Notes, audit problems and command messages in the reader's language (issue 14, point 1): the
engines and the service return catalogue messages (a msgid and its values), the shells write
them in French for ``FAIRSHARE_LANG=fr`` / ``Accept-Language: fr``; English stays English."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import registry_fixtures as rf
from fairshare.i18n import Num, from_json, msg, to_json
from fairshare.matching import Destination, Family, Problem, load_policy, solve
from fairshare.service import Context, verify_audit
from fairshare.store.audit import append_entry
from fairshare.store.engine import write_transaction
from test_store_audit import _tamper

registry = rf.registry

FR = {"FAIRSHARE_LANG": "fr"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _batch(tmp_path: Path) -> list[str]:
    fam = _write(tmp_path / "families.csv", "family_id,size,consent\na,2,true\nb,1,true\n")
    dest = _write(tmp_path / "destinations.csv", "code,capacity\nNB,2\nON,5\n")
    scores = _write(tmp_path / "scores.csv", "family_id,destination,score\na,NB,0.9\na,ON,0.5\n"
                                             "b,NB,0.8\nb,ON,0.2\n")
    return ["--families", str(fam), "--destinations", str(dest), "--scores", str(scores)]


def test_matching_notes_are_messages_written_in_the_readers_language(
        run_cli: Callable[..., Any], tmp_path: Path) -> None:
    problem = Problem(families=(Family("a", 2, True), Family("b", 1, True)),
                      destinations=(Destination("NB", 2), Destination("ON", 5)),
                      scores={"a": {"NB": 0.9, "ON": 0.5}, "b": {"NB": 0.8, "ON": 0.2}})
    result = solve(problem, load_policy("outcome"), solver="auto", explain=False, report=False)
    why = result.notes[0]
    assert why == msg("match_note_auto_exact", n=Num(2), limit=why.values["limit"])
    assert str(why).startswith("auto chose 'exact' (MIP proven optimal) for 2 families")
    assert why.render("fr").startswith("auto a choisi « exact » (PLNE, optimalité prouvée)")
    assert result.summary()["notes"][0] == str(why)  # JSON: English

    fr = run_cli("match", *_batch(tmp_path), env=FR)
    assert fr.exit_code == 0, fr.stderr
    assert "auto a choisi « exact »" in fr.stdout and "auto chose" not in fr.stdout
    assert "Glouton par score" in fr.stdout and "greedy by score" not in fr.stdout  # baselines
    en = run_cli("match", *_batch(tmp_path), env={"FAIRSHARE_LANG": "en"})
    assert "auto chose 'exact'" in en.stdout


def test_simulation_notes_in_french(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    fam = _write(tmp_path / "arrivals.csv", "family_id,size,consent,arrived_on\n"
                                            "f1,1,true,2024-01-02\nf2,2,true,2024-02-09\n")
    scores = _write(tmp_path / "arrival-scores.csv", "family_id,destination,score\n"
                    "f1,NB,0.9\nf1,ON,0.5\nf2,NB,0.4\nf2,ON,0.6\n")
    dest = _batch(tmp_path)[3]
    args = ["simulate", "--families", str(fam), "--destinations", dest, "--scores", str(scores)]
    fr = run_cli(*args, env=FR)
    assert fr.exit_code == 0, fr.stderr
    assert "Rétrospective : " in fr.stdout and "Hindsight:" not in fr.stdout
    # the policy and the cadence by their names in the reader's language, not their codes
    assert "Politique prix duaux : " in fr.stdout and " lots (semaine)," in fr.stdout
    en = run_cli(*args, env={"FAIRSHARE_LANG": "en"})
    assert "Hindsight: " in en.stdout
    assert "Policy dual prices: " in en.stdout and " batches (week)," in en.stdout


def test_audit_problem_in_french_from_the_service_and_english_by_default(
        registry: Context) -> None:
    with write_transaction(registry.engine) as conn:
        for i in range(3):
            append_entry(conn, actor="tester", action="test.write", entity_type="thing",
                         entity_id=f"t{i}", at=registry.now(), details={"i": i})
    last = verify_audit(registry).entries
    _tamper(registry, f"UPDATE audit_entries SET actor = 'mallory' WHERE seq = {last}")
    result = verify_audit(registry)
    assert not result.ok and result.problem == msg("audit_entry_altered", seq=last)
    assert result.as_dict()["problem"] == (
        f"entry {last} was altered: its content no longer matches its hash.")
    assert result.as_dict("fr")["problem"] == (
        f"l'entrée {last} a été modifiée : son contenu ne correspond plus à son empreinte.")


def test_stored_notes_keep_key_and_values_and_old_english_notes_show_as_they_are() -> None:
    note = msg("note_prices_stale", id=3, date="2026-01-05", days=Num(1200), horizon=Num(30))
    stored = to_json(note)
    assert stored["msgid"] == "note_prices_stale"
    assert from_json(stored).render("fr").startswith(
        "Les prix 3 ont été calculés le 2026-01-05, il y a 1\xa0200 jours")
    assert from_json(stored).render("en").startswith("Prices 3 were computed on 2026-01-05, "
                                                     "1,200 days ago")
    assert from_json("Prices 1 were computed long ago.") == "Prices 1 were computed long ago."


def test_account_commands_speak_french(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    env = {"FAIRSHARE_HOME": str(tmp_path / "home"), "FAIRSHARE_DATABASE_URL": "",
           "FAIRSHARE_KEYS_DIR": "", **FR}
    made = run_cli("users", "create", "alice", "--role", "officer", "--jurisdiction", "QC",
                   "--password-stdin", input="violet kettle under the bridge\n", env=env)
    assert made.exit_code == 0, made.stderr
    assert made.stdout.strip() == "Utilisateur « alice » créé (officer, QC)."
    ended = run_cli("sessions", "end", "alice", env=env)
    assert ended.stdout.strip() == "0 session(s) de navigateur de « alice » terminée(s)."


def test_api_audit_problem_follows_accept_language(tmp_path: Path) -> None:
    from sqlalchemy import text

    from fairshare.store import make_engine
    from webapp_helpers import seeded_app

    app = seeded_app(tmp_path, families=4)
    engine = make_engine(app.settings.database_url)
    with engine.begin() as conn:  # edit an entry behind the append-only triggers' back
        conn.execute(text("DROP TRIGGER audit_entries_no_update"))
        conn.exec_driver_sql("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 2")
    engine.dispose()
    h = app.auth("auditor")
    en = app.client.get("/api/v1/audit/verify", headers=h).json()
    fr = app.client.get("/api/v1/audit/verify", headers={**h, "Accept-Language": "fr-CA"}).json()
    app.client.close()
    assert not en["ok"] and en["problem"] == ("entry 2 was altered: its content no longer "
                                              "matches its hash.")
    assert fr["problem"] == "l'entrée 2 a été modifiée : son contenu ne correspond plus à son empreinte."
