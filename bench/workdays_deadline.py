"""Benchmark: one million `apps.workdays.calendar.deadline()` calls.

The case module calls deadline() on every transition and the SLA sweep for every open case, so
the call must cost microseconds. On a fresh SQLite database (temporary directory, migrations
applied first, which seeds the holiday schedules 2004–2026 from chinese-calendar) it measures:

  * the cold load of the calendar (two queries, the workday table of the seeded span);
  * 1M deadline() calls over seeded random aware start times in 2020–2027 (2027 not entered:
    the Monday–Friday fallback is part of the mix) and limits of 0–20 working days;
  * in the same run, on the same inputs:
      - "bare": the same datetime work without a calendar (local date + N calendar days, end
        of day): the floor a deadline cannot go below;
      - "day loop": counting working days one day at a time with chinese_calendar.is_workday
        (what a straightforward implementation does), on a sample, scaled to 1M;
    and checks every sampled day-loop answer against deadline();
  * warn_at() and is_workday() per call.

    .venv/bin/python bench/workdays_deadline.py
    .venv/bin/python bench/workdays_deadline.py --calls 200000 --sample 5000
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup_django(var_dir: str, database_url: str | None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["JC_VAR_DIR"] = var_dir
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.pop("REDIS_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run(calls: int, sample: int, seed: int) -> None:
    import chinese_calendar

    from apps.workdays import calendar

    tz = calendar.TZ
    rng = random.Random(seed)
    first = datetime.datetime(2020, 1, 1, tzinfo=tz).timestamp()
    last = datetime.datetime(2027, 12, 31, tzinfo=tz).timestamp()
    starts = [
        datetime.datetime.fromtimestamp(rng.uniform(first, last), tz=datetime.UTC) for _ in range(calls)
    ]  # UTC on purpose: deadline() converts to local time, as it must for stored timestamps
    limits = [rng.choice((0, 1, 1, 2, 3, 5, 5, 7, 10, 15, 20)) for _ in range(calls)]

    calendar.invalidate()
    t0 = time.perf_counter()
    calendar.is_workday(datetime.date(2026, 1, 1))
    load = time.perf_counter() - t0
    state = calendar._state
    assert state is not None
    print(
        f"calendar load: {load * 1000:.1f} ms "
        f"({len(state.entries)} entries, table of {len(state.table)} workdays)"
    )

    deadline = calendar.deadline
    t0 = time.perf_counter()
    results = [deadline(s, n) for s, n in zip(starts, limits, strict=True)]
    t_deadline = time.perf_counter() - t0

    end = calendar.END_OF_DAY
    combine, delta = datetime.datetime.combine, datetime.timedelta
    t0 = time.perf_counter()
    for s, n in zip(starts, limits, strict=True):
        combine(s.astimezone(tz).date() + delta(days=n), end, tzinfo=tz)
    t_bare = time.perf_counter() - t0

    # The straightforward implementation: walk forward day by day asking chinese-calendar. It
    # raises for 2027 (not published), where the fallback is Monday–Friday, as in calendar.py.
    def day_loop(start: datetime.datetime, n: int) -> datetime.datetime:
        day = start.astimezone(tz).date()
        while n > 0:
            day += delta(days=1)
            try:
                workday = chinese_calendar.is_workday(day)
            except NotImplementedError:
                workday = day.weekday() < 5
            if workday:
                n -= 1
        return combine(day, end, tzinfo=tz)

    picks = rng.sample(range(calls), min(sample, calls))
    t0 = time.perf_counter()
    loop_results = [day_loop(starts[i], limits[i]) for i in picks]
    t_loop = (time.perf_counter() - t0) * calls / len(picks)
    wrong = sum(1 for i, r in zip(picks, loop_results, strict=True) if r != results[i])

    t0 = time.perf_counter()
    for due in results:
        calendar.warn_at(due, 1)
    t_warn = time.perf_counter() - t0
    days = [s.date() for s in starts]
    t0 = time.perf_counter()
    for d in days:
        calendar.is_workday(d)
    t_is = time.perf_counter() - t0

    per = 1e6 / calls
    print(f"{calls:,} deadline() calls: {t_deadline:.2f} s ({t_deadline * per:.2f} µs/call)")
    print(
        f"bare datetime baseline:     {t_bare:.2f} s ({t_bare * per:.2f} µs/call); "
        f"ratio {t_deadline / t_bare:.2f}×"
    )
    print(
        f"day-loop baseline (sample {len(picks):,}, scaled to {calls:,}): {t_loop:.1f} s; "
        f"deadline() is {t_loop / t_deadline:.0f}× faster; disagreements: {wrong}"
    )
    print(f"warn_at(): {t_warn * per:.2f} µs/call; is_workday(): {t_is * per:.2f} µs/call")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="calls timed with the day-loop baseline")
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument(
        "--postgres", help="server URL: run on a scratch PostgreSQL database instead of SQLite"
    )
    args = parser.parse_args()

    print(
        f"machine: {platform.node()} · {_cpu()} · {os.cpu_count()} CPUs · Python {platform.python_version()}"
    )
    print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    var_dir = tempfile.mkdtemp(prefix="jc-bench-workdays-")
    try:
        from bench._scratch import fresh_postgres

        with fresh_postgres(args.postgres, "jc_bench_workdays") as url:
            _setup_django(var_dir, url)
            print(f"database: {'PostgreSQL' if url else 'SQLite'}")
            run(args.calls, args.sample, args.seed)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
