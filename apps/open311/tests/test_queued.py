"""POST requests with OPEN311_ASYNC on (the default): the request is checked and stored as one
queued row, the answer is a token, the task worker makes the case; GET tokens/{token} answers
an empty service_request_id while queued, the id once made, and the spec's 400 with the reason
when the case could not be made. Bad input is still refused at once.

Tests run the ImmediateBackend (config/settings/test.py): the task runs when the POST's
transaction commits, which inside a test is when `django_capture_on_commit_callbacks` runs the
callbacks it held. One test runs the database queue and `manage.py db_worker` as production does.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit.models import AuditRecord, Event
from apps.cases.choices import Channel, Status
from apps.cases.models import Case
from apps.core import crypto
from apps.open311 import events, services, tasks
from apps.open311.choices import SubmissionStatus
from apps.open311.georeport import QUEUED_NOTICE
from apps.open311.models import Open311Submission

from .conftest import INSIDE
from .test_georeport import CHEAP_REFUSALS, FORMATS, PLACE_REFUSALS, V2, errors, good, items, submit

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _queued(settings: Any) -> None:
    settings.OPEN311_ASYNC = True


def test_queued_is_the_default() -> None:
    from config.settings import base

    assert base.OPEN311_ASYNC is True


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_answers_a_token_and_the_worker_makes_the_case(
    world: dict[str, Any], client: Any, fmt: str, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as held:
        response = submit(client, fmt, **good(world, media_url="https://img.example.cn/1.jpg"))
    assert response.status_code == 201, response.content.decode()
    assert response["Cache-Control"] == "no-store"
    [answer] = items(response)
    assert set(answer) == {"token", "service_notice", "account_id"}  # no service_request_id yet
    assert answer["service_notice"] == "受理后一般在 3 个工作日内办理并答复（节假日顺延）。"
    assert answer["account_id"] in (None, "")

    # Queued: one row, the phone encrypted as the case will keep it, nothing else written.
    submission = Open311Submission.objects.get(token=answer["token"])
    assert submission.status == SubmissionStatus.QUEUED and submission.case is None
    assert submission.client == world["api"] and submission.media_url == "https://img.example.cn/1.jpg"
    assert "13812345678" not in json.dumps(submission.payload)
    assert crypto.decrypt(submission.payload["phone"]) == "13812345678"
    assert submission.payload["name"] == "张三"
    assert submission.payload["request_id"] == response["X-Request-ID"]
    assert not Case.objects.exists() and not Event.objects.filter(source="api").exists()
    assert not AuditRecord.objects.filter(content_type__model="open311submission").exists()

    pending = client.get(f"{V2}/tokens/{answer['token']}.{fmt}")
    assert pending.status_code == 200 and pending["Cache-Control"] == "no-store"
    assert items(pending) == [
        {"service_request_id": None, "token": answer["token"], "service_notice": QUEUED_NOTICE}
    ]

    assert len(held) == 1
    held[0]()  # the POST's transaction commits: the task runs

    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.CREATED and submission.processed_at is not None
    case = submission.case
    assert case is not None and case.channel == Channel.API and case.status == Status.SUBMITTED
    assert case.unit == world["v11"] and case.category.code == "env-garbage"
    assert case.submitter_name == "张三" and case.submitter_phone == "13812345678"
    assert case.submitter is None and case.entered_by is None
    assert case.title == "村口垃圾池已经满了三天没人清运，气味很大。"
    # The name and phone leave the queued row once the case has them.
    assert not {"name", "phone", "ip"} & set(submission.payload)
    # The case's trail carries the POST's request id and source, as when made in the request.
    event = Event.objects.get(event_type=events.REQUEST_SUBMITTED)
    assert event.data["client"] == world["api"].prefix and event.data["token"] == submission.token
    assert event.source == "api" and event.request_id == response["X-Request-ID"]
    submitted = Event.objects.get(event_type="cases.submit", object_id=str(case.pk))
    assert submitted.request_id == response["X-Request-ID"]
    audit = AuditRecord.objects.get(object_id=str(submission.pk), content_type__model="open311submission")
    assert "市民服务应用" in audit.message and {"status", "case_id"} <= set(audit.changed_fields)
    assert "payload" not in audit.after

    done = client.get(f"{V2}/tokens/{answer['token']}.{fmt}")
    assert done.status_code == 200
    assert items(done) == [{"service_request_id": case.tracking_code, "token": answer["token"]}]
    assert client.get(f"{V2}/requests/{case.tracking_code}.{fmt}").status_code == 200


def test_the_worker_finds_the_grid_of_a_point(
    world: dict[str, Any], client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    values = good(world, **INSIDE)
    del values["address_string"]
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, **values)
    assert response.status_code == 201
    case = Open311Submission.objects.get(token=items(response)[0]["token"]).case
    assert case is not None and case.grid == world["g11"] and case.unit == world["v11"]
    assert (case.latitude, case.longitude) == (26.41, 103.31)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("change", "status", "message"), CHEAP_REFUSALS)
def test_bad_input_is_refused_at_once(
    world: dict[str, Any],
    client: Any,
    fmt: str,
    change: dict[str, Any],
    status: int,
    message: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    values = {k: v for k, v in {**good(world), **change}.items() if v is not None}
    with django_capture_on_commit_callbacks() as held:
        response = submit(client, fmt, **values)
    assert response.status_code == status
    assert errors(response) == [(status, message)]
    assert not held and not Open311Submission.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("change", "status", "message"), PLACE_REFUSALS)
def test_a_place_the_worker_cannot_find_fails_the_token(
    world: dict[str, Any],
    client: Any,
    fmt: str,
    change: dict[str, Any],
    status: int,
    message: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    values = {k: v for k, v in {**good(world), **change}.items() if v is not None}
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, fmt, **values)
    assert response.status_code == 201
    token = items(response)[0]["token"]
    submission = Open311Submission.objects.get(token=token)
    assert submission.status == SubmissionStatus.FAILED and submission.case is None
    assert submission.error == message and submission.error_code
    assert "phone" not in submission.payload and "name" not in submission.payload
    assert not Case.objects.exists()
    failed = Event.objects.get(event_type=events.REQUEST_FAILED)
    assert failed.data["token"] == token and failed.source == "api"
    answer = client.get(f"{V2}/tokens/{token}.{fmt}")
    assert answer.status_code == 400
    assert errors(answer) == [(400, f"诉求未能创建：{message}")]


def test_a_broken_task_marks_the_token_failed(
    world: dict[str, Any], client: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "_make_case", broken)
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, **good(world))
    token = items(response)[0]["token"]
    submission = Open311Submission.objects.get(token=token)
    assert submission.status == SubmissionStatus.FAILED and submission.error_code == "internal_error"
    answer = client.get(f"{V2}/tokens/{token}.xml")
    assert errors(answer) == [(400, f"诉求未能创建：{services.INTERNAL_ERROR}")]


def test_a_task_run_twice_makes_one_case(
    world: dict[str, Any], client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, **good(world))
    submission = Open311Submission.objects.get(token=items(response)[0]["token"])
    assert tasks.create_case.call(submission.pk) == SubmissionStatus.CREATED
    assert Case.objects.count() == 1
    assert tasks.create_case.call(10**9) == "missing"


def test_a_key_stopped_while_queued_still_gets_its_case(
    world: dict[str, Any], client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The request was accepted on a good key; stopping the key refuses the next ones."""
    with django_capture_on_commit_callbacks() as held:
        response = submit(client, **good(world))
    services.open311_client_deactivate(actor=world["admin"], client=world["api"])
    held[0]()
    assert Open311Submission.objects.get(token=items(response)[0]["token"]).case is not None
    assert submit(client, **good(world)).status_code == 403


