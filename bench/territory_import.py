"""Benchmark: importing administrative units from the shipped national division table.

Measures, each on a fresh SQLite database in its own temporary directory (migrations applied
before the clock starts):
  1. one county (default 会泽县 530326: 25 townships, 381 villages) — median of 3 runs, plus the
     idempotent re-run on the same database;
  2. the whole country (31 provinces … 620,573 villages) once, plus its no-op re-run.

Each measurement runs in a child process so every run starts cold with its own database.
`--postgres URL` runs the same on PostgreSQL, creating and dropping a database per run.

    .venv/bin/python bench/territory_import.py                 # both parts
    .venv/bin/python bench/territory_import.py --skip-all      # the county only (~15 s)
    .venv/bin/python bench/territory_import.py --county 371603 --runs 5
    .venv/bin/python bench/territory_import.py --postgres postgres://root:root@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _setup_django(var_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["JC_VAR_DIR"] = var_dir
    # DEBUG would keep every SQL statement in memory; production runs without it.
    os.environ["DJANGO_DEBUG"] = "0"
    # Only the URL this script chose (a database it just created) is used, never the shell's.
    if os.environ.get("JC_BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["JC_BENCH_DATABASE_URL"]
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(mode: str, code: str) -> dict[str, Any]:
    """Runs inside the child: import once (timed), then again (the idempotent re-run, timed)."""
    _setup_django(os.environ["JC_BENCH_DIR"])
    from apps.territory.importer import import_divisions
    from apps.territory.models import Unit

    codes = [] if mode == "all" else [code]
    started = time.perf_counter()
    first = import_divisions(codes, all_=mode == "all")
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    again = import_divisions(codes, all_=mode == "all")
    again_s = time.perf_counter() - started
    return {
        "mode": mode,
        "code": code,
        "seconds": first_s,
        "rerun_seconds": again_s,
        "created": first.total_created,
        "rerun_created": again.total_created,
        "rerun_updated": again.total_updated,
        "villages": Unit.objects.filter(level=5).count(),
        "units": Unit.objects.count(),
        "peak_rss_mib": _peak_rss_mib(),
    }


def _fresh_postgres(server_url: str | None) -> Any:
    from _scratch import fresh_postgres

    return fresh_postgres(server_url, "jc_bench_import")


def _run_child(mode: str, code: str, server_url: str | None = None) -> dict[str, Any]:
    var_dir = tempfile.mkdtemp(prefix="jc-bench-import-")
    try:
        with _fresh_postgres(server_url) as db_url:
            env = {**os.environ, "JC_BENCH_DIR": var_dir, "JC_BENCH_DATABASE_URL": db_url or ""}
            proc = subprocess.run(
                [sys.executable, __file__, "--worker", mode, "--county", code],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit(f"benchmark child failed ({mode} {code})")
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--county", default="530326", help="county code for the per-county timing")
    parser.add_argument("--runs", type=int, default=3, help="runs of the county import (median reported)")
    parser.add_argument("--skip-all", action="store_true", help="skip the whole-country import")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run on PostgreSQL instead: a server URL (postgres://user:pw@host:5432/any); each run "
        "creates and drops its own database jc_bench_import_<pid>",
    )
    parser.add_argument("--worker", choices=["county", "all"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(worker(args.worker, args.county)))
        return

    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"# territory import benchmark — Python {platform.python_version()}, {os.cpu_count()} CPUs, {engine}"
    )
    runs = [_run_child("county", args.county, args.postgres) for _ in range(args.runs)]
    times = [r["seconds"] for r in runs]
    first = runs[0]
    print(f"county {args.county}: {first['created']} units created ({first['villages']} villages)")
    print(
        f"  import runs: {', '.join(f'{t:.3f}' for t in times)} s → median {statistics.median(times):.3f} s"
    )
    reruns = [r["rerun_seconds"] for r in runs]
    print(
        f"  idempotent re-run: median {statistics.median(reruns):.3f} s, "
        f"created {first['rerun_created']}, updated {first['rerun_updated']}"
    )
    if not args.skip_all:
        country = _run_child("all", args.county, args.postgres)
        rate = country["villages"] / country["seconds"]
        print(
            f"whole country: {country['created']} units ({country['villages']} villages) "
            f"in {country['seconds']:.1f} s ({rate:.0f} villages/s), "
            f"peak RSS {country['peak_rss_mib']:.0f} MiB"
        )
        print(
            f"  idempotent re-run: {country['rerun_seconds']:.1f} s, created {country['rerun_created']}, "
            f"updated {country['rerun_updated']}"
        )


if __name__ == "__main__":
    main()
