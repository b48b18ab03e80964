"""Runs as jobs and runs under concurrency: the solve holds no write lock, what changed while it
solved is rechecked, run ids never collide, snapshots are stored compressed, jobs report their
progress and survive a server stop as "failed" (SQLite and PostgreSQL where it applies)."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

import registry_fixtures as rf
from fairshare.errors import ConflictError
from fairshare.service import (
    Context,
    assign,
    change_consent,
    create_run,
    import_claimants,
    list_runs,
    replay_run,
    show_run,
    verify_audit,
)
from fairshare.service.accounts import ensure_tables, register_user
from fairshare.service.logins import Outcome, log_in
from fairshare.service.snapshot import (
    ENCODING,
    decode_snapshot,
    input_hash,
    load_snapshot,
    sha256_json,
    store_snapshot,
)
from fairshare.store.engine import write_transaction
from fairshare.store.tables import audit_entries, jobs, runs
from registry_fixtures import (
    AGREEMENT,
    StallingClock,
    add_offers,
    families_rows,
    job_problem,
    write_csv,
)

registry = rf.registry


def _pool(ctx: Context, tmp_path: Path, families: int = 6) -> list[str]:
    """Waiting families and room for all of them; returns the stored family ids."""
    import_claimants(ctx, path=write_csv(tmp_path / "b.csv", families_rows(families)),
                     agreement_id=AGREEMENT)
    add_offers(ctx, tmp_path, [("NB-1", "NB", 4 * families), ("ON-1", "ON", 4 * families)])
    return _family_ids(ctx)


def _family_ids(ctx: Context) -> list[str]:
    from fairshare.store.tables import families

    with ctx.engine.connect() as conn:
        return sorted(conn.execute(select(families.c.id)).scalars())


def _paused_run(ctx: Context, **kwargs: Any) -> tuple[threading.Thread, threading.Event,
                                                      threading.Event, dict[str, Any]]:
    """A run started in a thread that stops when the solver starts, until ``release`` is set
    (the progress callback is the hook: the run is "long" for as long as the test wants)."""
    solving, release = threading.Event(), threading.Event()
    out: dict[str, Any] = {}

    def hook(step: str, fraction: float) -> None:
        if step == "solving" and not solving.is_set():
            solving.set()
            assert release.wait(timeout=120)

    def work() -> None:
        try:
            out["detail"] = create_run(ctx, policy="outcome", key="canada-population",
                                       progress=hook, **kwargs)
        except Exception as exc:
            out["error"] = exc

    thread = threading.Thread(target=work)
    thread.start()
    assert solving.wait(timeout=120), out
    return thread, solving, release, out


def _within(seconds: float, action: Callable[[], Any]) -> Any:
    """``action``'s result, which must come within ``seconds`` (a lock would hold it up)."""
    out: dict[str, Any] = {}

    def work() -> None:
        try:
            out["value"] = action()
        except Exception as exc:
            out["error"] = exc

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=seconds)
    assert not thread.is_alive(), "held up while the run was solving"
    if "error" in out:
        raise out["error"]
    return out.get("value")


def test_consent_withdrawals_and_logins_succeed_while_a_run_solves(registry: Context,
                                                                   tmp_path: Path) -> None:
    first, second = _pool(registry, tmp_path)[:2]
    ensure_tables(registry.engine)
    register_user(registry, username="officer-a", password="Moncton harbour 1987 tide",
                  role="coordinator")
    thread, _, release, out = _paused_run(registry)
    try:
        withdrawn = [_within(20, lambda f=f: change_consent(registry, subject=f,
                                                             state="withdrawn"))
                     for f in (first, second)]
        sessions = [_within(20, lambda: log_in(registry, username="officer-a",
                                               password="Moncton harbour 1987 tide"))
                    for _ in range(3)]
    finally:
        release.set()
        thread.join(timeout=120)
    assert all(w.state == "withdrawn" for w in withdrawn)
    assert all(s is not None and s.outcome is Outcome.ok for s in sessions)
    detail = out["detail"]
    status = {r.family_id: r.status for r in show_run(registry, run_id=detail.run.id)
              .recommendations}
    # Read before the withdrawals, saved after: their lines are withdrawn, never pending.
    assert status[first] == status[second] == "withdrawn"
    assert {s for f, s in status.items() if f not in (first, second)} == {"pending"}
    with registry.engine.connect() as conn:
        details = json.loads(conn.execute(select(audit_entries.c.details).where(
            audit_entries.c.action == "run.create")).scalar_one())
    assert details["left_out_meanwhile"] == 2
    assert verify_audit(registry).ok
    later = create_run(registry, policy="outcome", key="canada-population")
    assert {r.family_id for r in later.recommendations}.isdisjoint({first, second})


