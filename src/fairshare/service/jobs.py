"""Jobs: long work (matching runs) the server runs in the background, stored in the database.

A job is a row of ``jobs``: ``queued`` when asked for, ``running`` while a job process works on
it (its step and the fraction done are updated at each step), then ``done`` (with the run it
made) or ``failed`` (with a problem body: status, code, message; never a traceback). Because
the row is in the database, a page reload or another server process sees the same job.

Each job runs in a process of its own (multiprocessing's ``forkserver``: a clean process forked
from a server that imported the solver's modules once, so starting one costs milliseconds, not
an interpreter's start). The child opens its own database engine from the settings (SQLite WAL
or PostgreSQL) and writes the job's state itself, so the server's event loop and interpreter
lock stay free while a run scores and solves; the run and its audit entry are written exactly
as an in-process run writes them (the same actor). A server process runs at most
``max_workers`` jobs at once (:class:`JobRunner`; the server uses one on SQLite, whose single
writer would serialise more anyway, and two on PostgreSQL); the others wait queued.

Nothing stays ``running`` forever: a job process that dies (killed, out of memory, a crash in
native code) is marked ``failed`` (code ``crashed``) by the server that started it; a job
process whose server is gone marks its job ``failed`` (code ``interrupted``) and stops; and
each job records the process working on it (host, process id and a per-process token), so when
a server starts, :func:`fail_interrupted` marks ``failed`` the queued and running jobs of
processes of this host that are no longer alive. Jobs of another host are left to that host.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import queue
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, insert, select, update

from fairshare.errors import FairshareError, NotFoundError, full_text
from fairshare.i18n import DEFAULT, Text, from_json, msg, to_json
from fairshare.service.common import as_utc
from fairshare.service.context import Context
from fairshare.service.models import _Base
from fairshare.service.settings import Settings
from fairshare.store.engine import make_engine, read_transaction, write_transaction
from fairshare.store.tables import jobs

log = logging.getLogger("fairshare.jobs")

STATUSES = ("queued", "running", "done", "failed")
OPEN = ("queued", "running")
_TOKENS: dict[int, str] = {}  # per process id: a forked job process draws its own
def job_problem(status: int, code: str, message: Text,
                details: Sequence[Text] = ()) -> dict[str, Any]:
    """A failed job's problem as stored: ``message`` in English (what the API showed before
    problems were kept as messages) and the message itself, shown in its reader's language by
    :func:`problem_in`."""
    return {"status": status, "code": code,
            "message": full_text(message, list(details), DEFAULT),
            "text": to_json(message), "details": [to_json(d) for d in details]}


def problem_in(problem: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """A stored problem for its reader: status, code and the message in ``lang`` (a problem
    stored as English text only, by an older version, stays as it is)."""
    message = problem.get("message", "")
    if "text" in problem:
        message = full_text(from_json(problem["text"]),
                            [from_json(d) for d in problem.get("details", [])], lang)
    return {"status": problem.get("status"), "code": problem.get("code"), "message": message}


INTERRUPTED = job_problem(409, "interrupted", msg("job_problem_interrupted"))
UNEXPECTED = job_problem(500, "internal", msg("job_problem_unexpected"))
DescribeError = Callable[[FairshareError], dict[str, Any]]
#: What a job process imports once in the fork server (the run's modules and the solver's).
PRELOAD = ("fairshare.service.jobs", "fairshare.service.runs", "fairshare.matching",
           "fairshare.matching.highs", "fairshare.outcomes", "numpy", "pandas", "highspy")


def worker_name() -> str:
    """This process as jobs record it: ``host:pid:token``."""
    return f"{socket.gethostname()}:{os.getpid()}:{_token()}"


def _token() -> str:
    return _TOKENS.setdefault(os.getpid(), secrets.token_hex(4))


def crashed(exitcode: int | None) -> dict[str, Any]:
    """The problem of a job whose process stopped before recording an outcome."""
    if exitcode is not None and exitcode < 0:
        try:
            how = msg("job_how_signal", signal=signal.Signals(-exitcode).name)
        except ValueError:
            how = msg("job_how_signal", signal=-exitcode)
    else:
        how = msg("job_how_exit", code=exitcode)
    return job_problem(500, "crashed", msg("job_problem_crashed", how=how))


@dataclass(frozen=True)
class JobInfo(_Base):
    """A job's state."""

    id: str
    kind: str
    status: str
    step: str
    fraction: float
    params: dict[str, Any]
    run_id: str | None
    error: dict[str, Any] | None
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    finished_at: dt.datetime | None


def _info(row: Row[Any]) -> JobInfo:
    return JobInfo(id=row.id, kind=row.kind, status=row.status, step=row.step,
                   fraction=float(row.fraction), params=dict(row.params),
                   run_id=row.result_id, error=dict(row.error) if row.error else None,
                   created_at=as_utc(row.created_at), created_by=row.created_by,
                   updated_at=as_utc(row.updated_at),
                   finished_at=as_utc(row.finished_at) if row.finished_at else None)


