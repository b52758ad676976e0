"""Benchmark: case submission through the Open311 API against a bare Django view doing one INSERT,
same server, same database, measured in one run. Target: API ≥ 0.5 × baseline (requests/s).

On a scratch PostgreSQL database (created on the server of `--postgres`, dropped afterwards):
migrations, 会泽县's divisions (530326) and one Open311 client (through its service) come first,
and a one-column table for the baseline. Then a real server is started on a free 127.0.0.1 port,
gunicorn with `--workers` sync workers (as docs/deployment.md runs it; `--server runserver` uses
`manage.py runserver --noreload` instead), with bench/_baseline_settings.py: the platform's settings
and URLs plus the bare view (bench/_baseline_urls.py) and no rate limit on the key.

Load: `--concurrency` client processes, each sending one form-encoded POST after another on a new
connection (the request bytes prepared once; the client only sends and reads the status line, so
it takes little of the machine), for `--seconds` per measurement. The two endpoints alternate for
`--rounds` rounds after a warm-up; the median round of each is reported, and the ratio.

  * api      — POST /open311/v2/requests.json: api_key, service_code, description, address_string
               (a village of 会泽县 by name), first/last name and a mobile phone. With OPEN311_ASYNC
               (the default): key check, rate counter, category, the cheap checks, the phone
               encrypted, ONE submission row and the task row of the database queue in one
               transaction, the token answer. With `--sync`: the case made in the request (place by
               name, case_submit with tracking code, deadline, timeline, audit, events), the
               service_request_id answer.
  * baseline — POST /bench/insert/ with the same body: one INSERT … RETURNING id, a JSON answer.

No task worker runs while the server is measured. Afterwards the queue the API filled is drained
by `--drain-workers` `manage.py db_worker --batch` processes and timed: the cases the worker makes
per second are the other half of the cost, reported on their own line.

Every answer must be 201 (anything else is counted and reported); at the end the number of cases
and of baseline rows must equal the 201s, and every submission must have its case. The
application's CPU per request is measured in this process through Django's test client (median
of `--cpu-requests`), which tells where the ratio comes from whatever else the machine is doing;
`--profile N` prints the cProfile of N API requests.

    .venv/bin/python bench/cases_api_submit.py
    .venv/bin/python bench/cases_api_submit.py --postgres postgres://root:root@127.0.0.1:5432/postgres
    .venv/bin/python bench/cases_api_submit.py --seconds 3 --rounds 1      # quick
    .venv/bin/python bench/cases_api_submit.py --sync                      # cases made in the request
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._scratch import fresh_postgres  # noqa: E402

COUNTY = "530326"
ADDRESS = "会泽县娜姑镇大闸村二组路口"
SETTINGS = "bench._baseline_settings"
API_PATH = "/open311/v2/requests.json"
BASELINE_PATH = "/bench/insert/"


def _env(var_dir: str, database_url: str, queued: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "OPEN311_ASYNC": "1" if queued else "0",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "JC_VAR_DIR": var_dir,
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            "STATIC_ROOT": str(Path(var_dir) / "static"),
        }
    )
    env.pop("REDIS_URL", None)  # the rate counter and the grid index stay in each worker
    return env


def _prepare(env: dict[str, str]) -> str:
    """Migrate, load the county, issue a key, create the baseline table. Returns the key."""
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from apps.open311 import services
    from apps.territory.importer import import_divisions
    from apps.territory.models import Unit

    import_divisions([COUNTY])
    _client, key = services.open311_client_create(
        actor=None, name="压测客户端", jurisdiction=Unit.objects.get(code=COUNTY)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_insert (id bigserial PRIMARY KEY, body text NOT NULL, created_at timestamptz)"
        )
    connection.close()
    return key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(kind: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    python = sys.executable
    if kind == "gunicorn":
        gunicorn = str(Path(python).with_name("gunicorn"))
        command = [gunicorn, "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                   "--timeout", "60", "--log-level", "warning"]  # fmt: skip
    else:
        command = [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    Path(env["STATIC_ROOT"]).mkdir(parents=True, exist_ok=True)
    log = Path(env["JC_VAR_DIR"]) / "server.log"  # a file, not a pipe nobody reads while measuring
    with log.open("wb") as sink:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _status(_request("GET", "/healthz", port, b""), port) == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"server did not start:\n{log.read_text(errors='replace')[-3000:]}")


def _request(method: str, path: str, port: int, body: bytes) -> bytes:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def _status(request: bytes, port: int) -> int:
    """Send one request on a new connection; the status code of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    first = b"".join(chunks).split(b"\r\n", 1)[0]
    return int(first.split()[1])


