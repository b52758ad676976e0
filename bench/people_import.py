"""Benchmark: importing 100,000 residents (~30,000 households) from a spreadsheet.

1. Generates the files once (timed on their own) into a temporary directory: 100k residents of
   会泽县 (530326) in households of 1–6 members spread over its 381 villages, valid ID numbers
   (`apps.people.idnumber.make`, region 530326), names from common surnames and given-name
   characters, phones for 60%, special groups for 10%, a few household facts on the first member
   row (the member rows leave household cells blank, as merged cells do). Formats:
     * `people.csv`  — UTF-8 with BOM (Excel's “CSV UTF-8”);
     * `people.xlsx` — shaped like Excel's own files (shared string table);
     * with `--openpyxl-xlsx` also `people-openpyxl.xlsx`, written by openpyxl (inline strings,
       what this platform's own exports look like).
2. For each format, in a child process with a fresh database (SQLite in a temporary JC_VAR_DIR;
   with `--postgres URL` a new PostgreSQL database, dropped afterwards): migrations and the
   demo-less territory (`import_divisions(["530326"])`) before the clock, then the import job is
   created and `apps.people.importer.import_run` runs synchronously (timed, with its phases), then
   the same file again (idempotent re-run: must create and update nothing), then the export of
   all residents to .xlsx (masked) for scale.
3. Baseline, in its own fresh database: a bare `Resident.objects.bulk_create` of the same number
   of rows with precomputed values (no reading, validation or encryption; households created
   untimed first). The report gives import time / baseline time.
Optionally (`--openpyxl-read`, or `--readers-only` without any import) the time openpyxl's
read-only reader takes just to iterate the cells of each .xlsx, against the importer's own reader:
the reason the importer parses the sheet XML itself.

    .venv/bin/python bench/people_import.py                       # SQLite, csv + xlsx, ~4 min
    .venv/bin/python bench/people_import.py --postgres postgres://root:root@127.0.0.1:5432/postgres
    .venv/bin/python bench/people_import.py --residents 20000    # quick
"""

from __future__ import annotations

import argparse
import csv
import datetime
import gzip
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = [
    "区划代码", "村（社区）", "户号", "住址", "户口类型", "承包地面积（亩）", "联户等级",
    "宅基地面积（平方米）", "房屋结构", "是否危房",
    "姓名", "身份证号", "与户主关系", "联系电话", "政治面貌", "职业", "是否外出", "外出地点", "特殊群体",
]  # fmt: skip
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂文华建国红梅玉志海燕永春立新晓光荣德成林云凤丹萍玲斌波辉"
)
GROUPS = ["低保户", "残疾人", "空巢老人", "留守儿童", "退役军人", "防返贫监测户"]
PLACES = ["昆明", "曲靖", "浙江宁波", "广东东莞", "上海", "江苏苏州"]


# --- generation ---------------------------------------------------------------------------------------


def _villages(county: str) -> list[tuple[str, str]]:
    from apps.territory.importer import short_name_for

    path = ROOT / "apps" / "territory" / "data" / "divisions" / "villages.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [
            (row["code"], short_name_for(row["name"], 5))
            for row in csv.DictReader(fh)
            if row["code"].startswith(county)
        ]