def test_a_plan_that_no_longer_fits_the_capacity_is_refused(registry: Context,
                                                            tmp_path: Path) -> None:
    _pool(registry, tmp_path)
    thread, _, release, out = _paused_run(registry)
    registry.clock.advance(days=410)  # type: ignore[attr-defined] # the offers expire (2027-06-30)
    release.set()
    thread.join(timeout=120)
    error = out.get("error")
    assert isinstance(error, ConflictError), out
    assert "Capacity changed while the run was being solved" in str(error)
    assert "create the run again" in str(error)
    assert list_runs(registry) == []  # nothing saved
    assert verify_audit(registry).ok


def test_forty_concurrent_assignments_get_forty_run_ids(registry: Context,
                                                        tmp_path: Path) -> None:
    import_claimants(registry, path=write_csv(tmp_path / "b.csv", families_rows(40, size=1)),
                     agreement_id=AGREEMENT)
    add_offers(registry, tmp_path, [("NB-1", "NB", 100)])
    family_ids = _family_ids(registry)
    barrier = threading.Barrier(40)
    results: dict[str, Any] = {}

    def place(n: int) -> None:
        family = family_ids[n - 1]
        barrier.wait()
        try:
            results[family] = assign(registry, family_id=family, to="NB", reason="room there",
                                     reason_code="housing", decided_by=f"officer-{n}")
        except Exception as exc:
            results[family] = exc

    threads = [threading.Thread(target=place, args=(n,)) for n in range(1, 41)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    failures = {f: r for f, r in results.items() if isinstance(r, Exception)}
    assert len(results) == 40 and failures == {}
    ids = [r.id for r in list_runs(registry)]
    assert len(ids) == len(set(ids)) == 40
    assert sorted(ids) == [f"R{n:05d}" for n in range(1, 41)]
    assert verify_audit(registry).ok


def test_snapshots_are_stored_compressed_and_old_ones_still_read(registry: Context,
                                                                 tmp_path: Path) -> None:
    import base64

    import zstandard

    from fairshare.service.snapshot import MAGIC, to_columns

    _pool(registry, tmp_path)
    run = create_run(registry, policy="outcome", key="canada-population").run
    with registry.engine.connect() as conn:
        stored = conn.execute(select(runs.c.snapshot).where(runs.c.id == run.id)).scalar_one()
        doc = load_snapshot(conn, run.id)
    assert isinstance(stored, bytes) and stored.startswith(MAGIC)  # binary, not base64 text
    assert doc is not None and input_hash(doc) == run.input_sha256
    assert len(stored) < len(json.dumps(doc)) / 2
    members = [m["id"] for f in doc["problem"]["families"] for m in f["members"]]
    assert members and not any(m.encode() in stored for m in members)
    # Snapshots stored before (migrated to the bytes of their JSON text) read and replay the
    # same: the plain document of before compression, and the base64 form of before binary.
    columns = json.dumps(to_columns(doc), separators=(",", ":")).encode("utf-8")
    base64_form = {"encoding": ENCODING, "layout": "columns-1", "data": base64.b64encode(
        zstandard.ZstdCompressor(level=3).compress(columns)).decode("ascii")}
    for old in (doc, base64_form):
        with write_transaction(registry.engine) as conn:
            conn.execute(update(runs).where(runs.c.id == run.id).values(
                snapshot=json.dumps(old).encode("utf-8")))
        with registry.engine.connect() as conn:
            assert load_snapshot(conn, run.id) == doc
        assert decode_snapshot(old) == doc
        assert replay_run(registry, run_id=run.id).identical
    # store_snapshot / load_snapshot: what code that rewrites a snapshot uses (binary again).
    with write_transaction(registry.engine) as conn:
        store_snapshot(conn, run.id, doc)
    with registry.engine.connect() as conn:
        assert conn.execute(select(runs.c.snapshot).where(runs.c.id == run.id)).scalar_one(
            ).startswith(MAGIC)
        assert load_snapshot(conn, run.id) == doc
    assert replay_run(registry, run_id=run.id).identical
    # Runs made before the input hash was taken from the stored columns recorded the hash of
    # the document's canonical JSON: they still replay as identical; any other hash does not.
    for recorded, same in ((sha256_json(doc), True), ("0" * 64, False)):
        with write_transaction(registry.engine) as conn:
            conn.execute(update(runs).where(runs.c.id == run.id).values(input_sha256=recorded))
        replay = replay_run(registry, run_id=run.id)
        assert replay.identical is same and replay.input_sha256 == recorded


def test_progress_reports_every_step_in_order(registry: Context, tmp_path: Path) -> None:
    _pool(registry, tmp_path)
    seen: list[tuple[str, float]] = []
    create_run(registry, policy="balanced", key="canada-population",
               progress=lambda step, fraction: seen.append((step, fraction)))
    steps = [s for s, _ in seen]
    order = ["reading", "scoring", "solving", "explaining", "writing", "done"]
    assert [s for s in order if s in steps] == order
    assert sorted(steps, key=order.index) == steps
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0


def test_a_failed_job_is_a_problem_and_a_stopped_servers_jobs_are_failed(
        registry: Context, tmp_path: Path) -> None:
    import datetime as dt
    import socket

    from fairshare.service.jobs import (
        JobRunner,
        create_job,
        fail_interrupted,
        get_job,
        worker_name,
    )
    from fairshare.service.runs import check_run_request

    _pool(registry, tmp_path)
    runner = JobRunner(registry, max_workers=1, describe=job_problem)
    good = runner.submit_run(check_run_request(registry, policy="outcome",
                                               key="canada-population"))
    request = check_run_request(registry, policy="outcome", key="canada-population")
    broken = runner.submit_run(dataclasses.replace(request,
                                                   policy_text="weights: [not, a, mapping"))
    for job in (good, broken):
        runner.wait(job.id, timeout=120)
    done, failed = get_job(registry, good.id), get_job(registry, broken.id)
    assert (done.status, done.step, done.fraction) == ("done", "done", 1.0)
    assert done.run_id == list_runs(registry)[0].id
    assert failed.status == "failed" and failed.run_id is None and failed.error is not None
    assert failed.error["status"] == 422 and "Traceback" not in json.dumps(failed.error)
    runner.shutdown()
    # A server stopped mid-run left jobs running: the next start marks them failed.
    host = socket.gethostname()
    dead = create_job(registry, kind="run", params={}, actor="tester")
    alive = create_job(registry, kind="run", params={}, actor="tester")
    elsewhere = create_job(registry, kind="run", params={}, actor="tester")
    with write_transaction(registry.engine) as conn:
        for job_id, worker in ((dead.id, f"{host}:{2 ** 22 + 7}:gone"),
                               (alive.id, worker_name()),
                               (elsewhere.id, f"another-host.example:{os.getpid()}:x")):
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(
                status="running", worker=worker, updated_at=dt.datetime.now(dt.UTC)))
    assert fail_interrupted(registry) == 1
    stopped = get_job(registry, dead.id)
    assert stopped.status == "failed" and stopped.error is not None
    assert stopped.error["code"] == "interrupted" and stopped.finished_at is not None
    assert get_job(registry, alive.id).status == "running"
    assert get_job(registry, elsewhere.id).status == "running"


