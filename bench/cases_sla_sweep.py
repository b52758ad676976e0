"""Benchmark: the SLA sweep (`apps.cases.sweeps.sweep_sla`) over 1,000,000 open cases.

PostgreSQL only (the target is stated for it): a new database on the server given by `--postgres`
(default postgres://root:root@127.0.0.1:5432/postgres), created and dropped by bench/_scratch.py.
Before the clock: migrations, 会泽县's divisions (25 townships, 381 villages), the default
categories, 10 county departments, the people a warning goes to (an officer per township, a cadre
per village, two handlers per department: 416 users, most with a phone for the SMS digest), then
N open cases (default 1,000,000) streamed in with COPY and ANALYZEd. The cases are spread over the
county's villages and over the open states (待受理 … 待办结) with holders as the state machine
leaves them (village, township or department); their deadlines are laid out around the moment T
the sweep runs at, as a sweep every few minutes would find them:

  * `--red` (default 1%)    due in the last 10 minutes, still yellow   → turn red this run
  * `--yellow` (default 0.5%) warning started in the last 10 minutes   → turn yellow this run
  * 3% red already, 8% yellow already (earlier runs), the rest normal with deadlines days ahead.

Timed: `sweep_sla(now=T)` as the scheduled job runs it (the two indexed range scans, then per batch
of 5,000: the update, the timeline lines, one notice per person of the holding body, and the SMS
digest after commit; the SMS backend is the memory one so nothing is printed), then the same call
again, which must find nothing to do. Then, on the same data put back as it was, the write path
this benchmark proposes (`proposed_sweep_sla`: UPDATE … RETURNING and INSERT … SELECT FROM unnest
instead of model instances), and `sweep_sla` once more (the order effect). Baseline in the same
run: the sweep's two id queries alone (what any sweep must at least read). Target: < 5 s.

    .venv/bin/python bench/cases_sla_sweep.py                           # 1M cases, ~4 min
    .venv/bin/python bench/cases_sla_sweep.py --cases 200000            # quick
    .venv/bin/python bench/cases_sla_sweep.py --postgres postgres://user:pw@host:5432/postgres

The builder (`build_cases`) is shared with bench/cases_inbox.py.
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COUNTY = "530326"
HOME = "530326102"  # 娜姑镇
DEFAULT_SERVER = "postgres://root:root@127.0.0.1:5432/postgres"
DEPARTMENTS = ("ZRZY", "ZJ", "STHJ", "NYNC", "MZ", "RSSB", "ZHZF", "GA", "XF", "SW")
# Open states and their shares (待受理, 待分流, 待派单, 待签收, 办理中, 待回访, 待办结).
OPEN_MIX = (
    ("submitted", 5),
    ("accepted", 3),
    ("triaged", 4),
    ("dispatched", 15),
    ("handling", 60),
    ("replied", 10),
    ("followed_up", 3),
)
UNUSABLE = "!"  # an unusable password hash: bench users never log in (hashing 416 would take minutes)
CHANNELS = ("photo", "hotline", "mailbox", "leader_visit", "reception", "meeting", "patrol", "api")


def setup_django(var_dir: str, database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["JC_VAR_DIR"] = var_dir
    os.environ["DJANGO_DEBUG"] = "0"  # DEBUG would keep every SQL statement in memory
    os.environ["SMS_BACKEND"] = "apps.core.sms.MemorySMSBackend"  # the digest is sent, not printed
    os.environ.pop("REDIS_URL", None)
    os.environ["DATABASE_URL"] = database_url  # only the database this script created
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def server_line(title: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"# {title} — Python {platform.python_version()}, {os.cpu_count()} CPUs, PostgreSQL {version}\n"
        f"# load average at start: {load}"
    )


def build_world() -> dict[str, Any]:
    """The county, departments and the people warnings go to (no password hashing: bulk rows)."""
    from apps.accounts.choices import Role
    from apps.accounts.models import RoleAssignment, User
    from apps.territory.choices import Level, OrgKind
    from apps.territory.importer import import_divisions
    from apps.territory.models import Organisation, Unit

    import_divisions([COUNTY])
    county = Unit.objects.get(code=COUNTY)
    townships = list(Unit.objects.filter(level=Level.TOWNSHIP, code__startswith=COUNTY).order_by("code"))
    villages = list(Unit.objects.filter(level=Level.VILLAGE, code__startswith=COUNTY).order_by("code"))
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                code=f"{COUNTY}-{key}", name=f"会泽县{key}", kind=OrgKind.DEPARTMENT, service_area=county
            )
            for key in DEPARTMENTS
        ]
    )
    people: list[tuple[str, str, Unit, Organisation | None]] = []
    people += [(f"officer_{t.code}", Role.TOWNSHIP_OFFICER, t, None) for t in townships]
    people += [(f"cadre_{v.code}", Role.VILLAGE_CADRE, v, None) for v in villages]
    people += [(f"handler_{o.code}_{n}", Role.DEPARTMENT_HANDLER, county, o) for o in orgs for n in (1, 2)]
    people += [("bench_leader", Role.LEADER, county, None), ("bench_admin", Role.COUNTY_ADMIN, county, None)]
    users = User.objects.bulk_create(
        [
            User(username=name, full_name=name, password=UNUSABLE, phone=f"139{i:08d}" if i % 5 else None)
            for i, (name, *_) in enumerate(people)
        ]
    )
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user=user, role=role, unit=unit, organisation=org)
            for user, (_, role, unit, org) in zip(users, people, strict=True)
        ]
    )
    return {
        "county": county,
        "townships": townships,
        "villages": villages,
        "orgs": orgs,
        "whistler": users[0].pk,
    }


def _pick(rng: random.Random, mix: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0]


def build_cases(
    world: dict[str, Any],
    *,
    cases: int,
    now: datetime.datetime,
    seed: int,
    open_share: float = 1.0,
    years: float = 1.0,
    red: float = 0.01,
    yellow: float = 0.005,
    whistle_share: float = 0.0,
) -> dict[str, Any]:
    """COPY `cases` cases (and whistles on `whistle_share` of them) with explicit ids; returns counts.

    Open cases get deadlines around `now` (see the module docstring); closed and rejected ones are
    spread over `years` before it with their outcome (rating, on time, level) filled in."""
    from django.db import connection, transaction

    from apps.cases.models import Case, Category, Whistle

    rng = random.Random(seed)
    villages, orgs = world["villages"], world["orgs"]
    township_of = {v.pk: v.parent_id for v in villages}
    categories = list(
        Category.objects.filter(parent__isnull=False).order_by("code").values_list("pk", "kind")
    )
    fields = list(Case._meta.concrete_fields)
    columns = [f.column for f in fields]
    template: list[Any] = [f.get_default() for f in fields]  # "" for text, None where nullable
    index = {f.attname: i for i, f in enumerate(fields)}
    minute = datetime.timedelta(minutes=1)
    day = datetime.timedelta(days=1)
    span = datetime.timedelta(days=365 * years)
    counts: dict[str, int] = {"open": 0, "closed": 0, "rejected": 0, "turn_red": 0, "turn_yellow": 0}

    def row(pk: int, submitted: datetime.datetime, is_open: bool) -> list[Any]:
        values = list(template)
        village = villages[rng.randrange(len(villages))]
        category_id, kind = categories[rng.randrange(len(categories))]
        values[index["id"]] = pk
        values[index["tracking_code"]] = f"B{pk:010d}"
        values[index["channel"]] = CHANNELS[rng.randrange(len(CHANNELS))]
        values[index["category_id"]] = category_id
        values[index["kind"]] = kind
        values[index["title"]] = "基准诉求"
        values[index["description"]] = "基准测试生成的诉求内容。"
        values[index["unit_id"]] = village.pk
        values[index["updated_at"]] = now
        values[index["version"]] = 1
        final = "rejected" if rng.random() < 0.015 else "closed"
        status = _pick(rng, OPEN_MIX) if is_open else final
        values[index["status"]] = status
        values[index["submitted_at"]] = submitted
        triage = "major" if rng.random() < 0.45 else "minor"
        if status != "submitted":
            values[index["triage"]] = triage
            values[index["accepted_at"]] = submitted + minute * rng.uniform(10, 600)
            values[index["dispatcher_unit_id"]] = township_of[village.pk] if triage == "major" else village.pk
        holder = rng.random()
        if status in ("dispatched", "handling", "replied", "followed_up", "closed"):
            if triage == "minor" or holder < 0.5:
                values[index["holder_unit_id"]] = village.pk
                level = "village"
            elif holder < 0.8:
                values[index["holder_unit_id"]] = township_of[village.pk]
                level = "township"
            else:
                values[index["holder_org_id"]] = orgs[rng.randrange(len(orgs))].pk
                level = "county"
            values[index["dispatched_at"]] = submitted + minute * rng.uniform(20, 900)
        if is_open:
            counts["open"] += 1
            roll = rng.random()
            if roll < red:  # due in the last 10 minutes, yellow since the day before: red this run
                due = now - minute * rng.uniform(0.1, 10)
                warn, state = due - day, "yellow"
                counts["turn_red"] += 1
            elif roll < red + yellow:  # the warning started in the last 10 minutes: yellow this run
                warn = now - minute * rng.uniform(0.1, 10)
                due, state = warn + day * rng.uniform(1.0, 1.4), "normal"
                counts["turn_yellow"] += 1
            elif roll < red + yellow + 0.03:  # red on an earlier run
                due = now - day * rng.uniform(0.1, 20)
                warn, state = due - day, "red"
            elif roll < red + yellow + 0.11:  # yellow on an earlier run
                due = now + day * rng.uniform(0.05, 1.0)
                warn, state = min(due - day, now - minute * 15), "yellow"
            else:  # days ahead
                due = now + day * rng.uniform(1.5, 20)
                warn, state = due - day, "normal"
            values[index["due_at"]] = due
            values[index["warn_at"]] = warn
            values[index["sla_state"]] = state
            values[index["was_overdue"]] = state == "red"
            if status == "handling":
                values[index["reply_due"]] = due
        else:
            closed = min(submitted + day * rng.uniform(0.5, 20), now - minute)
            values[index["closed_at"]] = closed
            values[index["sla_state"]] = "normal"
            if status == "closed":
                counts["closed"] += 1
                on_time = rng.random() < 0.94
                values[index["on_time"]] = on_time
                values[index["was_overdue"]] = not on_time
                values[index["replied_at"]] = closed - day * rng.uniform(0.1, 2)
                values[index["resolved_level"]] = level
                roll = rng.random()
                values[index["rating"]] = (
                    "satisfied" if roll < 0.8 else "basic" if roll < 0.98 else "unsatisfied"
                )
            else:
                counts["rejected"] += 1
        return values

    # Ids grow with the submission time, as in a real table (a period's rows sit together on disk).
    started = time.perf_counter()
    plan: list[tuple[datetime.datetime, bool]] = []
    for _ in range(cases):
        is_open = rng.random() < open_share
        back = day * rng.uniform(0.2, 60) if is_open else span * rng.random()
        plan.append((now - back, is_open))
    plan.sort()
    quote = connection.ops.quote_name
    whistled: list[tuple[int, int, int]] = []
    with transaction.atomic(), connection.cursor() as cursor:
        copy_sql = f"COPY {quote(Case._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            for pk, (submitted, is_open) in enumerate(plan, start=1):
                values = row(pk, submitted, is_open)
                copy.write_row(values)
                if whistle_share and rng.random() < whistle_share and values[index["holder_unit_id"]]:
                    whistled.append((pk, orgs[rng.randrange(len(orgs))].pk, values[index["holder_unit_id"]]))
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [Case._meta.db_table, cases])
        if whistled:
            whistler = world["whistler"]
            wcols = (
                "case_id", "organisation_id", "whistler_unit_id", "whistled_by_id", "reason", "whistled_at",
                "sign_due", "status", "signed_at", "result",
            )  # fmt: skip
            with cursor.cursor.copy(
                f"COPY {quote(Whistle._meta.db_table)} ({', '.join(wcols)}) FROM STDIN"
            ) as copy:
                for case_id, org_id, unit_id in whistled:
                    at = now - day * rng.uniform(1, 30)
                    signed = rng.random() < 0.8
                    signed_at = at + minute * rng.uniform(30, 2000) if signed else None
                    status = "signed" if signed else "pending"
                    copy.write_row(
                        (case_id, org_id, unit_id, whistler, "基准吹哨", at, at + day, status, signed_at, "")
                    )
    counts["whistles"] = len(whistled)
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def vacuum_analyze() -> None:
    """What autovacuum would have done by the time a real sweep runs (fresh bulk-loaded tables)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def proposed_sweep_sla(now: datetime.datetime) -> dict[str, int]:
    """`sweeps.sweep_sla` with the write path this benchmark proposes for PostgreSQL (see
    docs/benchmarks.md): per batch one `UPDATE … RETURNING` instead of a SELECT of model instances
    and an UPDATE, the timeline lines and the notices as one `INSERT … SELECT FROM unnest(…)` each
    (no model instances, no per-object value preparation), and the recipients computed once per
    batch instead of twice for red batches. Same rows written, same event, same SMS digest."""
    import json
    from collections import defaultdict
    from types import SimpleNamespace

    from django.db import connection, transaction
    from django.utils import timezone

    from apps.audit.services import record_event
    from apps.cases import events, sweeps
    from apps.cases.choices import OPEN_STATUSES, SlaState
    from apps.cases.models import Case

    def mark(ids: list[int], state: str) -> dict[int, list[int]]:
        label = "已超期" if state == SlaState.RED else "即将超期"
        extra = ", was_overdue = true" if state == SlaState.RED else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE cases_case SET sla_state = %s{extra} WHERE id = ANY(%s) RETURNING id, title, "  # noqa: S608
                "tracking_code, due_at, holder_unit_id, holder_org_id, dispatcher_unit_id, unit_id",
                [state, ids],
            )
            cases = [
                SimpleNamespace(
                    pk=r[0],
                    title=r[1],
                    tracking_code=r[2],
                    due_at=r[3],
                    holder_unit_id=r[4],
                    holder_org_id=r[5],
                    dispatcher_unit_id=r[6],
                    unit_id=r[7],
                )
                for r in cursor.fetchall()
            ]
            notes = [
                f"{label}（时限 {timezone.localtime(c.due_at):%m-%d %H:%M}）" if c.due_at else label
                for c in cases
            ]
            cursor.execute(
                "INSERT INTO cases_casestep (case_id, action, actor_name, body, from_status, to_status, "
                "note, data, at) SELECT id, 'warn', '', '', '', '', note, %s::jsonb, %s "
                "FROM unnest(%s::bigint[], %s::text[]) AS t(id, note)",
                [json.dumps({"state": state}), now, [c.pk for c in cases], notes],
            )
            recipients = sweeps._recipients(cases)  # type: ignore[arg-type]
            pairs = [(user_id, c) for c in cases for user_id in recipients.get(c.pk, [])]
            cursor.execute(
                "INSERT INTO cases_notice (recipient_id, case_id, kind, text, due_at, created_at) "
                "SELECT r, c, %s, t, d, %s FROM unnest(%s::bigint[], %s::bigint[], %s::text[], "
                "%s::timestamptz[]) AS x(r, c, t, d) ON CONFLICT DO NOTHING",
                [
                    state,
                    now,
                    [u for u, _ in pairs],
                    [c.pk for _, c in pairs],
                    [f"{label}：{c.title}（{c.tracking_code}）"[:200] for _, c in pairs],
                    [c.due_at for _, c in pairs],
                ],
            )
        return recipients

    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    red_ids = list(
        open_cases.filter(due_at__lt=now).exclude(sla_state=SlaState.RED).values_list("pk", flat=True)
    )
    yellow_ids = list(
        open_cases.filter(sla_state=SlaState.NORMAL, warn_at__lte=now, due_at__gte=now).values_list(
            "pk", flat=True
        )
    )
    red_by_user: dict[int, int] = defaultdict(int)
    for batch in sweeps._batches(red_ids):
        with transaction.atomic():
            for users in mark(batch, SlaState.RED).values():
                for user_id in users:
                    red_by_user[user_id] += 1
    for batch in sweeps._batches(yellow_ids):
        with transaction.atomic():
            mark(batch, SlaState.YELLOW)
    with transaction.atomic():
        sweeps._digest(red_by_user)
        if red_ids or yellow_ids:
            record_event(
                actor=None,
                event_type=events.SLA_SWEPT,
                obj=None,
                data={"red": len(red_ids), "yellow": len(yellow_ids)},
            )
    return {"red": len(red_ids), "yellow": len(yellow_ids)}


