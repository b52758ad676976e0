"""Benchmark: the resident list (民情档案 居民列表) over 500,000 residents.

On a fresh database (SQLite in a temporary JC_VAR_DIR; with `--postgres URL` a new PostgreSQL
database on that server, dropped afterwards), migrations and 会泽县's divisions
(`apps.territory.importer.import_divisions(["530326"])`: 25 townships, 381 villages) come first;
then, untimed for the measurement, N residents (default 500,000) in households of 1–6 members
over all 381 villages (villages inserted in a shuffled order, as imports arrive), with:
  * valid, unique ID numbers of region 530326 and their real lookup hashes and tails; the
    ciphertexts are reused from a pool of 64 (the list never decrypts, so one ciphertext per row
    pattern is enough), phones for most adults the same way;
  * 3% moved out or deceased, special-group tags on ~9% (0.2% in the sensitive 重点人员 group);
  * rows written with raw `executemany` of values prepared once per column (`bulk_create` would
    spend minutes preparing 13 million values; the measured queries do not care how rows came).

Measured, 200 runs each after 5 warm-up runs (p50 / p95 / max), as a township officer of the
township (default 娜姑镇 530326102, which holds ~4.7% of the rows):
  1. list   — `selectors.resident_list(officer, unit_code=<township>)` through Django's
              `Paginator(qs, 30).get_page(1)`: the count query and the first 30 rows, exactly
              what the page and the API do (the API adds a prefetch of the tags of those 30);
  2. search — the same with `q=<a common given name>` (name or address contains);
  3. baseline — bare SQL `SELECT * FROM people_resident LIMIT 30`, no join, no scope, no count.
The ratio list p50 / baseline p50 is printed; `--explain` prints each query's plan at the end.
Not part of the target, `--county-runs` (default 20) times the whole county's list for the county
leader (minors and sensitive people hidden by the chokepoint) and for the county admin.
Target: p95 < 200 ms.

    .venv/bin/python bench/people_list.py                      # SQLite, 500k, ~3 min
    .venv/bin/python bench/people_list.py --postgres postgres://root:root@127.0.0.1:5432/postgres
    .venv/bin/python bench/people_list.py --residents 50000 --runs 50      # quick
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
COUNTY = "530326"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂文华建国红梅玉志海燕永春立新晓光荣德成林云凤丹萍玲斌波辉"
)
BATCH = 5000


def _setup_django(var_dir: str, database_url: str | None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["JC_VAR_DIR"] = var_dir
    os.environ["DJANGO_DEBUG"] = "0"  # DEBUG would keep every SQL statement in memory
    os.environ.pop("REDIS_URL", None)
    # Only the database this script created, never the shell's DATABASE_URL.
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _fresh_postgres(server_url: str | None) -> Any:
    from _scratch import fresh_postgres

    return fresh_postgres(server_url, "jc_bench_people_list")


class _Rows:
    """Raw multi-row inserts into one model's table: every column prepared by its field once for
    the constant default, the varying ones given per row already in database form."""

    def __init__(self, model: Any, varying: list[str], constants: dict[str, Any]) -> None:
        from django.db import connection

        self.connection = connection
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        by_attname = {f.attname: f for f in fields}
        self.columns = [f.column for f in fields]
        self.varying_index = [self.columns.index(by_attname[name].column) for name in varying]
        template: list[Any] = []
        for f in fields:
            value = constants.get(f.attname, f.get_default())
            template.append(None if f.attname in varying else f.get_db_prep_save(value, connection))
        self.template = template
        quote = connection.ops.quote_name
        placeholders = ", ".join(["%s"] * len(self.columns))
        # Table and column names come from the model, quoted by the backend; values are parameters.
        table, columns = quote(model._meta.db_table), ", ".join(quote(c) for c in self.columns)
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        self.pending: list[tuple[Any, ...]] = []

    def add(self, *values: Any) -> None:
        row = list(self.template)
        for index, value in zip(self.varying_index, values, strict=True):
            row[index] = value
        self.pending.append(tuple(row))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            with self.connection.cursor() as cursor:
                cursor.executemany(self.sql, self.pending)
            self.pending = []


def build(residents: int, seed: int) -> dict[str, Any]:
    """Write the households, residents and tags; returns counts and timings."""
    from django.db import connection, transaction

    from apps.core import crypto
    from apps.people import idnumber
    from apps.people.models import Household, Resident, SpecialGroup
    from apps.territory.importer import import_divisions
    from apps.territory.models import Unit

    started = time.perf_counter()
    import_divisions([COUNTY])
    rng = random.Random(seed)
    villages = list(Unit.objects.filter(level=5, code__startswith=COUNTY).order_by("code"))
    rng.shuffle(villages)
    weights = [rng.uniform(0.5, 1.5) for _ in villages]
    households_total = round(residents / 3.5)
    per_village = [max(1, round(households_total * w / sum(weights))) for w in weights]
    now_dt = datetime.datetime.now(tz=datetime.UTC)
    now = connection.ops.adapt_datetimefield_value(now_dt)
    today = datetime.date.today()
    adult_cutoff = today.replace(year=today.year - 18)

    households = _Rows(
        Household,
        ["unit_id", "number", "address", "color_grade"],
        {"created_at": now_dt, "updated_at": now_dt, "facts": {}},
    )
    with transaction.atomic():
        for village, count in zip(villages, per_village, strict=True):
            name = village.short_name or village.name
            for n in range(1, count + 1):
                grade = rng.choices(["", "yellow", "orange", "red"], weights=[80, 12, 6, 2])[0]
                households.add(
                    village.pk, f"{n:04d}", f"{name}{rng.randint(1, 9)}组 {rng.randint(1, 200)} 号", grade
                )
        households.flush()
    household_ids = list(Household.objects.order_by("pk").values_list("pk", flat=True))

    pool_ids = [crypto.encrypt(idnumber.make(COUNTY, datetime.date(1980, 1, 1), i)) for i in range(64)]
    pool_phones = [crypto.encrypt(f"139{i:08d}") for i in range(64)]
    groups = {g.code: g.pk for g in SpecialGroup.objects.all()}
    plain_groups = [code for code in groups if code != "key_person"]
    rows = _Rows(
        Resident,
        [
            "household_id", "name", "id_number_enc", "id_number_hash", "id_prefix", "id_tail", "gender",
            "birth_date", "phone_enc", "phone_hash", "phone_prefix", "phone_tail", "relation", "status",
            "created_at", "updated_at",
        ],
        {},
    )  # fmt: skip
    used: dict[tuple[datetime.date, int], int] = {}
    remaining = residents
    written = 0
    with transaction.atomic():
        for i, household_id in enumerate(household_ids):
            if remaining <= 0:
                break
            size = min(remaining, rng.choices([1, 2, 3, 4, 5, 6], weights=[8, 18, 25, 27, 15, 7])[0])
            if i == len(household_ids) - 1:
                size = remaining
            surname = rng.choice(SURNAMES)
            for m in range(size):
                male = rng.random() < 0.51
                age = rng.randint(25, 75) if m == 0 else rng.randint(0, 85)
                born = today - datetime.timedelta(days=age * 365 + rng.randrange(365))
                parity = 1 if male else 0
                k = used.get((born, parity), 0)
                used[(born, parity)] = k + 1
                number = idnumber.make(COUNTY, born, 2 * k + parity)
                given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
                adult = born <= adult_cutoff
                phone = (
                    f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
                    if adult and rng.random() < 0.85
                    else ""
                )
                status = rng.choices(["active", "moved_out", "deceased"], weights=[97, 2, 1])[0]
                rows.add(
                    household_id,
                    (surname if m == 0 or rng.random() < 0.7 else rng.choice(SURNAMES)) + given,
                    pool_ids[written % 64],
                    crypto.lookup_hash(number),
                    number[:4],
                    number[-4:],
                    "male" if male else "female",
                    connection.ops.adapt_datefield_value(born),
                    pool_phones[written % 64] if phone else "",
                    crypto.lookup_hash(phone) if phone else "",
                    phone[:3],
                    phone[-4:],
                    "head" if m == 0 else rng.choice(["spouse", "child", "child", "parent", "grandchild"]),
                    status,
                    now,
                    now,
                )
                written += 1
            remaining -= size
        rows.flush()
    resident_ids = list(Resident.objects.order_by("pk").values_list("pk", flat=True))
    through = Resident.special_groups.through
    tags = _Rows(through, ["resident_id", "specialgroup_id"], {})
    tagged = 0
    with transaction.atomic():
        for pk in resident_ids:
            roll = rng.random()
            if roll < 0.002:
                tags.add(pk, groups["key_person"])
                tagged += 1
            elif roll < 0.09:
                tags.add(pk, groups[rng.choice(plain_groups)])
                tagged += 1
        tags.flush()
    return {
        "households": len(household_ids),
        "residents": len(resident_ids),
        "tags": tagged,
        "seconds": time.perf_counter() - started,
    }


def _timed(fn: Any, runs: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def _summary(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"{label:<9} p50 {statistics.median(ordered):7.2f} ms   p95 {p95:7.2f} ms   max {ordered[-1]:7.2f} ms"
    )


def measure(township: str, q: str, runs: int, explain: bool, county_runs: int = 0) -> dict[str, list[float]]:
    from django.core.paginator import Paginator
    from django.db import connection

    from apps.accounts.choices import Role
    from apps.accounts.models import RoleAssignment, User
    from apps.people import selectors
    from apps.territory.models import Unit

    officer, _ = User.objects.get_or_create(username="bench_officer", defaults={"full_name": "基准干部"})
    RoleAssignment.objects.get_or_create(
        user=officer, role=Role.TOWNSHIP_OFFICER, unit=Unit.objects.get(code=township)
    )

    def page(search: str) -> tuple[int, int]:
        qs = selectors.resident_list(officer, unit_code=township, q=search)
        current = Paginator(qs, 30).get_page(1)
        return current.paginator.count, len(list(current.object_list))

    def baseline() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM people_resident LIMIT 30")
            return len(cursor.fetchall())

    count, shown = page("")
    found, _ = page(q)
    print(f"township {township}: {count} active residents visible to its officer, first page {shown} rows")
    print(f"search q={q!r}: {found} matches in the township")
    results = {
        "list": _timed(lambda: page(""), runs),
        "search": _timed(lambda: page(q), runs),
        "baseline": _timed(baseline, runs),
    }
    for label, times in results.items():
        print(_summary(label, times))
    ratio = statistics.median(results["list"]) / statistics.median(results["baseline"])
    print(f"ratio list / baseline (p50): {ratio:,.0f}×")
    if county_runs:
        # Not the target case: the whole county for its leader, who may not see minors or
        # sensitive people (the chokepoint's restricted rows), and for the county admin, who may.
        county = Unit.objects.get(code=COUNTY)
        for role, name in ((Role.LEADER, "bench_leader"), (Role.COUNTY_ADMIN, "bench_admin")):
            user, _ = User.objects.get_or_create(username=name, defaults={"full_name": "基准"})
            RoleAssignment.objects.get_or_create(user=user, role=role, unit=county)

            def whole(user: Any = user) -> tuple[int, int]:
                current = Paginator(selectors.resident_list(user), 30).get_page(1)
                return current.paginator.count, len(list(current.object_list))

            print(f"county-wide list for the {role.label} ({whole()[0]} visible):")
            print(_summary("county", _timed(whole, county_runs, warmup=1)))
    if explain:
        for search in ("", q):
            qs = selectors.resident_list(officer, unit_code=township, q=search)
            print(
                f"\n-- EXPLAIN count, i.e. the same rows unordered (q={search!r}):\n{qs.order_by().explain()}"
            )
            print(f"-- EXPLAIN first page (q={search!r}):\n{qs[:30].explain()}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--township", default="530326102", help="township whose officer lists (default 娜姑镇)"
    )
    parser.add_argument("--q", default="建国", help="name search of the second measurement")
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--explain", action="store_true", help="print the query plans (EXPLAIN) at the end")
    parser.add_argument(
        "--county-runs",
        type=int,
        default=20,
        help="runs of the extra county-wide list (county leader and county admin); 0 skips it",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run on PostgreSQL: a server URL (postgres://user:pw@host:5432/any); the script creates and "
        "drops its own database jc_bench_people_list_<pid>",
    )
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="jc-bench-people-list-")
    try:
        with _fresh_postgres(args.postgres) as database_url:
            _setup_django(var_dir, database_url)
            from django.db import connection

            engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
            version = (
                ".".join(str(v) for v in connection.Database.sqlite_version_info)
                if engine == "SQLite"
                else ""
            )
            if engine == "PostgreSQL":
                with connection.cursor() as cursor:
                    cursor.execute("SHOW server_version")
                    version = cursor.fetchone()[0]
            python = platform.python_version()
            print(f"# resident list benchmark — Python {python}, {os.cpu_count()} CPUs, {engine} {version}")
            built = build(args.residents, args.seed)
            print(
                f"built {built['residents']:,} residents in {built['households']:,} households "
                f"({built['tags']:,} special-group tags) in {built['seconds']:.1f} s"
            )
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # what autovacuum (PostgreSQL) or `PRAGMA optimize` would give
            measure(args.township, args.q, args.runs, explain=args.explain, county_runs=args.county_runs)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