@override_settings(OPEN311_RATE_PER_MINUTE=1)
def test_queued_requests_count_against_the_rate(world: dict[str, Any], client: Any) -> None:
    assert submit(client, **good(world)).status_code == 201
    refused = submit(client, **good(world))
    assert refused.status_code == 403 and "每分钟最多提交 1 条" in errors(refused)[0][1]
    assert Open311Submission.objects.count() == 1


def _statements(queries: CaptureQueriesContext) -> list[str]:
    words = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    return [w for w in words if w not in ("SAVEPOINT", "RELEASE")]


def _drains() -> list[Any]:
    from django_tasks_db.models import DBTaskResult

    drains = DBTaskResult.objects.filter(task_path="apps.open311.tasks.create_cases")
    return list(drains.order_by("run_after"))


@override_settings(TASKS=DATABASE_QUEUE)
def test_with_the_database_queue_a_busy_process_writes_one_task_row_per_drain(
    world: dict[str, Any], client: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(tasks, "_clock", lambda: now[0])
    # The first request: its row and a drain starting a second later, in one transaction.
    with CaptureQueriesContext(connection) as queries:
        first = submit(client, **good(world))
    assert first.status_code == 201
    assert [s for s in _statements(queries) if s == "INSERT"] == ["INSERT", "INSERT"]
    [drain] = _drains()
    assert drain.run_after.timestamp() == pytest.approx(now[0] + tasks.drain_delay())
    assert drain.args_kwargs == {"args": [], "kwargs": {}}

    # The next ones within half a second: one INSERT each; their commit is before the drain starts.
    now[0] += 0.4
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        assert submit(client, **good(world)).status_code == 201
    assert _statements(queries) == ["INSERT"] and len(_drains()) == 1

    # A commit that came late (the drain may have started without the row): a drain of its own.
    with django_capture_on_commit_callbacks() as held:
        assert submit(client, **good(world)).status_code == 201
    assert len(_drains()) == 1
    now[0] += 0.5
    held[0]()
    assert len(_drains()) == 2

    # Past the half second before the pending drain: the request enqueues the next one.
    now[0] += 1.0
    assert submit(client, **good(world)).status_code == 201
    assert len(_drains()) == 3

    assert not Case.objects.exists()
    assert tasks.create_cases.call() == {"created": 4, "failed": 0, "skipped": 0}
    assert Case.objects.count() == 4
    assert not Open311Submission.objects.filter(status=SubmissionStatus.QUEUED).exists()
    assert tasks.create_cases.call() == {"created": 0, "failed": 0, "skipped": 0}


def test_a_drain_goes_on_past_a_broken_row(
    world: dict[str, Any], client: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks():  # nothing runs: the rows stay queued
        tokens = [items(submit(client, **good(world, description=f"第{n}条：村口垃圾池满了。")))[0]["token"]
                  for n in range(3)]  # fmt: skip
    make_case = services._make_case

    def broken_second(client: Any, request: Any, token: str) -> Any:
        if request.description.startswith("第1条"):
            raise RuntimeError("database gone")
        return make_case(client, request, token)

    monkeypatch.setattr(services, "_make_case", broken_second)
    bad = items(submit(client, **good(world, address_string="昆明市五华区")))[0]["token"]
    assert tasks.create_cases.call() == {"created": 2, "failed": 2, "skipped": 0}
    statuses = dict(Open311Submission.objects.values_list("token", "status"))
    assert [statuses[t] for t in tokens] == ["created", "failed", "created"]
    assert statuses[bad] == "failed"


def test_the_sweep_requeues_what_was_left_behind(
    world: dict[str, Any], client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from apps.core.sweeps import all_sweeps, run_sweeps

    assert "open311_queue" in all_sweeps()
    with django_capture_on_commit_callbacks():  # the task never ran
        token = items(submit(client, **good(world)))[0]["token"]
    assert dict(run_sweeps(["open311_queue"]))["open311_queue"].startswith("0 条")
    Open311Submission.objects.filter(token=token).update(
        created_at=timezone.now() - datetime.timedelta(minutes=6)
    )
    assert dict(run_sweeps(["open311_queue"]))["open311_queue"].startswith("1 条")
    assert Open311Submission.objects.get(token=token).status == SubmissionStatus.CREATED


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_QUEUE, OPEN311_DRAIN_DELAY=0)
def test_db_worker_makes_the_queued_cases(world: dict[str, Any], client: Any) -> None:
    tokens = [items(submit(client, **good(world)))[0]["token"] for _ in range(3)]
    bad = items(submit(client, **good(world, address_string="昆明市五华区")))[0]["token"]
    assert Open311Submission.objects.filter(status=SubmissionStatus.QUEUED).count() == 4
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", "--verbosity", "0")
    for token in tokens:
        found = items(client.get(f"{V2}/tokens/{token}.json"))[0]
        assert Case.objects.filter(tracking_code=found["service_request_id"], channel=Channel.API).exists()
    assert client.get(f"{V2}/tokens/{bad}.json").status_code == 400
    assert Case.objects.count() == 3
