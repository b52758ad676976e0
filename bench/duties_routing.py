"""Benchmark: routing advice from the responsibility lists (`apps.duties.routing`).

The case module calls suggest() when a dispatcher opens a case (and for every case of a bulk
dispatch), and admission_check() on every dispatch down to a village, so both must stay a few
milliseconds. On a fresh database (temporary directory or a scratch PostgreSQL database,
migrations first) it builds a county shaped like 会泽 (25 townships, 381 villages), the demo's
lists (duty 178, territorial 165, admission 30, one township supplement; apps/demo/duties.py,
through the publishing service), then measures:

  * publishing the 165-row territorial list from an .xlsx (read, check, write, audit);
  * suggest() and admission_check() over seeded random (category, village) pairs, p50/p95;
  * in the same run, on the same pairs, a bare baseline: the two single-row reads a caller does
    anyway (`Category.objects.get(pk=…)` + `Unit.objects.get(pk=…)`).

    .venv/bin/python bench/duties_routing.py
    .venv/bin/python bench/duties_routing.py --postgres postgres://root:root@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._scratch import fresh_postgres  # noqa: E402


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


def _county() -> tuple[Any, Any, list[Any], Any]:
    from apps.accounts.choices import Role
    from apps.accounts.models import RoleAssignment, User
    from apps.demo.loader import DEPARTMENTS
    from apps.territory.choices import Level, UnitKind
    from apps.territory.models import Organisation, Unit

    province = Unit.objects.create(code="53", name="云南省", level=Level.PROVINCE, kind=UnitKind.PROVINCE)
    city = Unit.objects.create(
        code="5303", name="曲靖市", level=Level.CITY, kind=UnitKind.CITY, parent=province
    )
    county = Unit.objects.create(
        code="530326", name="会泽县", level=Level.COUNTY, kind=UnitKind.COUNTY, parent=city
    )
    townships = [
        Unit.objects.create(
            code=f"530326{100 + t:03d}",
            name=f"第{t}镇",
            level=Level.TOWNSHIP,
            kind=UnitKind.TOWN,
            parent=county,
        )
        for t in range(1, 26)
    ]
    villages: list[Any] = []
    for i in range(381):
        township = townships[i % 25]
        villages.append(
            Unit(
                code=f"{township.code}{200 + i // 25:03d}",
                name=f"{township.name}{i // 25 + 1}村",
                level=Level.VILLAGE,
                kind=UnitKind.VILLAGE,
                parent=township,
            )
        )
    Unit.objects.bulk_create(villages)
    villages = list(Unit.objects.filter(level=Level.VILLAGE))
    departments = {
        key: Organisation.objects.create(
            code=f"530326-{key}", name=f"会泽县{name}", kind=kind, service_area=county
        )
        for key, name, kind in DEPARTMENTS
    }
    admin = User.objects.create_user("bench_admin", "Bench-Passw0rd", full_name="基准")
    RoleAssignment.objects.create(user=admin, role=Role.COUNTY_ADMIN, unit=county)
    ctx = SimpleNamespace(
        county=county,
        home=townships[0],
        departments=departments,
        admin=admin,
        rng=random.Random(530326),
        names=None,
    )
    return ctx, county, villages, admin


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def run(pairs_count: int, seed: int) -> None:
    import openpyxl

    from apps.cases.models import Category
    from apps.core.errors import ValidationFailed
    from apps.demo import duties as demo
    from apps.duties import importer, routing, services
    from apps.duties.choices import ListKind
    from apps.territory.models import Unit

    ctx, county, villages, admin = _county()
    started = time.perf_counter()
    demo.load(ctx)
    print(f"demo lists published (4 lists, 376 items) in {time.perf_counter() - started:.2f} s")

    known = set(Category.objects.values_list("code", flat=True))
    rows = demo.territorial_rows(ctx, random.Random(1), known)
    book = openpyxl.Workbook()
    keys = importer.COLUMNS[ListKind.TERRITORIAL]
    book.active.append([importer.label_of(ListKind.TERRITORIAL, k) for k in keys])
    for row in rows:
        book.active.append([row.get(k, "") for k in keys])
    data = io.BytesIO()
    book.save(data)
    started = time.perf_counter()
    data.seek(0)
    services.responsibility_list_import(
        actor=admin, kind=ListKind.TERRITORIAL, unit=county, title="", upload=data, filename="bench.xlsx"
    )
    print(
        "import of the 165-row territorial .xlsx (new version): "
        f"{(time.perf_counter() - started) * 1000:.0f} ms"
    )

    rng = random.Random(seed)
    categories = list(Category.objects.all())
    pairs = [(rng.choice(categories), rng.choice(villages)) for _ in range(pairs_count)]
    ids = [(c.pk, v.pk) for c, v in pairs]

    def timed(call: Any) -> list[float]:
        out = []
        for i in range(len(pairs)):
            t = time.perf_counter()
            call(i)
            out.append(time.perf_counter() - t)
        return out

    def baseline(i: int) -> None:
        category_id, unit_id = ids[i]
        Category.objects.select_related("parent").get(pk=category_id)
        Unit.objects.get(pk=unit_id)

    def suggest(i: int) -> None:
        category, village = pairs[i]
        assert routing.suggest(category, village) is not None

    refused = 0

    def admission(i: int) -> None:
        nonlocal refused
        category, village = pairs[i]
        try:
            routing.admission_check(category, village)
        except ValidationFailed:
            refused += 1

    for c, _ in pairs:  # the callers hold categories with their parent loaded
        c.parent  # noqa: B018
    timed(baseline)  # warm-up
    base = timed(baseline)
    sug = timed(suggest)
    adm = timed(admission)
    b50, b95 = _percentiles(base)
    s50, s95 = _percentiles(sug)
    a50, a95 = _percentiles(adm)
    print(
        f"{pairs_count} random (category, village) pairs over {len(categories)} categories, "
        f"{len(villages)} villages"
    )
    print(f"baseline (category + unit get)  p50 {b50:6.2f} ms  p95 {b95:6.2f} ms")
    print(
        f"suggest()                       p50 {s50:6.2f} ms  p95 {s95:6.2f} ms"
        f"  → {s50 / b50:.1f}× baseline (p50)"
    )
    print(
        f"admission_check()               p50 {a50:6.2f} ms  p95 {a95:6.2f} ms"
        f"  → {a50 / b50:.1f}× baseline (p50)"
    )
    print(f"admission refusals: {refused} of {pairs_count}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--postgres", default="", help="server URL; a scratch database is created and dropped"
    )
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="jc-bench-duties-")
    try:
        with fresh_postgres(args.postgres, "jc_bench_duties") as url:
            print(f"machine: {_cpu()}, {os.cpu_count()} cores, Python {platform.python_version()}")
            print(f"database: {'PostgreSQL' if url else 'SQLite'}")
            _setup_django(var_dir, url)
            run(args.pairs, args.seed)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
