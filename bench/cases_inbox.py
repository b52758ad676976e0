"""Benchmark: the case inboxes and the dashboard with 1,000,000 cases.

PostgreSQL only, on a scratch database (`--postgres`, default the local server; created and dropped
by bench/_scratch.py). Before the clock, with the builder of bench/cases_sla_sweep.py: migrations,
会泽县 (25 townships, 381 villages), 10 departments, an officer per township, a cadre per village,
two handlers per department; then N cases (default 1,000,000) streamed in with COPY: `--open`
(default 5%) open in every inbox state with deadlines around now (3% of them red, 8% yellow), the
rest closed (1.5% rejected) over the last `--years` years (default 10: a busy county's history;
`--years 1` puts all of them in the dashboard's default period), whistles to departments on 2%;
then VACUUM ANALYZE, as autovacuum would have.

Measured, `--runs` times each after 3 warm-up runs (p50 / p95 / max), exactly what the pages ask
the database:
  * inbox page — `selectors.inbox_counts(user)` (the seven badge counts) plus the default box through
    `Paginator(with_list_columns(apply_filters(inbox(user, box), CaseFilters())), 25).get_page(1)`
    (its count and the first 25 rows), for the township officer of 娜姑镇 (box 待受理), a village cadre
    of 娜姑镇 (待受理) and a 自然资源局 handler (待签收); and each box alone (count + first page);
  * dashboard — `stats.unit_dashboard(user, unit, <last 12 months>)` (computed) and
    `stats.dashboard(...)` (what the page calls: the same, kept DASHBOARD_CACHE_SECONDS per scope,
    unit and period; local-memory cache as in a default install) for the county leader on the
    county and for the officer on 娜姑镇;
  * baseline — bare `SELECT * FROM cases_case LIMIT 30` (no join, no scope, no count).
Ratios are p50 against the baseline's p50. Target: p95 < 200 ms. `--explain` prints the plans of
the slowest statements.

    .venv/bin/python bench/cases_inbox.py                      # 1M cases, ~8 min
    .venv/bin/python bench/cases_inbox.py --cases 200000 --runs 20      # quick
    .venv/bin/python bench/cases_inbox.py --years 1            # every case in the dashboard's year
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases_sla_sweep import (
    COUNTY,
    DEFAULT_SERVER,
    HOME,
    build_cases,
    build_world,
    server_line,
    setup_django,
    vacuum_analyze,
)


def timed(fn: Any, runs: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def line(label: str, times: list[float], baseline: float | None = None) -> str:
    p50 = statistics.median(times)
    ratio = f"   {p50 / baseline:6.1f}× baseline" if baseline else ""
    flag = "" if p95(times) < 200 else "   ← over 200 ms"
    return f"{label:<44} p50 {p50:8.1f} ms   p95 {p95(times):8.1f} ms   max {max(times):8.1f} ms{ratio}{flag}"


def measure(runs: int, explain: bool) -> None:
    from django.core.paginator import Paginator
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from apps.accounts.models import User
    from apps.cases import selectors, stats
    from apps.territory.models import Unit

    officer = User.objects.get(username=f"officer_{HOME}")
    village = Unit.objects.filter(parent__code=HOME, level=5).order_by("code").first()
    assert village is not None
    cadre = User.objects.get(username=f"cadre_{village.code}")
    handler = User.objects.get(username=f"handler_{COUNTY}-ZRZY_1")
    leader = User.objects.get(username="bench_leader")
    county, township = Unit.objects.get(code=COUNTY), Unit.objects.get(code=HOME)
    period = stats.default_period(timezone.localdate())

    def page(user: Any, box: str, counts: bool = True) -> tuple[int, int]:
        if counts:
            selectors.inbox_counts(user)
        qs = selectors.with_list_columns(
            selectors.apply_filters(selectors.inbox(user, box), selectors.CaseFilters())
        )
        current = Paginator(qs, 25).get_page(1)
        return current.paginator.count, len(list(current.object_list))

    def baseline() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM cases_case LIMIT 30")
            return len(cursor.fetchall())

    base = timed(baseline, runs)
    base50 = statistics.median(base)
    print(line("baseline SELECT * LIMIT 30", base))
    people = (
        ("township officer 娜姑镇", officer, "to_accept"),
        (f"village cadre {village.display_name}", cadre, "to_accept"),
        ("department handler 自然资源局", handler, "to_sign"),
    )
    for label, user, box in people:
        counts = selectors.inbox_counts(user)
        print(f"{label}: {', '.join(f'{k} {v:,}' for k, v in counts.items())}")
        print(line(f"  inbox page ({box} + 7 counts)", timed(lambda u=user, b=box: page(u, b), runs), base50))
        for one in (*counts, "closed", "all"):
            print(
                line(
                    f"    box {one} (count + 25 rows)",
                    timed(lambda u=user, b=one: page(u, b, False), max(5, runs // 3), 1),
                    base50,
                )
            )
    boards = (
        ("dashboard county (leader)", leader, county),
        ("dashboard 娜姑镇 (officer)", officer, township),
    )
    for label, user, unit in boards:
        board = stats.unit_dashboard(user, unit, *period)
        print(f"{label}: {board.kpis['received']:,} cases received in {period[0]} – {period[1]}")
        cold = timed(lambda u=user, n=unit: stats.unit_dashboard(u, n, *period), runs)
        print(line(f"  {label}, computed", cold, base50))
        served = timed(lambda u=user, n=unit: stats.dashboard(u, n, *period), runs)
        print(line(f"  {label}, served (cache)", served, base50))
        with CaptureQueriesContext(connection) as captured:
            stats.unit_dashboard(user, unit, *period)
        slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]
        print(
            "    slowest statements: "
            + "; ".join(f"{float(q['time']) * 1000:.0f} ms {q['sql'][:60]}…" for q in slowest)
        )
        if explain:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN ANALYZE " + slowest[0]["sql"])
                print("\n".join(row[0] for row in cursor.fetchall()))
    if explain:
        for label, user, box in people:
            qs = selectors.inbox(user, box)
            print(f"\n-- {label} {box}: count\n{qs.order_by().explain(analyze=True)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--open", type=float, default=0.05, help="share of open cases (default 0.05)")
    parser.add_argument("--years", type=float, default=10, help="years the closed cases span (default 10)")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slow statements")
    parser.add_argument(
        "--postgres", metavar="URL", default=DEFAULT_SERVER, help=f"server (default {DEFAULT_SERVER})"
    )
    args = parser.parse_args()

    from _scratch import fresh_postgres

    var_dir = tempfile.mkdtemp(prefix="jc-bench-inbox-")
    try:
        with fresh_postgres(args.postgres, "jc_bench_cases_inbox") as database_url:
            assert database_url is not None
            setup_django(var_dir, database_url)
            print(server_line("case inbox and dashboard benchmark"))
            from django.utils import timezone

            world = build_world()
            now = timezone.now().replace(microsecond=0)
            built = build_cases(
                world, cases=args.cases, now=now, seed=args.seed, open_share=args.open, years=args.years,
                red=0.0, yellow=0.0, whistle_share=0.02,
            )  # fmt: skip
            t0 = time.perf_counter()
            vacuum_analyze()
            vacuumed = time.perf_counter() - t0
            print(
                f"built {args.cases:,} cases ({built['open']:,} open, {built['closed']:,} closed, "
                f"{built['rejected']:,} rejected, {built['whistles']:,} whistles; closed over "
                f"{args.years:g} years) in {built['seconds']} s, VACUUM ANALYZE {vacuumed:.1f} s"
            )
            measure(args.runs, args.explain)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