def generate_rows(residents: int, seed: int) -> tuple[list[list[Any]], int]:
    """Rows of the sheet (header first) and the number of households."""
    from apps.people.idnumber import make

    rng = random.Random(seed)
    villages = _villages("530326")
    rows: list[list[Any]] = [HEADER]
    used: set[str] = set()
    households = 0
    today = datetime.date(2026, 11, 21)
    while len(rows) - 1 < residents:
        households += 1
        code, village = villages[households % len(villages)]
        size = min(rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5, 6]), residents - (len(rows) - 1))
        surname = rng.choice(SURNAMES)
        number = f"{households:05d}"
        for member in range(size):
            if member == 0:
                relation, age = "户主", rng.randint(25, 85)
            elif member == 1:
                relation, age = "配偶", rng.randint(25, 85)
            else:
                relation, age = rng.choice(["子女", "子女", "孙子女", "父母"]), rng.randint(0, 60)
            while True:
                birth = today - datetime.timedelta(days=age * 365 + rng.randint(0, 364))
                id_number = make("530326", birth, rng.randint(0, 999))
                if id_number not in used:
                    used.add(id_number)
                    break
            name = (surname if relation != "配偶" else rng.choice(SURNAMES)) + "".join(
                rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2]))
            )
            phone = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}" if rng.random() < 0.6 else ""
            away = rng.random() < 0.15
            household_cells: list[Any] = [""] * 10
            if member == 0:
                household_cells = [
                    code, village, number, f"{village}{rng.randint(1, 12)}组{rng.randint(1, 200)}号",
                    rng.choice(["农业户口", "农业户口", "居民户口"]), round(rng.uniform(0, 12), 1),
                    rng.choice(["", "", "", "黄", "橙", "红"]), round(rng.uniform(60, 400), 1),
                    rng.choice(["砖混", "框架", "砖木", "土木"]), rng.choice(["否", "否", "否", "是"]),
                ]  # fmt: skip
            else:
                household_cells[0:3] = [code, village, number]
            resident_cells = [
                name, id_number, relation, phone,
                "中共党员" if rng.random() < 0.08 else "群众",
                rng.choice(["务农", "务工", "学生", "个体", ""]),
                "是" if away else "否", rng.choice(PLACES) if away else "",
                rng.choice(GROUPS) if rng.random() < 0.1 else "",
            ]  # fmt: skip
            rows.append([*household_cells, *resident_cells])
    return rows, households