def create_job(ctx: Context, *, kind: str, params: dict[str, Any], actor: str) -> JobInfo:
    """A new queued job (its id: 128 random bits, so ids are neither guessable nor shared)."""
    job_id = f"J{secrets.token_hex(16)}"
    now = ctx.now()
    with write_transaction(ctx.engine) as conn:
        conn.execute(insert(jobs).values(
            id=job_id, kind=kind, status="queued", step="queued", fraction=0.0, params=params,
            result_id=None, error=None, worker=worker_name(), created_at=now,
            created_by=actor, updated_at=now, finished_at=None))
        row = conn.execute(select(jobs).where(jobs.c.id == job_id)).one()
    return _info(row)


def get_job(ctx: Context, job_id: str) -> JobInfo:
    """A job by id (NotFoundError when there is none)."""
    with read_transaction(ctx.engine) as conn:
        row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise NotFoundError(msg("error_no_job", job=job_id))
    return _info(row)


def _set(ctx: Context, job_id: str, *, only: tuple[str, ...] | None = None,
         **values: Any) -> bool:
    """Update a job (``only``: if its status is one of these); whether a row changed."""
    query = update(jobs).where(jobs.c.id == job_id)
    if only is not None:
        query = query.where(jobs.c.status.in_(only))
    query = query.values(updated_at=ctx.now(), **values)  # the clock read before the lock
    with write_transaction(ctx.engine) as conn:
        return bool(conn.execute(query).rowcount)


def _close(ctx: Context, job_id: str, problem: dict[str, Any], *, step: str = "failed") -> bool:
    """Mark a job that is still queued or running failed with ``problem``; whether it was."""
    try:
        now = ctx.now()
        return _set(ctx, job_id, only=OPEN, status="failed", step=step, error=problem,
                    finished_at=now)
    except Exception:  # the database itself is gone: the next start marks it
        log.exception("job %s: could not record its failure", job_id)
        return False


def fail_interrupted(ctx: Context) -> int:
    """Mark failed the queued and running jobs whose process (on this host) is gone; returns
    how many. Called when a server starts."""
    host = socket.gethostname()
    with write_transaction(ctx.engine) as conn:
        open_jobs = conn.execute(select(jobs.c.id, jobs.c.worker).where(
            jobs.c.status.in_(OPEN))).all()
        dead = [r.id for r in open_jobs if not _alive(r.worker or "", host)]
        if dead:
            conn.execute(update(jobs).where(jobs.c.id.in_(dead)).values(
                status="failed", step="interrupted", error=INTERRUPTED, updated_at=ctx.now(),
                finished_at=ctx.now()))
    return len(dead)


def _alive(worker: str, host: str) -> bool:
    """Whether the process named ``host:pid:token`` may still be working (unknown hosts: yes)."""
    parts = worker.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    name, pid, token = parts[0], int(parts[1]), parts[2]
    if name != host:
        return True
    if pid == os.getpid():
        return token == _token()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


@dataclass(frozen=True)
class _Task:
    """What a job process receives (pickled): enough to open its own context and run."""

    job_id: str
    settings: Settings
    clock: Callable[[], dt.datetime]
    describe: DescribeError
    request: Any