def _client(args: tuple[bytes, int, float]) -> tuple[int, int, list[float]]:
    request, port, until = args
    ok = other = 0
    latencies: list[float] = []
    while time.monotonic() < until:
        started = time.perf_counter()
        status = _status(request, port)
        latencies.append(time.perf_counter() - started)
        if status == 201:
            ok += 1
        else:
            other += 1
    return ok, other, latencies


def _measure(pool: Any, request: bytes, port: int, concurrency: int, seconds: float) -> dict[str, Any]:
    until = time.monotonic() + seconds
    started = time.perf_counter()
    results = pool.map(_client, [(request, port, until)] * concurrency)
    elapsed = time.perf_counter() - started
    ok = sum(r[0] for r in results)
    other = sum(r[1] for r in results)
    latencies = sorted(x for r in results for x in r[2])
    p = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    return {
        "ok": ok,
        "other": other,
        "rps": ok / elapsed,
        "p50": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p95": p[94] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres",
        default="postgres://root:root@127.0.0.1:5432/postgres",
        help="server for the scratch database (a new database is created and dropped)",
    )
    parser.add_argument("--server", choices=["gunicorn", "runserver"], default="gunicorn")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--concurrency", type=int, default=4, help="client processes (default 4)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--warmup", type=int, default=100, help="requests per endpoint before measuring")
    parser.add_argument("--cpu-requests", type=int, default=300, help="in-process CPU sample per endpoint")
    parser.add_argument("--sync", action="store_true", help="OPEN311_ASYNC off: the case made in the request")
    parser.add_argument("--drain-workers", type=int, default=2, help="db_worker processes draining the queue")
    parser.add_argument("--profile", type=int, default=0, help="cProfile this many in-process API requests")
    args = parser.parse_args()  # fmt: skip

    var_dir = tempfile.mkdtemp(prefix="jc-bench-api-")
    print(f"# API submission benchmark — Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{args.server} ({args.workers} workers), {args.concurrency} clients, "
          f"OPEN311_ASYNC={'off' if args.sync else 'on'}, "
          f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    try:
        with fresh_postgres(args.postgres, "jc_bench_api") as database_url:
            assert database_url is not None
            env = _env(var_dir, database_url, queued=not args.sync)
            context = multiprocessing.get_context("fork")
            # The client pool forks before Django is set up in this process: the clients carry nothing.
            with context.Pool(args.concurrency) as pool:
                key = _prepare(env)
                port = _free_port()
                server = _start_server(args.server, port, args.workers, env)
                try:
                    _run(pool, key, port, args)
                finally:
                    server.terminate()
                    server.wait(timeout=30)
                _cpu_per_request(key, args.cpu_requests)
                if args.profile:
                    _profile(key, args.profile)
                if not args.sync:
                    _drain(env, args.drain_workers)
                _verify()
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


_TOTALS = {"api": 0, "baseline": 0}


def _body(key: str) -> bytes:
    return urlencode(
        {
            "api_key": key,
            "service_code": "env-garbage",
            "description": "村口垃圾池已经满了三天没人清运，气味很大，请尽快处理。",
            "address_string": ADDRESS,
            "first_name": "建国",
            "last_name": "张",
            "phone": "13812345678",
        }
    ).encode()


def _run(pool: Any, key: str, port: int, args: argparse.Namespace) -> None:
    body = _body(key)
    requests = {
        "api": _request("POST", API_PATH, port, body),
        "baseline": _request("POST", BASELINE_PATH, port, body),
    }
    for name, request in requests.items():
        for _ in range(args.warmup):
            status = _status(request, port)
            if status != 201:
                raise SystemExit(f"{name}: warm-up answered {status}")
            _TOTALS[name] += 1
    rounds: dict[str, list[dict[str, Any]]] = {"api": [], "baseline": []}
    for number in range(1, args.rounds + 1):
        for name in ("baseline", "api"):
            result = _measure(pool, requests[name], port, args.concurrency, args.seconds)
            _TOTALS[name] += result["ok"]
            rounds[name].append(result)
            print(
                f"round {number} {name:8} {result['rps']:8.1f} req/s   p50 {result['p50']:6.1f} ms   "
                f"p95 {result['p95']:6.1f} ms   201: {result['ok']}   other: {result['other']}"
            )
    medians = {name: statistics.median(r["rps"] for r in results) for name, results in rounds.items()}
    failures = sum(r["other"] for results in rounds.values() for r in results)
    print(f"api      median {medians['api']:8.1f} req/s")
    print(f"baseline median {medians['baseline']:8.1f} req/s")
    ratio = medians["api"] / medians["baseline"]
    print(f"ratio api/baseline {ratio:.2f} (target ≥ 0.5); non-201 answers: {failures}")


def _cpu_per_request(key: str, count: int) -> None:
    """CPU of the application per request, in this process through Django's test client (no server,
    no client, no other load counted): where the ratio comes from, whatever the machine's load."""
    from django.db import connection
    from django.test import Client

    client = Client()
    body = _body(key)
    results = {}
    for name, path in (("api", API_PATH), ("baseline", BASELINE_PATH)):
        times = []
        for i in range(count + 50):
            started = time.process_time()
            response = client.post(path, body, content_type="application/x-www-form-urlencoded")
            if i >= 50:  # the first ones warm the caches
                times.append(time.process_time() - started)
            assert response.status_code == 201, response.content
            _TOTALS[name] += 1
        results[name] = statistics.median(times) * 1000
    print(
        f"app CPU per request (median of {count}, in process): api {results['api']:.2f} ms, "
        f"baseline {results['baseline']:.2f} ms → {results['baseline'] / results['api']:.2f}"
    )
    connection.close()


def _profile(key: str, count: int) -> None:
    """cProfile (CPU time) of `count` API requests through the test client: where the request's
    CPU goes."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client

    client = Client()
    body = _body(key)
    profiler = cProfile.Profile(time.process_time)  # CPU, as the line above it
    profiler.enable()
    for _ in range(count):
        response = client.post(API_PATH, body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 201
    profiler.disable()
    _TOTALS["api"] += count
    print(f"cProfile of {count} API requests (cumulative, then own time; top 40 each):")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
    connection.close()


def _drain(env: dict[str, str], workers: int) -> None:
    """Make the queued cases: `workers` db_worker processes in batch mode (each leaves when no task
    is ready), timed from their start to the last one's exit, once every drain task is due."""
    from django.db import connection
    from django.db.models import Max
    from django_tasks_db.models import DBTaskResult

    from apps.open311.models import Open311Submission

    ready = DBTaskResult.objects.filter(status="READY")
    drains = ready.count()
    due = ready.aggregate(at=Max("run_after"))["at"]
    queued = Open311Submission.objects.filter(status="queued").count()
    connection.close()
    if due is not None:
        time.sleep(max(0.0, due.timestamp() - time.time()) + 0.05)
    command = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--interval", "0",
               "--verbosity", "0"]  # fmt: skip
    started = time.perf_counter()
    cpu_before = os.times()
    processes = [subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(workers)]
    codes = [p.wait() for p in processes]
    elapsed = time.perf_counter() - started
    cpu_after = os.times()
    cpu = (cpu_after.children_user - cpu_before.children_user) + (
        cpu_after.children_system - cpu_before.children_system
    )
    if any(codes):
        raise SystemExit(f"db_worker exited with {codes}")
    failed = DBTaskResult.objects.failed().count()
    print(
        f"worker: {queued} queued requests ({drains} task rows written by the POSTs) made into cases by "
        f"{workers} db_worker processes in {elapsed:.1f} s incl. their start → "
        f"{queued / elapsed:.1f} cases/s, "
        f"{cpu * 1000 / max(queued, 1):.2f} ms worker CPU per case; failed tasks: {failed}"
    )
    connection.close()


def _verify() -> None:
    from django.db import connection

    from apps.cases.models import Case
    from apps.open311.models import Open311Submission

    connection.close()
    cases = Case.objects.filter(channel="api").count()
    without_case = Open311Submission.objects.filter(case__isnull=True).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_insert")
        (rows,) = cursor.fetchone()
    api, baseline = _TOTALS["api"], _TOTALS["baseline"]
    print(
        f"check: {cases} cases for {api} API 201s ({without_case} submissions without a case), "
        f"{rows} rows for {baseline} baseline 201s"
    )
    if cases != _TOTALS["api"] or rows != _TOTALS["baseline"] or without_case:
        raise SystemExit("mismatch between answers and rows written")
    connection.close()


if __name__ == "__main__":
    main()
