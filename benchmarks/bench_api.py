"""REST API and dashboard: read latency with 100,000 claimants, and a bounded load test.

A real uvicorn server (one process, one worker) on 127.0.0.1 serves a registry holding
100,000 synthetic claimants (imported through the service layer) and one matching run. Each
read is timed over HTTP from a separate process; the baseline, measured in the same run, is
``GET /health`` (the cost of HTTP, the middlewares and one trivial query). Then 50 concurrent
clients send a fixed number of mixed reads each; every non-2xx answer or transport failure
counts as an error. Requirement (issue 5): overview page and main API reads under 300 ms
median; no errors under the load test.

    python -m benchmarks api                         # 100,000 claimants
    BENCH_API_CLAIMANTS=20000 python -m benchmarks api
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CLIENTS = 50
REQUESTS_PER_CLIENT = 20
SAMPLES = 25


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(home: Path, claimants: int) -> tuple[str, str, float]:
    """Seed the registry; returns (API token, coordinator password, import seconds)."""
    from fairshare.api.database import prepare_database
    from fairshare.api.settings import Settings
    from fairshare.exchange.synth import synth_claimant_rows, write_claimants_csv
    from fairshare.service import create_run, import_claimants, open_context, seed_demo
    from fairshare.service.accounts import create_token, create_user
    from fairshare.store.engine import write_transaction

    settings = Settings.for_home(home, secure_cookies=False)
    prepare_database(settings)
    ctx = open_context(settings.registry())
    seed_demo(ctx, families=40, seed=1, actor="bench")
    rows = synth_claimant_rows(families=claimants // 2 + 10, seed=2026)[:claimants]
    families = {r["family_id"] for r in rows}
    last = rows[-1]["family_id"]
    rows = [r for r in rows if r["family_id"] != last]  # no family cut in two
    path = write_claimants_csv(rows, home / "bench-claimants.csv")
    start = time.perf_counter()
    result = import_claimants(ctx, path=path, agreement_id="demo-qc-ca", actor="bench")
    imported = time.perf_counter() - start
    print(f"imported {result.new_claimants:,} claimants in {len(families) - 1:,} families "
          f"in {imported:.1f} s")
    start = time.perf_counter()
    run = create_run(ctx, policy="balanced", key="canada-population", solver="auto", actor="bench")
    print(f"matching run {run.run.id} over {run.run.families:,} families: "
          f"{time.perf_counter() - start:.1f} s")
    password = "bench-coordinator-pw"
    with write_transaction(ctx.engine) as conn:
        create_user(conn, username="bench", password=password, role="coordinator")
        token = create_token(conn, username="bench", name="bench")[1]
    ctx.close()
    return token, password, imported


def _serve(home: Path, port: int) -> subprocess.Popen[bytes]:
    code = ("import uvicorn; from pathlib import Path; from fairshare.api import Settings, "
            f"create_app; uvicorn.run(create_app(Settings.for_home(Path({str(home)!r}), "
            f"secure_cookies=False)), host='127.0.0.1', port={port}, log_level='warning', "
            "access_log=False)")
    # its own process group: the job processes it forks are stopped with it (:func:`_stop`)
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    _stop(proc)
    raise RuntimeError("the server did not start")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Kill a server started by :func:`_serve` and every process of its group (its job
    processes would otherwise write on into a folder the benchmark is removing)."""
    import contextlib
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def _median_ms(client: object, url: str, **kwargs: object) -> float:
    times = []
    for i in range(SAMPLES + 2):
        start = time.perf_counter()
        r = client.get(url, **kwargs)  # type: ignore[attr-defined]
        elapsed = time.perf_counter() - start
        if r.status_code != 200:
            raise RuntimeError(f"{url}: {r.status_code} {r.text[:200]}")
        if i >= 2:  # the first calls warm caches
            times.append(elapsed)
    return statistics.median(times) * 1000


def main() -> None:
    import httpx

    claimants = int(os.environ.get("BENCH_API_CLAIMANTS", "100000"))
    with tempfile.TemporaryDirectory(prefix="fairshare-bench-api-") as folder:
        home = Path(folder)
        token, password, _ = _seed(home, claimants)
        port = _free_port()
        proc = _serve(home, port)
        base = f"http://127.0.0.1:{port}"
        try:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, timeout=30) as client:
                runs = client.get("/api/v1/runs", headers=headers).json()
                run_id = runs[0]["id"]
                reads = ["/api/v1/status", "/api/v1/families?limit=100",
                         "/api/v1/balance?years=2019-2024", "/api/v1/shares?total=1000",
                         "/api/v1/keys", "/api/v1/capacity", "/api/v1/runs",
                         f"/api/v1/runs/{run_id}?limit=100", f"/api/v1/runs/{run_id}/summary",
                         "/api/v1/transfers",
                         "/api/v1/audit?limit=100"]
                base_ms = _median_ms(client, "/health")
                print(f"GET /health (baseline): median {base_ms:.1f} ms")
                for url in reads:
                    ms = _median_ms(client, url, headers=headers)
                    print(f"GET {url}: median {ms:.1f} ms = {ms / base_ms:.1f}x baseline")
                form = client.get("/login").text
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
                assert csrf
                client.post("/login", data={"username": "bench", "password": password,
                                            "csrf_token": csrf.group(1)})
                ms = _median_ms(client, "/")
                print(f"GET / (overview page, map and charts): median {ms:.1f} ms = "
                      f"{ms / base_ms:.1f}x baseline")
                start = time.perf_counter()
                client.get(f"/api/v1/runs/{run_id}/report", headers=headers)
                first = time.perf_counter() - start
                ms = _median_ms(client, f"/api/v1/runs/{run_id}/report", headers=headers)
                print(f"GET /api/v1/runs/{run_id}/report (plan against 4 baselines): first "
                      f"{first * 1000:.0f} ms (rebuilt from the snapshot), then median {ms:.1f} ms")
                ms = _median_ms(client, f"/matching/runs/{run_id}")
                print(f"GET /matching/runs/{run_id} (run page, 200 recommendations): median "
                      f"{ms:.1f} ms = {ms / base_ms:.1f}x baseline")
                session = dict(client.cookies)
            _load_test(base, headers, session, reads)
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def _load_test(base: str, headers: dict[str, str], cookies: dict[str, str],
               reads: list[str]) -> None:
    import httpx

    errors: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()
    urls = [*reads, "/"]

    def client_loop(n: int) -> None:
        with httpx.Client(base_url=base, timeout=60, cookies=cookies) as client:
            for i in range(REQUESTS_PER_CLIENT):
                url = urls[(n + i) % len(urls)]
                start = time.perf_counter()
                try:
                    r = client.get(url, headers=headers if url != "/" else None)
                    ok = r.status_code == 200
                    detail = f"{url}: {r.status_code}"
                except httpx.HTTPError as exc:
                    ok, detail = False, f"{url}: {exc!r}"
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    if not ok:
                        errors.append(detail)

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    total = CLIENTS * REQUESTS_PER_CLIENT
    latencies.sort()
    print(f"load test: {CLIENTS} concurrent clients x {REQUESTS_PER_CLIENT} mixed reads = "
          f"{total} requests in {wall:.1f} s ({total / wall:.0f} req/s); latency median "
          f"{statistics.median(latencies) * 1000:.0f} ms, p95 "
          f"{latencies[int(0.95 * len(latencies))] * 1000:.0f} ms; errors: {len(errors)}")
    for e in errors[:10]:
        print(f"  error: {e}")


if __name__ == "__main__":
    main()