def measure(now: datetime.datetime) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.cases.choices import OPEN_STATUSES, SlaState
    from apps.cases.models import Case, CaseStep, Notice
    from apps.cases.sweeps import sweep_sla

    def ids() -> tuple[list[int], list[int]]:
        open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
        red = list(
            open_cases.filter(due_at__lt=now).exclude(sla_state=SlaState.RED).values_list("pk", flat=True)
        )
        yellow = list(
            open_cases.filter(sla_state=SlaState.NORMAL, warn_at__lte=now, due_at__gte=now).values_list(
                "pk", flat=True
            )
        )
        return red, yellow

    t0 = time.perf_counter()
    red_ids, yellow_ids = ids()
    base = time.perf_counter() - t0
    print(
        f"baseline (the sweep's two id queries alone): {base:.3f} s → {len(red_ids):,} to turn red, "
        f"{len(yellow_ids):,} yellow"
    )

    def restore() -> None:
        """Undo a run: the planted cases back to their colours, its lines and notices gone (its
        event stays: the audit trail is append-only)."""
        Case.objects.filter(pk__in=red_ids).update(sla_state=SlaState.YELLOW, was_overdue=False)
        Case.objects.filter(pk__in=yellow_ids).update(sla_state=SlaState.NORMAL)
        CaseStep.objects.all().delete()
        Notice.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE cases_case")
            cursor.execute("VACUUM ANALYZE cases_casestep")
            cursor.execute("VACUUM ANALYZE cases_notice")

    results: dict[str, list[float]] = {}
    for label, sweep in (
        ("sweep_sla", sweep_sla),
        ("proposed", proposed_sweep_sla),
        ("sweep_sla", sweep_sla),
    ):
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        with CaptureQueriesContext(connection) as queries:
            result = sweep(now)
        took = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        results.setdefault(label, []).append(took)
        print(
            f"{label}: {took:.2f} s (CPU in Python {cpu:.2f} s, {len(queries.captured_queries)} queries) → "
            f"red {result['red']:,}, yellow {result['yellow']:,}; wrote {CaseStep.objects.count():,} "
            f"timeline lines, {Notice.objects.count():,} notices; {took / base:.1f}× baseline"
        )
        slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:4]
        print("  slowest: " + "; ".join(f"{float(q['time']):.3f} s {q['sql'][:60]}…" for q in slowest))
        t0 = time.perf_counter()
        again = sweep(now)
        took = time.perf_counter() - t0
        print(f"  second run (no-op): {took:.3f} s → red {again['red']}, yellow {again['yellow']}")
        restore()
    for label, times in results.items():
        verdict = "met" if max(times) < 5 else "MISSED"
        print(f"target < 5 s, {label}: {verdict} ({', '.join(f'{t:.2f}' for t in times)} s)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--red", type=float, default=0.01, help="share turning red this run (default 0.01)")
    parser.add_argument(
        "--yellow", type=float, default=0.005, help="share turning yellow this run (default 0.005)"
    )
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument(
        "--postgres", metavar="URL", default=DEFAULT_SERVER, help=f"server (default {DEFAULT_SERVER})"
    )
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _scratch import fresh_postgres

    var_dir = tempfile.mkdtemp(prefix="jc-bench-sweep-")
    try:
        with fresh_postgres(args.postgres, "jc_bench_cases_sweep") as database_url:
            assert database_url is not None
            setup_django(var_dir, database_url)
            print(server_line("case SLA sweep benchmark"))
            from django.utils import timezone

            world = build_world()
            now = timezone.now().replace(microsecond=0)
            built = build_cases(
                world, cases=args.cases, now=now, seed=args.seed, red=args.red, yellow=args.yellow
            )
            t0 = time.perf_counter()
            vacuum_analyze()
            print(
                f"built {args.cases:,} open cases over {len(world['villages'])} villages in "
                f"{built['seconds']} s (VACUUM ANALYZE {time.perf_counter() - t0:.1f} s); planted "
                f"{built['turn_red']:,} to turn red and {built['turn_yellow']:,} to turn yellow"
            )
            measure(now)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