def _context() -> Any:
    """The multiprocessing context of job processes (a fork server with the run's modules
    imported once; ``spawn`` where there is no fork server)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    mp = multiprocessing.get_context("forkserver")
    mp.set_forkserver_preload(list(PRELOAD))
    return mp


class JobRunner:
    """The server's jobs: at most ``max_workers`` job processes at once, the others queued.

    ``describe``: turns a refused job's FairshareError into a problem body (the API's mapping
    of errors to statuses, passed in so this layer imports nothing above it). It is sent to the
    job process, so it must be a module-level function (picklable), as must ``ctx.clock``.

    Each of ``max_workers`` daemon threads takes a queued job, starts its process and waits
    for it (holding no lock meanwhile); being daemons, they never hold up the server's exit,
    when multiprocessing stops the job processes still running (their jobs are then marked
    ``interrupted`` at the next start, or at once by :meth:`shutdown`).
    """

    def __init__(self, ctx: Context, *, max_workers: int, describe: DescribeError) -> None:
        self.ctx = ctx
        self.describe = describe
        self.max_workers = max_workers
        self._queue: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._finished: dict[str, threading.Event] = {}
        self._children: dict[str, Any] = {}
        self._closed = False
        self._stopping = False

    @property
    def closed(self) -> bool:
        """Whether :meth:`shutdown` was called (the runner takes no more jobs)."""
        return self._closed

    def submit_run(self, request: Any) -> JobInfo:
        """Queue a checked run request (:class:`fairshare.service.runs.RunRequest`)."""
        if self._closed:
            raise RuntimeError("The job runner was shut down.")
        job = create_job(self.ctx, kind="run", params=request.as_params(), actor=request.actor)
        task = _Task(job_id=job.id, settings=self.ctx.settings, clock=self.ctx.clock,
                     describe=self.describe, request=request)
        with self._lock:
            self._finished[job.id] = threading.Event()
            if len(self._threads) < self.max_workers:  # started at the first jobs
                thread = threading.Thread(target=self._slot, daemon=True,
                                          name=f"fairshare-job-{len(self._threads)}")
                self._threads.append(thread)
                thread.start()
        self._queue.put(task)
        return job

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Wait until a job this runner took has its outcome recorded (returns at once for
        any other); TimeoutError after ``timeout`` seconds."""
        with self._lock:
            finished = self._finished.get(job_id)
        if finished is not None and not finished.wait(timeout):
            raise TimeoutError(f"Job '{job_id}' is still working after {timeout} s.")

    def _slot(self) -> None:
        while (task := self._queue.get()) is not None:
            try:
                if self._stopping or self._closed:
                    _close(self.ctx, task.job_id, INTERRUPTED, step="interrupted")
                else:
                    self._run(task)
            except Exception:  # never lose the thread
                log.exception("job %s: the runner failed", task.job_id)
            finally:
                with self._lock:
                    finished = self._finished.pop(task.job_id, None)
                if finished is not None:
                    finished.set()

    def _run(self, task: _Task) -> None:
        """Start the job's process and wait for it; a process that ended without recording
        an outcome leaves its job failed, never running."""
        try:
            child = _context().Process(target=_child_main, args=(task,), daemon=True,
                                       name=f"fairshare-job-{task.job_id}")
            child.start()
        except Exception:
            log.exception("job %s: could not start its process", task.job_id)
            _close(self.ctx, task.job_id, UNEXPECTED)
            return
        with self._lock:
            self._children[task.job_id] = child
            if self._stopping:  # shut down while it started
                child.terminate()
        try:
            child.join()
        finally:
            with self._lock:
                self._children.pop(task.job_id, None)
        stopped = self._stopping
        problem = INTERRUPTED if stopped else crashed(child.exitcode)
        if _close(self.ctx, task.job_id, problem, step="interrupted" if stopped else "failed"):
            log.error("job %s: its process %s ended (exit code %s) before recording an "
                      "outcome", task.job_id, child.pid, child.exitcode)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop taking jobs: queued ones are marked failed (interrupted); running ones are
        waited for (``wait``) or stopped and marked failed (interrupted)."""
        with self._lock:
            self._closed = True
            if not wait:
                self._stopping = True
            children = list(self._children.values()) if not wait else []
            threads = list(self._threads)
        for child in children:
            child.terminate()
        for _ in threads:
            self._queue.put(None)  # after the queued jobs, which are marked interrupted
        if wait:
            for thread in threads:
                thread.join()


# --- in the job process ---------------------------------------------------------------------

def _child_main(task: _Task) -> None:
    """A job process: open a context of its own, run the job, record its outcome."""
    ctx = Context(settings=task.settings, engine=make_engine(task.settings.database_url),
                  clock=task.clock)
    try:
        _watch_server(ctx, task.job_id)
        _work(ctx, task)
    finally:
        ctx.close()


def _watch_server(ctx: Context, job_id: str) -> None:
    """When the server that started this process is gone, mark the job interrupted and stop
    (so no orphan keeps solving, or writes a run, after its server stopped)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        _close(ctx, job_id, INTERRUPTED, step="interrupted")
        os._exit(3)

    threading.Thread(target=watch, name="fairshare-job-watch", daemon=True).start()


def _work(ctx: Context, task: _Task) -> None:
    from fairshare.service.runs import execute_run

    job_id = task.job_id
    last_step = [""]
    last_at = [0.0]

    def progress(step: str, fraction: float) -> None:
        # A write per step (and at most one a second): short, so it never holds up others.
        now = time.monotonic()
        if step != last_step[0] or now - last_at[0] >= 1.0:
            last_step[0], last_at[0] = step, now
            _set(ctx, job_id, step=step, fraction=round(fraction, 3))

    if not _set(ctx, job_id, only=("queued",), status="running", step="reading",
                fraction=0.0, worker=worker_name()):
        return  # no longer queued (failed as interrupted meanwhile): nothing to do
    try:
        detail = execute_run(ctx, task.request, progress=progress)
    except FairshareError as exc:
        _close(ctx, job_id, task.describe(exc))
    except Exception:
        log.exception("job %s failed", job_id)
        _close(ctx, job_id, UNEXPECTED)
    else:
        now = ctx.now()
        _set(ctx, job_id, status="done", step="done", fraction=1.0, result_id=detail.run.id,
             finished_at=now)