def write_files(rows: list[list[Any]], target: Path, with_openpyxl: bool) -> dict[str, float]:
    from apps.people.tests.fixtures.sheets import write_excel_like

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with (target / "people.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    seconds["csv"] = time.perf_counter() - started
    started = time.perf_counter()
    write_excel_like(target / "people.xlsx", rows)
    seconds["xlsx"] = time.perf_counter() - started
    if with_openpyxl:
        from openpyxl import Workbook

        started = time.perf_counter()
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("居民")
        for row in rows:
            sheet.append(row)
        workbook.save(target / "people-openpyxl.xlsx")
        seconds["openpyxl-xlsx"] = time.perf_counter() - started
    return seconds


# --- child processes ------------------------------------------------------------------------------------


def _setup_django(var_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["JC_VAR_DIR"] = var_dir
    os.environ["DJANGO_DEBUG"] = "0"  # DEBUG would keep every SQL statement in memory
    # Only the database this script created is used, never the shell's DATABASE_URL.
    if os.environ.get("JC_BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["JC_BENCH_DATABASE_URL"]
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from apps.territory.importer import import_divisions

    import_divisions(["530326"])


def _admin() -> Any:
    from apps.accounts.choices import Role
    from apps.accounts.models import RoleAssignment, User
    from apps.territory.models import Unit

    user = User.objects.create_user("bench-admin", "Bench-Passw0rd!", full_name="基准测试")
    RoleAssignment.objects.create(user=user, role=Role.COUNTY_ADMIN, unit=Unit.objects.get(code="530326"))
    return user


def _peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_import(path: str) -> dict[str, Any]:
    _setup_django(os.environ["JC_BENCH_DIR"])
    from django.core.files import File

    from apps.audit.models import AuditRecord, Event
    from apps.people.importer import import_job_create, import_run
    from apps.people.models import Household, Resident
    from apps.territory.models import Unit

    admin = _admin()
    county = Unit.objects.get(code="530326")
    results: dict[str, Any] = {}
    for run in ("first", "again"):
        with open(path, "rb") as fh:
            started = time.perf_counter()
            job = import_job_create(actor=admin, unit=county, upload=File(fh, name=Path(path).name))
            created = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        job = import_run(job.pk)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        finished = Event.objects.filter(event_type="people.import_finished").order_by("-id").first()
        results[run] = {
            "status": job.status,
            "message": job.message,
            "seconds": seconds,
            "cpu_seconds": cpu,
            "upload_seconds": created,
            "phases": finished.data.get("seconds", {}) if finished else {},
            "households_created": job.households_created,
            "residents_created": job.residents_created,
            "residents_updated": job.residents_updated,
            "rejected_rows": job.rejected_rows,
        }
    from apps.people.exporter import export_residents

    started = time.perf_counter()
    exported = export_residents(actor=admin, unit_code="530326")
    results["export"] = {"seconds": time.perf_counter() - started, "rows": exported.rows}
    exported.file.close()
    results["households"] = Household.objects.count()
    results["residents"] = Resident.objects.count()
    results["audit_records"] = AuditRecord.objects.count()
    results["peak_rss_mib"] = _peak_rss_mib()
    return results


def worker_baseline(residents: int, households: int) -> dict[str, Any]:
    _setup_django(os.environ["JC_BENCH_DIR"])
    from apps.core import crypto
    from apps.people.models import Household, Resident
    from apps.territory.models import Unit

    villages = list(Unit.objects.filter(code__startswith="530326", level=5))
    Household.objects.bulk_create(
        [
            Household(unit=villages[i % len(villages)], number=f"{i:05d}", address="某村某号")
            for i in range(households)
        ],
        batch_size=1000,
    )
    household_ids = list(Household.objects.values_list("pk", flat=True))
    token = crypto.encrypt("530326196801011234")  # one ciphertext reused: no encryption in the loop
    birth = datetime.date(1968, 1, 1)
    rows = [
        Resident(
            household_id=household_ids[i % len(household_ids)],
            name="张三",
            id_number_enc=token,
            id_number_hash=f"{i:064d}",
            id_prefix="5303",
            id_tail=f"{i % 10000:04d}",
            gender="male",
            birth_date=birth,
            relation="head",
        )
        for i in range(residents)
    ]
    started = time.perf_counter()
    Resident.objects.bulk_create(rows, batch_size=1000)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "residents": Resident.objects.count()}


def worker_openpyxl(path: str) -> dict[str, Any]:
    import openpyxl

    started = time.perf_counter()
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    opened = time.perf_counter() - started
    sheet = next(ws for ws in workbook.worksheets if ws.sheet_state == "visible")
    cells = 0
    for row in sheet.iter_rows(values_only=True):
        cells += len(row)
    seconds = time.perf_counter() - started
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["JC_VAR_DIR"] = os.environ["JC_BENCH_DIR"]
    import django

    django.setup()
    from apps.people.importer import open_table

    started = time.perf_counter()
    with open(path, "rb") as fh:
        fast_rows = sum(1 for _ in open_table(fh, Path(path).name).rows)
    fast = time.perf_counter() - started
    return {"open": opened, "seconds": seconds, "cells": cells, "fast_seconds": fast, "fast_rows": fast_rows}


def _fresh_postgres(server_url: str | None) -> Any:
    from _scratch import fresh_postgres

    return fresh_postgres(server_url, "jc_bench_people")


def _child(args: list[str], server_url: str | None) -> dict[str, Any]:
    var_dir = tempfile.mkdtemp(prefix="jc-bench-people-")
    try:
        with _fresh_postgres(server_url) as db_url:
            env = {**os.environ, "JC_BENCH_DIR": var_dir, "JC_BENCH_DATABASE_URL": db_url or ""}
            proc = subprocess.run(
                [sys.executable, __file__, *args],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit(f"benchmark child failed: {args}")
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


# --- main -------------------------------------------------------------------------------------------------


PHASES = (
    "read_and_check",
    "match",
    "write_households",
    "write_residents",
    "write_groups_and_heads",
    "write_audit_build",
    "write_audit_insert",
    "write",
)


def _phases(phases: dict[str, float]) -> str:
    """The importer's phase timings in their order (PostgreSQL's jsonb returns keys sorted)."""
    names = {"write": "write in all (with commit)"}
    return ", ".join(f"{names.get(k, k.replace('_', ' '))} {phases[k]:.1f} s" for k in PHASES if k in phases)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument(
        "--postgres", metavar="URL", help="run on PostgreSQL: a server URL; a database is created per run"
    )
    parser.add_argument("--formats", default="csv,xlsx", help="comma-separated: csv, xlsx, openpyxl-xlsx")
    parser.add_argument(
        "--openpyxl-xlsx", action="store_true", help="also write and import an openpyxl-written xlsx"
    )
    parser.add_argument("--openpyxl-read", action="store_true", help="also time openpyxl's read-only reader")
    parser.add_argument(
        "--readers-only", action="store_true", help="only generate the files and time the two .xlsx readers"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--households", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker == "import":
        print(json.dumps(worker_import(args.path)))
        return
    if args.worker == "baseline":
        print(json.dumps(worker_baseline(args.residents, args.households)))
        return
    if args.worker == "openpyxl":
        print(json.dumps(worker_openpyxl(args.path)))
        return

    formats = [f for f in args.formats.split(",") if f]
    if args.openpyxl_xlsx and "openpyxl-xlsx" not in formats:
        formats.append("openpyxl-xlsx")
    engine = "PostgreSQL" if args.postgres else "SQLite"
    workdir = Path(tempfile.mkdtemp(prefix="jc-bench-people-files-"))
    # Django is set up here only for the generators (no database is touched in this process).
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["JC_VAR_DIR"] = str(workdir / "var")
    import django

    django.setup()
    print(
        f"# resident import benchmark — Python {platform.python_version()}, {os.cpu_count()} CPUs, {engine}"
    )
    # Other work on the machine slows every figure; the CPU time of the importing process does
    # not depend on it as much (with SQLite it includes the database work).
    print(f"# load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    try:
        started = time.perf_counter()
        rows, households = generate_rows(args.residents, args.seed)
        generated = time.perf_counter() - started
        written = write_files(rows, workdir, "openpyxl-xlsx" in formats)
        sizes = {p.name: p.stat().st_size / 1024 / 1024 for p in workdir.iterdir() if p.is_file()}
        print(
            f"generated {len(rows) - 1} residents in {households} households: rows {generated:.1f} s, "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in written.items())
        )
        print("  files: " + ", ".join(f"{name} {size:.1f} MiB" for name, size in sorted(sizes.items())))
        files = {"csv": "people.csv", "xlsx": "people.xlsx", "openpyxl-xlsx": "people-openpyxl.xlsx"}
        timings: dict[str, float] = {}
        for fmt in [] if args.readers_only else formats:
            result = _child(["--worker", "import", "--path", str(workdir / files[fmt])], args.postgres)
            first, again = result["first"], result["again"]
            timings[fmt] = first["seconds"]
            print(
                f"{fmt}: {first['status']} in {first['seconds']:.1f} s, CPU {first['cpu_seconds']:.1f} s "
                f"in this process ({_phases(first['phases'])}); "
                f"{first['households_created']} households, {first['residents_created']} residents created, "
                f"{first['rejected_rows']} rows rejected; upload copy {first['upload_seconds']:.2f} s"
            )
            print(
                f"  rate {args.residents / first['seconds']:.0f} residents/s; "
                f"audit records {result['audit_records']}; peak RSS {result['peak_rss_mib']:.0f} MiB"
            )
            print(
                f"  export of all residents (.xlsx, masked): {result['export']['rows']} rows "
                f"in {result['export']['seconds']:.1f} s"
            )
            print(
                f"  re-import (idempotent): {again['seconds']:.1f} s, CPU {again['cpu_seconds']:.1f} s "
                f"({_phases(again['phases'])}); "
                f"created {again['residents_created']}, updated {again['residents_updated']}, "
                f"households created {again['households_created']}"
            )
        print(f"# load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if not args.readers_only:
            baseline = _child(
                ["--worker", "baseline", "--residents", str(args.residents), "--households", str(households)],
                args.postgres,
            )
            print(
                f"baseline: bare bulk_create of {baseline['residents']} Resident rows "
                f"in {baseline['seconds']:.1f} s"
            )
            for fmt, seconds in timings.items():
                print(f"  ratio import {fmt} / baseline: {seconds / baseline['seconds']:.1f}×")
        if args.openpyxl_read or args.readers_only:
            for name in ("people.xlsx", "people-openpyxl.xlsx"):
                if not (workdir / name).exists():
                    continue
                read = _child(["--worker", "openpyxl", "--path", str(workdir / name)], None)
                print(
                    f"openpyxl read-only, {name}: open {read['open']:.1f} s, all {read['cells']} cells "
                    f"{read['seconds']:.1f} s; the importer's reader: {read['fast_rows']} rows "
                    f"in {read['fast_seconds']:.1f} s"
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
