"""Benchmark: monthly balances (积分月度收支) for 100,000 households.

On a fresh database (SQLite in a temporary JC_VAR_DIR; with `--postgres URL` a new PostgreSQL
database on that server, dropped afterwards), migrations first; then, untimed, a county with one
township and 100 villages, N households (default 100,000) with a points account each and, per
account, 3–12 ledger rows spread over the last four months (credits, debits, redemptions, with a
correct running balance and the cached balance equal to the sum), written with raw `executemany`.

Measured (median of --runs, default 5, after one warm-up):
  1. statement — `selectors.monthly_statement(admin, unit_code=<county>, period=<last month>)`,
                 every row fetched (opening, earned, spent per account): what the accounts page
                 with a period and an export would run, through the access chokepoint;
  2. verify    — `selectors.ledger_verify()` over every account (cached balance vs the ledger);
  3. baseline  — bare SQL `SELECT account_id, SUM(CASE …) … FROM points_ledgerentry GROUP BY
                 account_id`: the same sums with no join, no scope, no ORM.
Target: statement < 5 s.

    .venv/bin/python bench/points_balances.py                       # SQLite, 100k households
    .venv/bin/python bench/points_balances.py --postgres postgres://root:root@127.0.0.1:5432/postgres
    .venv/bin/python bench/points_balances.py --households 20000 --runs 3   # quick
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000


def _setup_django(var_dir: str, database_url: str | None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["JC_VAR_DIR"] = var_dir
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.pop("REDIS_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _insert(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    from django.db import connection

    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608 — names from the models
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def build(households: int, seed: int) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from apps.accounts.models import User
    from apps.people.models import Household
    from apps.points.models import Account
    from apps.territory.choices import Level, UnitKind
    from apps.territory.models import Unit

    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        province = Unit.objects.create(code="53", name="云南省", level=Level.PROVINCE, kind=UnitKind.PROVINCE)
        city = Unit.objects.create(
            code="5303", name="曲靖市", level=Level.CITY, kind=UnitKind.CITY, parent=province
        )
        county = Unit.objects.create(
            code="530326", name="会泽县", level=Level.COUNTY, kind=UnitKind.COUNTY, parent=city
        )
        township = Unit.objects.create(
            code="530326102", name="娜姑镇", level=Level.TOWNSHIP, kind=UnitKind.TOWN, parent=county
        )
        villages = Unit.objects.bulk_create(
            Unit(
                code=f"530326102{200 + i:03d}",
                name=f"第{i}村",
                level=Level.VILLAGE,
                kind=UnitKind.VILLAGE,
                parent=township,
            )
            for i in range(100)
        )
        admin = User.objects.create_superuser("bench_admin", None)
        made = Household.objects.bulk_create(
            (
                Household(unit=villages[i % 100], number=f"{i:06d}", address=f"第{i % 100}村 {i} 号")
                for i in range(households)
            ),
            batch_size=BATCH,
        )
        accounts = Account.objects.bulk_create(
            (Account(village_id=h.unit_id, household=h, balance=0) for h in made), batch_size=BATCH
        )
    start = now - datetime.timedelta(days=120)
    adapt = connection.ops.adapt_datetimefield_value
    entries: list[tuple[Any, ...]] = []
    balances: list[tuple[int, int]] = []
    for account in accounts:
        balance = 0
        moments = sorted(
            start + datetime.timedelta(seconds=rng.randint(0, 120 * 86400)) for _ in range(rng.randint(3, 12))
        )
        for n, at in enumerate(moments):
            roll = rng.random()
            if roll < 0.7 or balance < 10:
                kind, amount = "credit", rng.choice([3, 5, 5, 10, 20])
            elif roll < 0.8:
                kind, amount = "debit", -min(balance, 10)
            else:
                kind, amount = (
                    "redemption",
                    -rng.choice([p for p in (10, 12, 15, 30) if p <= balance] or [balance]),
                )
            if amount == 0 and kind != "debit":
                continue
            balance += amount
            nominal = -10 if kind == "debit" else amount
            entries.append(
                (
                    account.pk,
                    kind,
                    amount,
                    nominal,
                    balance,
                    "基准数据",
                    adapt(at),
                    f"bench:{account.pk}:{n}",
                    "",
                    "",
                )
            )
        balances.append((balance, account.pk))
    with transaction.atomic():
        _insert(
            "points_ledgerentry",
            ["account_id", "kind", "amount", "nominal", "balance_after", "reason", "at", "idempotency_key",
             "cause_type", "cause_id"],
            entries,
        )  # fmt: skip
        with connection.cursor() as cursor:
            for i in range(0, len(balances), BATCH):
                cursor.executemany(
                    "UPDATE points_account SET balance = %s WHERE id = %s", balances[i : i + BATCH]
                )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"admin": admin, "county": county, "entries": len(entries), "accounts": len(accounts)}


def timed(fn: Any, runs: int) -> tuple[float, Any]:
    fn()  # warm-up
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=530326)
    parser.add_argument("--postgres", default="", help="server URL; a scratch database is created on it")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _scratch import fresh_postgres

    var_dir = tempfile.mkdtemp(prefix="jc-bench-points-")
    try:
        with fresh_postgres(args.postgres or None, "jc_bench_points") as url:
            _setup_django(var_dir, url)
            from django.db import connection

            from apps.points import selectors

            started = time.perf_counter()
            world = build(args.households, args.seed)
            built = time.perf_counter() - started
            today = datetime.date.today()
            last_month = (today.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
            period = selectors.parse_period(last_month)

            def statement() -> int:
                rows = selectors.monthly_statement(world["admin"], unit_code="530326", period=period)
                return len(list(rows))

            def verify() -> int:
                return len(selectors.ledger_verify())

            def baseline() -> int:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT account_id, "
                        "SUM(CASE WHEN at < %s THEN amount ELSE 0 END), "
                        "SUM(CASE WHEN at >= %s AND at < %s AND amount > 0 THEN amount ELSE 0 END), "
                        "SUM(CASE WHEN at >= %s AND at < %s AND amount < 0 THEN amount ELSE 0 END) "
                        "FROM points_ledgerentry GROUP BY account_id",
                        [period.start_at, period.start_at, period.end_at, period.start_at, period.end_at],
                    )
                    return len(cursor.fetchall())

            t_statement, n_statement = timed(statement, args.runs)
            t_verify, wrong = timed(verify, args.runs)
            t_baseline, n_baseline = timed(baseline, args.runs)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT version()")
                    engine = "PostgreSQL " + cursor.fetchone()[0].split(" on ")[0].split(" ", 1)[1]
            else:
                import sqlite3

                engine = f"SQLite {sqlite3.sqlite_version}"
            python = platform.python_version()
            print(f"# points monthly balances benchmark — Python {python}, {os.cpu_count()} CPUs, {engine}")
            print(f"# load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            print(
                f"accounts: {world['accounts']:,}   ledger rows: {world['entries']:,}   build: {built:.1f} s"
            )
            print(f"period: {period.key}   runs: {args.runs} (median)")
            print(f"statement (ORM, chokepoint, all rows): {t_statement:.2f} s  rows={n_statement:,}")
            print(f"ledger_verify (all accounts):          {t_verify:.2f} s  mismatches={wrong}")
            print(f"baseline (raw GROUP BY, no join):      {t_baseline:.2f} s  rows={n_baseline:,}")
            print(f"ratio statement / baseline: {t_statement / t_baseline:.2f}")
            print(f"target statement < 5 s: {'met' if t_statement < 5 else 'NOT met'}")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
