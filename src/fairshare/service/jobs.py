"""Jobs: long work (matching runs) the server runs in the background, stored in the database.

A job is a row of ``jobs``: ``queued`` when asked for, ``running`` while a worker thread works
on it (its step and the fraction done are updated at each step), then ``done`` (with the run it
made) or ``failed`` (with a problem body: status, code, message; never a traceback). Because
the row is in the database, a page reload or another server process sees the same job.

A server process runs at most ``max_workers`` jobs at once (:class:`JobRunner`; the server uses
one on SQLite, whose single writer would serialise more anyway, and two on PostgreSQL); the
others wait in its queue. Each job records the process that took it (host, process id and a
per-process token): when a server starts, :func:`fail_interrupted` marks ``failed`` the queued
and running jobs of processes of this host that are no longer alive (a server stopped or killed
mid-run), so no job stays ``running`` forever. Jobs of another host are left to that host.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, insert, select, update

from fairshare.errors import FairshareError, NotFoundError
from fairshare.service.common import as_utc
from fairshare.service.context import Context
from fairshare.service.models import _Base
from fairshare.store.engine import read_transaction, write_transaction
from fairshare.store.tables import jobs

log = logging.getLogger("fairshare.jobs")

STATUSES = ("queued", "running", "done", "failed")
_TOKEN = secrets.token_hex(4)
INTERRUPTED = {"status": 409, "code": "interrupted",
               "message": "The server stopped before this job finished; nothing was saved. "
                          "Start it again."}
UNEXPECTED = {"status": 500, "code": "internal",
              "message": "The job failed unexpectedly; nothing was saved. The server log has "
                         "the details."}
DescribeError = Callable[[FairshareError], dict[str, Any]]


def worker_name() -> str:
    """This process as jobs record it: ``host:pid:token``."""
    return f"{socket.gethostname()}:{os.getpid()}:{_TOKEN}"


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
        raise NotFoundError(f"No job '{job_id}'.")
    return _info(row)


def _set(ctx: Context, job_id: str, **values: Any) -> None:
    with write_transaction(ctx.engine) as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(
            updated_at=ctx.now(), **values))


def fail_interrupted(ctx: Context) -> int:
    """Mark failed the queued and running jobs whose process (on this host) is gone; returns
    how many. Called when a server starts."""
    host = socket.gethostname()
    with write_transaction(ctx.engine) as conn:
        open_jobs = conn.execute(select(jobs.c.id, jobs.c.worker).where(
            jobs.c.status.in_(("queued", "running")))).all()
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
        return token == _TOKEN
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


class JobRunner:
    """The server's bounded pool of worker threads for jobs.

    ``describe``: turns a refused job's FairshareError into a problem body (the API's mapping
    of errors to statuses, passed in so this layer imports nothing above it).
    """

    def __init__(self, ctx: Context, *, max_workers: int, describe: DescribeError) -> None:
        self.ctx = ctx
        self.describe = describe
        self._pool = ThreadPoolExecutor(max_workers=max_workers,
                                        thread_name_prefix="fairshare-job")
        self._lock = threading.Lock()
        self._futures: dict[str, Future[None]] = {}

    def submit_run(self, request: Any) -> JobInfo:
        """Queue a checked run request (:class:`fairshare.service.runs.RunRequest`)."""
        job = create_job(self.ctx, kind="run", params=request.as_params(), actor=request.actor)
        future = self._pool.submit(self._run, job.id, request)
        with self._lock:
            self._futures[job.id] = future
        future.add_done_callback(lambda _: self._forget(job.id))
        return job

    def _forget(self, job_id: str) -> None:
        with self._lock:
            self._futures.pop(job_id, None)

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Wait for a job this runner is working on (returns at once for any other)."""
        with self._lock:
            future = self._futures.get(job_id)
        if future is not None:
            future.result(timeout=timeout)

    def _run(self, job_id: str, request: Any) -> None:
        from fairshare.service.runs import execute_run

        ctx = self.ctx
        last_step = [""]
        last_at = [0.0]

        def progress(step: str, fraction: float) -> None:
            # A write per step (and at most one a second): short, so it never holds up others.
            now = time.monotonic()
            if step != last_step[0] or now - last_at[0] >= 1.0:
                last_step[0], last_at[0] = step, now
                _set(ctx, job_id, step=step, fraction=round(fraction, 3))

        try:
            _set(ctx, job_id, status="running", step="reading", fraction=0.0,
                 worker=worker_name())
            detail = execute_run(ctx, request, progress=progress)
        except FairshareError as exc:
            self._fail(job_id, self.describe(exc))
        except Exception:
            log.exception("job %s failed", job_id)
            self._fail(job_id, UNEXPECTED)
        else:
            _set(ctx, job_id, status="done", step="done", fraction=1.0,
                 result_id=detail.run.id, finished_at=ctx.now())

    def _fail(self, job_id: str, problem: dict[str, Any]) -> None:
        try:
            _set(self.ctx, job_id, status="failed", step="failed", error=problem,
                 finished_at=self.ctx.now())
        except Exception:  # the database itself is gone: the next start marks it
            log.exception("job %s: could not record its failure", job_id)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop taking jobs (queued ones are failed at the next start if not run)."""
        self._pool.shutdown(wait=wait, cancel_futures=True)
