"""Benchmark: ballots per second through the online path (云票决) of sunshine voting.

On a fresh database (SQLite in a temporary JC_VAR_DIR; with `--postgres URL` a new PostgreSQL
database on that server, dropped afterwards), migrations first; then, untimed, one village with
N adult villagers (default 3,000) in households of 3, each with a resident login linked to their
record, and a villagers' meeting (村民会议, the whole adult village votes) opened through
`services.vote_open`.

Measured at the service level (no HTTP): every voter calls
`services.ballot_cast_online(actor=<their login>, motion, choice, name, id_tail)` — the real path:
the login's resident record, the meeting row lock, the window, eligibility at the meeting date,
name and ID-tail check, the one-vote check, attendance, the ballot row with its receipt, two
hash-chained box events, the audit record and the event. Then `box.verify` replays the chain.
Baseline in the same run: a bare `Ballot.objects.create` per voter, each in its own transaction
(no checks, no chain, no audit), on a second motion. Target: ≥ 300 ballots/s sustained.

    .venv/bin/python bench/voting_ballots.py                 # SQLite, 3,000 voters
    .venv/bin/python bench/voting_ballots.py --postgres postgres://root:root@127.0.0.1:5432/postgres
    .venv/bin/python bench/voting_ballots.py --voters 500    # quick
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


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


def _world(voters: int) -> dict[str, Any]:
    from django.db import transaction

    from apps.accounts.choices import Role, UserKind
    from apps.accounts.models import RoleAssignment, User
    from apps.people.idnumber import make
    from apps.people.models import Household, Resident
    from apps.people.services import personal_data_fields
    from apps.territory.choices import Level, UnitKind
    from apps.territory.models import Unit

    def unit(code: str, name: str, level: int, kind: str, parent: Unit | None) -> Unit:
        return Unit.objects.create(
            code=code, name=name, short_name=name, level=level, kind=kind, parent=parent
        )

    county = unit("530326", "会泽县", Level.COUNTY, UnitKind.COUNTY, None)
    town = unit("530326102", "娜姑镇", Level.TOWNSHIP, UnitKind.TOWN, county)
    village = unit("530326102201", "娜姑村", Level.VILLAGE, UnitKind.VILLAGE, town)
    admin = User.objects.create_user("bench_admin", None, full_name="管理员")
    RoleAssignment.objects.create(user=admin, role=Role.COUNTY_ADMIN, unit=county)
    given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂文华建国红梅玉志海燕永春立新晓光荣德成林云凤"
    with transaction.atomic():
        households = Household.objects.bulk_create(
            Household(unit=village, number=f"{i:05d}", address=f"娜姑村 {i} 号")
            for i in range((voters + 2) // 3)
        )
        users = User.objects.bulk_create(
            User(username=f"v{i:05d}", kind=UserKind.RESIDENT, phone=f"139{i:08d}", password="!")  # noqa: S106 — unusable
            for i in range(voters)
        )
        residents = []
        for i in range(voters):
            born = datetime.date(1950 + i % 50, 1 + i % 12, 1 + i % 28)
            pii = personal_data_fields(id_number=make("530326", born, i % 999 + 1))
            pii["id_number_hash"] = f"bench{i}"  # the lookup hash must be unique; its value is not read here
            residents.append(
                Resident(
                    household=households[i // 3],
                    name=f"王{given[i % len(given)]}{given[(i // 7) % len(given)]}",
                    relation="head" if i % 3 == 0 else "spouse",
                    account=users[i],
                    **pii,
                )
            )
        Resident.objects.bulk_create(residents, batch_size=1000)
    return {"village": village, "admin": admin, "users": users}


def _motion(world: dict[str, Any], title: str) -> Any:
    from django.utils import timezone

    from apps.voting import services
    from apps.voting.choices import MeetingKind, MotionKind

    admin, village, today = world["admin"], world["village"], timezone.localdate()
    motion = services.motion_suggest(
        actor=admin, village=village, kind=MotionKind.PLAN, title=title, held_on=today, minutes="建议"
    )
    motion = services.motion_propose(actor=admin, motion=motion, held_on=today)
    motion = services.motion_consult(actor=admin, motion=motion, held_on=today, minutes="商议")
    motion = services.motion_review(actor=admin, motion=motion, approve=True, held_on=today)
    now = timezone.now()
    return services.vote_open(
        actor=admin,
        motion=motion,
        kind=MeetingKind.VILLAGERS,
        held_on=today,
        opens_at=now - datetime.timedelta(minutes=1),
        closes_at=now + datetime.timedelta(hours=6),
    )


def run(voters: int) -> None:
    from django.db import connection, transaction

    from apps.people.models import Resident
    from apps.voting import box, services
    from apps.voting.choices import Channel, Choice
    from apps.voting.models import Ballot

    started = time.perf_counter()
    world = _world(voters)
    motion = _motion(world, "村庄建设规划")
    baseline_motion = _motion(world, "基线")
    by_account = {r.account_id: r for r in Resident.objects.filter(account__isnull=False)}
    plan = [(u, by_account[u.pk]) for u in world["users"]]
    choices = [Choice.FOR, Choice.FOR, Choice.AGAINST, Choice.ABSTAIN]
    print(f"setup: {voters:,} villagers with logins, 2 motions open, {time.perf_counter() - started:.1f} s")

    t0, c0 = time.perf_counter(), time.process_time()
    for i, (user, resident) in enumerate(plan):
        services.ballot_cast_online(
            actor=user, motion=motion, choice=choices[i % 4], name=resident.name, id_tail=resident.id_tail
        )
    online, online_cpu = time.perf_counter() - t0, time.process_time() - c0

    t0, c0 = time.perf_counter(), time.process_time()
    for i, (_, resident) in enumerate(plan):
        with transaction.atomic():
            Ballot.objects.create(
                motion=baseline_motion,
                voter=resident,
                choice=choices[i % 4],
                channel=Channel.ONLINE,
                voter_token=f"t{i}",
                nonce="n",
                receipt=f"{baseline_motion.pk}-{i}",
                entered_by=world["admin"],
            )
    bare, bare_cpu = time.perf_counter() - t0, time.process_time() - c0

    t0 = time.perf_counter()
    check = box.verify(motion)
    verify = time.perf_counter() - t0
    assert check.ok, check.problems
    assert Ballot.objects.filter(motion=motion).count() == voters

    print(
        f"database: {connection.vendor}; machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    print(f"online path  {voters:,} ballots in {online:6.2f} s → {voters / online:7.0f} ballots/s")
    print(f"bare insert  {voters:,} rows    in {bare:6.2f} s → {voters / bare:7.0f} rows/s  (baseline)")
    print(f"ratio online/bare time: {online / bare:.1f}×")
    # CPU time of this process: on a shared machine the wall clock also counts other processes'
    # turns; the CPU figure says what one core sustains (SQLite runs in-process, so it is all here;
    # on PostgreSQL the server's own CPU is not counted).
    print(
        f"cpu of this process: online {1000 * online_cpu / voters:.2f} ms/ballot "
        f"(→ {voters / online_cpu:.0f} ballots per CPU-second), bare {1000 * bare_cpu / voters:.2f} ms/row"
    )
    print(f"verify: {check.events:,} chained events replayed and held against the ballots in {verify:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voters", type=int, default=3000)
    parser.add_argument("--postgres", help="server URL; a scratch database is created and dropped")
    args = parser.parse_args()
    from _scratch import fresh_postgres

    tmp = tempfile.mkdtemp(prefix="jc-bench-voting-")
    try:
        with fresh_postgres(args.postgres, "jc_bench_voting") as url:
            _setup_django(tmp, url)
            run(args.voters)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
