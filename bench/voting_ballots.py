"""Benchmark: ballots per second through the online path (云票决) of sunshine voting.

On a fresh database (SQLite in a temporary JC_VAR_DIR; with `--postgres URL` a new PostgreSQL
database on that server, dropped afterwards), migrations first; then, untimed, one village with
N adult villagers (default 3,000) in households of 3, each with a resident login linked to their
record. Each timed run opens a fresh villagers' meeting (村民会议, the whole adult village votes)
through `services.vote_open`, so everyone votes again.

Measured at the service level (no HTTP): every voter calls
`services.ballot_cast_online(actor=<their login>, motion, choice, name, id_tail)` — the real path:
the box's state and the login's resident with their place on the stored roll, the window, name
and ID-tail check, attendance and the ballot (each answered by its unique constraint), the audit
record, then under the meeting's row lock the state again and the hash-chained box event, one
transaction per ballot. Then `box.verify` replays the chain. Baseline in the same run and with the
same clients: a bare `Ballot.objects.create` per voter, each in its own transaction (no checks, no
chain, no audit), on a second motion. Target: ≥ 300 ballots/s sustained.

With `--clients N` the voters are split over N forked processes casting at once (as N app
workers would), the clock running from their common start to the last one's end. CPU per ballot
is this side's process CPU (all clients) plus, on a local PostgreSQL, the CPU of the server
backends serving them (read from /proc): unlike the wall clock, it does not grow with other
people's load on the machine.

    .venv/bin/python bench/voting_ballots.py                 # SQLite, 3,000 voters, 3 runs
    .venv/bin/python bench/voting_ballots.py --postgres postgres://root:root@127.0.0.1:5432/postgres
    .venv/bin/python bench/voting_ballots.py --postgres … --clients 4
    .venv/bin/python bench/voting_ballots.py --voters 500 --runs 1    # quick
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
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


# Filled by `run` before any client forks, read by the clients (inherited, not pickled).
PLAN: list[tuple[Any, Any, str]] = []
CHOICES = ["for", "for", "against", "abstain"]


def _cast_online(motion_id: int, lo: int, hi: int) -> None:
    from apps.voting import services
    from apps.voting.models import Motion

    motion = Motion.objects.select_related("village").get(pk=motion_id)
    for i in range(lo, hi):
        user, resident, choice = PLAN[i]
        services.ballot_cast_online(
            actor=user, motion=motion, choice=choice, name=resident.name, id_tail=resident.id_tail
        )


def _bare_insert(motion_id: int, lo: int, hi: int) -> None:
    from django.db import transaction

    from apps.voting.models import Ballot

    for i in range(lo, hi):
        user, resident, choice = PLAN[i]
        with transaction.atomic():
            Ballot.objects.create(
                motion_id=motion_id,
                voter_id=resident.pk,
                choice=choice,
                channel="online",
                voter_token=f"t{i}",
                nonce="n",
                receipt=f"{motion_id}-{i}",
                entered_by_id=user.pk,
            )


def _server_cpu() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (0 on SQLite: in-process)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the server on another machine or another user's process: not counted
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _client(work: Any, motion_id: int, lo: int, hi: int, barrier: Any, results: Any) -> None:
    from django.db import connection

    connection.ensure_connection()
    s0 = _server_cpu()
    barrier.wait()
    c0 = time.process_time()
    work(motion_id, lo, hi)
    results.put((time.process_time() - c0, _server_cpu() - s0))
    connection.close()


def _timed(work: Any, motion_id: int, clients: int) -> tuple[float, float, float]:
    """Wall seconds, client CPU seconds and server CPU seconds for all voters through `work`,
    in this process (clients=1) or split over `clients` forked processes started together."""
    import multiprocessing

    from django.db import connections

    n = len(PLAN)
    if clients == 1:
        s0, c0, t0 = _server_cpu(), time.process_time(), time.perf_counter()
        work(motion_id, 0, n)
        wall = time.perf_counter() - t0
        return wall, time.process_time() - c0, _server_cpu() - s0
    connections.close_all()  # a forked child must not share the parent's database socket
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(clients + 1), ctx.Queue()
    bounds = [n * k // clients for k in range(clients + 1)]
    procs = [
        ctx.Process(target=_client, args=(work, motion_id, bounds[k], bounds[k + 1], barrier, results))
        for k in range(clients)
    ]
    for p in procs:
        p.start()
    barrier.wait()
    t0 = time.perf_counter()
    done = [results.get() for _ in procs]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
        if p.exitcode:
            raise SystemExit(f"a client failed (exit {p.exitcode})")
    return wall, sum(c for c, _ in done), sum(s for _, s in done)


def run(voters: int, runs: int, clients: int) -> None:
    from django.db import connection

    from apps.people.models import Resident
    from apps.voting import box
    from apps.voting.models import Ballot

    started = time.perf_counter()
    world = _world(voters)
    by_account = {r.account_id: r for r in Resident.objects.filter(account__isnull=False)}
    PLAN[:] = [(u, by_account[u.pk], CHOICES[i % 4]) for i, u in enumerate(world["users"])]
    print(f"setup: {voters:,} villagers with logins, {time.perf_counter() - started:.1f} s")
    print(
        f"database: {connection.vendor}; machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; clients: {clients} "
        f"({'one process, one ballot after another' if clients == 1 else 'forked processes at once'})"
    )
    rates, ratios, cpus = [], [], []
    for r in range(1, runs + 1):
        motion = _motion(world, f"村庄建设规划（第 {r} 轮）")  # a fresh box: everyone votes again
        baseline_motion = _motion(world, f"基线（第 {r} 轮）")
        load = os.getloadavg()
        online, online_cpu, online_server = _timed(_cast_online, motion.pk, clients)
        bare, bare_cpu, bare_server = _timed(_bare_insert, baseline_motion.pk, clients)
        load_after = os.getloadavg()
        t0 = time.perf_counter()
        check = box.verify(motion)
        verify = time.perf_counter() - t0
        assert check.ok, check.problems
        assert Ballot.objects.filter(motion=motion).count() == voters
        rates.append(voters / online)
        ratios.append(online / bare)
        cpus.append((online_cpu + online_server) / voters)
        print(f"--- run {r}: load average {load[0]:.1f} before, {load_after[0]:.1f} after (1 min)")
        print(f"online path  {voters:,} ballots in {online:6.2f} s → {voters / online:7.0f} ballots/s")
        print(f"bare insert  {voters:,} rows    in {bare:6.2f} s → {voters / bare:7.0f} rows/s  (baseline)")
        print(f"ratio online/bare time: {online / bare:.1f}×")
        # CPU time: on a shared machine the wall clock also counts other processes' turns; CPU
        # seconds per ballot do not. Client = the Django side (all clients); server = the
        # PostgreSQL backends serving them (0 on SQLite, which runs inside the client).
        print(
            f"cpu per ballot: client {1000 * online_cpu / voters:.2f} ms + server "
            f"{1000 * online_server / voters:.2f} ms = {1000 * cpus[-1]:.2f} ms "
            f"(bare row: {1000 * (bare_cpu + bare_server) / voters:.2f} ms)"
        )
        print(
            f"verify: {check.events:,} chained events replayed and held against the ballots in {verify:.2f} s"
        )
    if runs > 1:
        print(
            f"=== {runs} runs: ballots/s best {max(rates):.0f}, median {statistics.median(rates):.0f}; "
            f"ratio online/bare median {statistics.median(ratios):.1f}×; "
            f"cpu per ballot best {1000 * min(cpus):.2f} ms, median {1000 * statistics.median(cpus):.2f} ms"
        )
        # What the CPU figure implies with nobody else on the machine (I/O waits not counted):
        # one client alternates with its server, so it reaches 1/cpu at most; on PostgreSQL
        # several clients keep both cores busy (2/cpu); SQLite writes one transaction at a time.
        one = 1 / statistics.median(cpus)
        both = (
            f", {2 * one:.0f} with clients keeping both cores busy" if connection.vendor != "sqlite" else ""
        )
        print(f"CPU-bound ceiling on an idle 2-core machine: {one:.0f} ballots/s for one client{both}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voters", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3, help="timed rounds, each on a freshly opened box")
    parser.add_argument("--clients", type=int, default=1, help="processes casting at once (default 1)")
    parser.add_argument("--postgres", help="server URL; a scratch database is created and dropped")
    args = parser.parse_args()
    from _scratch import fresh_postgres

    tmp = tempfile.mkdtemp(prefix="jc-bench-voting-")
    try:
        with fresh_postgres(args.postgres, "jc_bench_voting") as url:
            _setup_django(tmp, url)
            run(args.voters, args.runs, args.clients)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