def _running_pid(ctx: Context, job_id: str) -> int:
    """The process id of the job process once it works on the job (``running``)."""
    from fairshare.service.jobs import get_job

    deadline = time.monotonic() + 300
    while (job := get_job(ctx, job_id)).status == "queued" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.status == "running", job
    with ctx.engine.connect() as conn:
        worker = conn.execute(select(jobs.c.worker).where(jobs.c.id == job_id)).scalar_one()
    return int(worker.rsplit(":", 2)[1])


def test_jobs_run_in_a_process_of_their_own_and_a_killed_one_is_failed(
        registry: Context, tmp_path: Path) -> None:
    from fairshare.service.jobs import JobRunner, get_job
    from fairshare.service.runs import check_run_request

    _pool(registry, tmp_path)
    runner = JobRunner(registry, max_workers=1, describe=job_problem)
    job = runner.submit_run(check_run_request(registry, policy="outcome",
                                              key="canada-population", actor="officer-7"))
    runner.wait(job.id, timeout=300)
    done = get_job(registry, job.id)
    assert done.status == "done" and done.run_id is not None
    with registry.engine.connect() as conn:
        worker = conn.execute(select(jobs.c.worker).where(jobs.c.id == job.id)).scalar_one()
        audit = conn.execute(select(audit_entries.c.actor, audit_entries.c.at).where(
            audit_entries.c.action == "run.create",
            audit_entries.c.entity_id == done.run_id)).one()
    assert int(worker.rsplit(":", 2)[1]) != os.getpid()  # solved in another process
    # Its audit entry as an in-process run writes it: the request's actor, the context's clock.
    assert audit.actor == "officer-7" and show_run(registry, run_id=done.run_id).run.created_by \
        == "officer-7"
    assert verify_audit(registry).ok
    runner.shutdown()

    stalling = dataclasses.replace(registry, clock=StallingClock())
    runner = JobRunner(stalling, max_workers=1, describe=job_problem)
    request = check_run_request(registry, policy="outcome", key="canada-population")
    killed = runner.submit_run(request)
    os.kill(_running_pid(registry, killed.id), signal.SIGKILL)
    runner.wait(killed.id, timeout=120)
    crashed = get_job(registry, killed.id)
    assert crashed.status == "failed" and crashed.error is not None, crashed
    assert crashed.error["code"] == "crashed" and "SIGKILL" in crashed.error["message"]
    assert crashed.finished_at is not None and crashed.run_id is None
    # A server's stop: the running job's process is stopped, the queued job never starts.
    running = runner.submit_run(request)
    _running_pid(registry, running.id)
    queued = runner.submit_run(request)
    runner.shutdown(wait=False)
    runner.shutdown()  # and wait for both to be recorded
    for stopped in (running, queued):
        info = get_job(registry, stopped.id)
        assert info.status == "failed" and info.error is not None, info
        assert info.error["code"] == "interrupted" and info.step == "interrupted"
    assert len(list_runs(registry)) == 1
    assert verify_audit(registry).ok


SERVER = textwrap.dedent("""
    import sys
    import time
    from pathlib import Path

    from fairshare.service import Settings, open_context
    from fairshare.service.jobs import JobRunner
    from fairshare.service.runs import check_run_request
    from registry_fixtures import StallingClock, job_problem

    def main() -> None:
        home = Path(sys.argv[2])
        ctx = open_context(Settings(home=home, database_url=sys.argv[1],
                                    keys_dir=home / "keys", actor="tester"),
                           clock=StallingClock())
        runner = JobRunner(ctx, max_workers=1, describe=job_problem)
        job = runner.submit_run(check_run_request(ctx, policy="outcome",
                                                  key="canada-population"))
        print(job.id, flush=True)
        time.sleep(600)  # until the test kills this "server"


    if __name__ == "__main__":  # job processes import the main module again
        main()
""")


@pytest.mark.slow
def test_a_job_process_whose_server_was_killed_marks_its_job_interrupted(
        registry: Context, tmp_path: Path) -> None:
    from fairshare.service.jobs import get_job

    _pool(registry, tmp_path)
    script = tmp_path / "server.py"
    script.write_text(SERVER, encoding="utf-8")
    tests = str(Path(__file__).parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [*os.environ.get("PYTHONPATH", "").split(os.pathsep), tests]).strip(os.pathsep)}
    server = subprocess.Popen([sys.executable, str(script), registry.settings.database_url,
                               str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert server.stdout is not None
        job_id = server.stdout.readline().strip()
        assert job_id.startswith("J"), job_id
        _running_pid(registry, job_id)
    finally:
        server.kill()
        server.wait(timeout=60)
    deadline = time.monotonic() + 120
    while (job := get_job(registry, job_id)).status == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.status == "failed" and job.error is not None, job
    assert job.error["code"] == "interrupted" and job.step == "interrupted"
    assert list_runs(registry) == []


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from webapp_helpers import seeded_app

    return seeded_app(tmp_path_factory.mktemp("jobs"), families=20)


def test_post_runs_answers_202_with_a_job_then_the_job_gives_the_run(app: Any) -> None:
    from webapp_helpers import finish_job

    h = app.auth("coordinator")
    r = app.client.post("/api/v1/runs", headers=h, json={"policy": "balanced"})
    assert r.status_code == 202
    body = r.json()["job"]
    assert r.headers["location"] == body["url"] == f"/api/v1/jobs/{body['id']}"
    assert body["status"] in ("queued", "running", "done")
    job = finish_job(app.client, r, h)
    assert job["status"] == "done" and job["progress"] == {"step": "done", "fraction": 1.0}
    assert job["run_url"] == f"/api/v1/runs/{job['run_id']}" and job["error"] is None
    assert app.client.get(job["run_url"], headers=h).json()["run"]["id"] == job["run_id"]
    # Bad input is refused at once, no job started.
    bad = app.client.post("/api/v1/runs", headers=h, json={"policy": "balanced", "key": "nope"})
    assert 400 <= bad.status_code < 500 and "job" not in bad.json()
    assert app.client.get("/api/v1/jobs/J" + "0" * 32, headers=h).status_code == 404
    for role in ("officer-qc", "analyst", "auditor"):  # only who may create runs sees jobs
        assert app.client.get(body["url"], headers=app.auth(role)).status_code == 403
    waited = app.client.post("/api/v1/runs?wait=true", headers=h, json={"policy": "balanced"})
    assert waited.status_code == 201 and waited.json()["id"] > job["run_id"]


def test_the_job_page_shows_progress_then_goes_to_the_run(app: Any) -> None:
    from fastapi.testclient import TestClient

    from fairshare.service.jobs import create_job
    from webapp_helpers import csrf_of, login

    client = TestClient(app.client.app)
    login(client, "coordinator", app.passwords["coordinator"])
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    queued = create_job(ctx, kind="run", actor="coordinator",
                        params={"policy": "balanced", "key": "canada-population",
                                "solver": "auto"})
    page = client.get(f"/matching/jobs/{queued.id}?lang=en")
    assert page.status_code == 200
    html = page.text
    assert '<progress id="job-progress" max="100" value="0">' in html
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert '<script src="/static/job.js" defer></script>' in html
    assert f'data-url="/api/v1/jobs/{queued.id}"' in html
    assert "Waiting for the server to start it" in html
    assert "En attente du serveur" in client.get(f"/matching/jobs/{queued.id}?lang=fr").text
    client.get("/matching?lang=en")
    assert client.get("/static/job.js").status_code == 200
    csrf = csrf_of(client.get("/matching").text)
    created = client.post("/matching/runs", data={"policy": "balanced", "key":
                                                  "canada-population", "solver": "auto",
                                                  "csrf_token": csrf}, follow_redirects=False)
    assert created.status_code == 303
    job_page = created.headers["location"]
    client.app.state.jobs.wait(job_page.rsplit("/", 1)[1])  # type: ignore[attr-defined]
    done = client.get(job_page, follow_redirects=False)  # a reload after the run was made
    assert done.status_code == 303
    assert done.headers["location"].startswith("/matching/runs/R")
    assert "The matching run was created." in client.get(done.headers["location"]).text


def test_the_cycle_collector_is_paused_during_a_run_and_back_after(registry: Context,
                                                                    tmp_path: Path) -> None:
    import gc

    _pool(registry, tmp_path)
    during: list[bool] = []
    assert gc.isenabled()
    create_run(registry, policy="balanced", key="canada-population",
               progress=lambda step, fraction: during.append(gc.isenabled()))
    assert during and not any(during) and gc.isenabled()

    def fail(step: str, fraction: float) -> None:
        if step == "solving":
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        create_run(registry, policy="balanced", key="canada-population", progress=fail)
    assert gc.isenabled()
    gc.disable()  # a caller that keeps it off keeps it off
    try:
        create_run(registry, policy="outcome", key="canada-population")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_runs_store_explanation_facts_and_word_them_when_shown(registry: Context,
                                                               tmp_path: Path) -> None:
    from fairshare.service import open_explanation
    from fairshare.store.tables import recommendations

    fids = _pool(registry, tmp_path)
    detail = create_run(registry, policy="balanced", key="canada-population")
    with registry.engine.connect() as conn:
        stored = dict(conn.execute(select(recommendations.c.family_id,
                                          recommendations.c.explanation).where(
            recommendations.c.run_id == detail.run.id)).all())
    assert set(stored) == set(fids) and all("en" not in e for e in stored.values())
    shown = {r.family_id: dict(r.explanation or {}) for r in
             show_run(registry, run_id=detail.run.id).recommendations}
    created = {r.family_id: dict(r.explanation or {}) for r in detail.recommendations}
    opened = open_explanation(registry, run_id=detail.run.id, family_id=fids[0], actor="ann")
    assert shown == created and opened.explanation == shown[fids[0]]
    for e in shown.values():  # the words: sentences, names and reasons in both languages
        assert e["en"].startswith(f"Family {e['family_id']}") and e["fr"].startswith("La famille")
        assert all(a["name_en"] and a["name_fr"] and a["why_not_en"] and a["why_not_fr"]
                   for a in e["alternatives"])
    as_json = json.loads(json.dumps(detail.as_dict()))  # what `run show --format json` writes
    assert {r["family_id"]: r["explanation"] for r in as_json["recommendations"]} == shown


def test_a_failed_jobs_problem_is_shown_in_its_readers_language(
        registry: Context, tmp_path: Path) -> None:
    """A job's problem is stored as a message: the API (Accept-Language) and the job page show
    it in their reader's language; the stored English ``message`` stays for older readers."""
    from fairshare.api.app import describe_job_error
    from fairshare.api.routes.jobs import job_view
    from fairshare.service.jobs import INTERRUPTED, JobRunner, crashed, get_job, problem_in
    from fairshare.service.runs import check_run_request

    _pool(registry, tmp_path)
    runner = JobRunner(registry, max_workers=1, describe=describe_job_error)
    request = check_run_request(registry, policy="outcome", key="canada-population")
    broken = runner.submit_run(dataclasses.replace(request,
                                                   policy_text="weights: [not, a, mapping"))
    runner.wait(broken.id, timeout=120)
    runner.shutdown()
    failed = get_job(registry, broken.id)
    assert failed.status == "failed" and failed.error is not None
    english, french = problem_in(failed.error, "en"), problem_in(failed.error, "fr")
    assert english["message"] == failed.error["message"] and english["code"] == french["code"]
    assert french["message"] != english["message"] and french["message"].strip()
    assert job_view(failed, "fr")["error"] == french and "text" not in french
    assert problem_in(INTERRUPTED, "fr")["message"].startswith("Le serveur s'est arrêté")
    assert "signal SIGKILL" in problem_in(crashed(-9), "fr")["message"]
    assert problem_in({"status": 409, "code": "x", "message": "as stored"}, "fr")["message"] == (
        "as stored")  # a problem an older version stored as English text only


def test_a_failed_jobs_page_states_its_problem_in_the_pages_language(app: Any) -> None:
    from fastapi.testclient import TestClient

    from fairshare.service.jobs import INTERRUPTED, create_job
    from webapp_helpers import login

    client = TestClient(app.client.app)
    login(client, "coordinator", app.passwords["coordinator"])
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    job = create_job(ctx, kind="run", actor="coordinator",
                     params={"policy": "balanced", "key": "canada-population", "solver": "auto"})
    with write_transaction(ctx.engine) as conn:
        conn.execute(update(jobs).where(jobs.c.id == job.id).values(
            status="failed", step="interrupted", error=INTERRUPTED))
    english = client.get(f"/matching/jobs/{job.id}?lang=en").text
    french = client.get(f"/matching/jobs/{job.id}?lang=fr").text
    assert "The server stopped before this job finished; nothing was saved." in english
    assert "Le serveur s'est arrêté avant la fin de cette tâche" in french.replace("&#39;", "'")
    assert "The server stopped" not in french
