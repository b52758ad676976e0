"""Writes of the Open311 module: API clients (create, deactivate) and the service requests they
submit, which become cases through `apps.cases.services.case_submit` on the "api" channel.

A client is a machine, not a user: its permission is its key (checked by
`open311_client_authenticate`), bound to one county; the case is submitted with actor=None like
any citizen channel, and the submission row, its audit record and its event name the client.
With OPEN311_ASYNC (the default) the POST only checks and queues the request; the task worker
makes the case (see "service requests" below).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
import math
import re
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Max
from django.utils import timezone

from apps.accounts import access
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.audit.services import audit_create, audit_update, record_event, snapshot
from apps.cases import services as case_services
from apps.cases.choices import Channel
from apps.cases.models import Case, Category
from apps.core import crypto
from apps.core.context import RequestContext, context_scope, current
from apps.core.errors import ApplicationError, Conflict, PermissionDenied, RateLimited, ValidationFailed
from apps.territory.choices import Level
from apps.territory.models import Grid, Unit

from . import events, places, selectors
from .choices import SubmissionStatus
from .models import Open311Client, Open311Submission

log = logging.getLogger(__name__)

KEY_HEAD = "o311"
TITLE_CHARS = 30
LAST_USED_EVERY = datetime.timedelta(minutes=5)
CLIENT_CACHE_SECONDS = 10.0
_clients: dict[str, tuple[float, Open311Client]] = {}
_PHONE_JUNK = re.compile(r"[\s\-()（）]+")


def rate_per_minute() -> int:
    return int(getattr(settings, "OPEN311_RATE_PER_MINUTE", 60))


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- clients ---------------------------------------------------------------------------------------


@transaction.atomic
def open311_client_create(*, actor: User | None, name: str, jurisdiction: Unit) -> tuple[Open311Client, str]:
    """A new client with its key; returns (client, plaintext key). The plaintext is shown once and
    never stored. `actor=None` only from the management command (trusted setup)."""
    if actor is not None:
        access.require(actor, Perm.CASE_CONFIGURE, jurisdiction.code)
    name = (name or "").strip()
    if len(name) < 2:
        raise ValidationFailed("请填写客户端名称（至少 2 个字）。", code="name_required")
    if len(name) > 60:
        raise ValidationFailed("客户端名称不能超过 60 个字。", code="name_too_long")
    if jurisdiction.level != Level.COUNTY:
        raise ValidationFailed("开放接口的管辖区域须为县（区）。", code="jurisdiction_level")
    if not jurisdiction.is_active:
        raise ValidationFailed("所选县（区）已停用。", code="jurisdiction_inactive")
    secret = secrets.token_urlsafe(32)
    for _attempt in range(5):
        client = Open311Client(
            name=name,
            prefix=secrets.token_hex(4),
            key_hash=_hash_secret(secret),
            jurisdiction=jurisdiction,
            created_by=actor,
        )
        try:
            with transaction.atomic():
                client.save()
            break
        except IntegrityError:
            continue  # the 8-hex prefix collided: draw another
    else:  # pragma: no cover - 2^32 prefixes
        raise Conflict("系统繁忙，请重试。", code="prefix_exhausted")
    audit_create(actor=actor, obj=client)
    record_event(
        actor=actor,
        event_type=events.CLIENT_CREATED,
        obj=client,
        data={"name": name, "prefix": client.prefix, "jurisdiction": jurisdiction.code},
    )
    return client, f"{KEY_HEAD}_{client.prefix}_{secret}"


@transaction.atomic
def open311_client_deactivate(*, actor: User | None, client: Open311Client) -> Open311Client:
    """Stop a client: its key is refused from the next request on. Its requests stay.
    `actor=None` only from the management command."""
    client = Open311Client.objects.select_for_update().select_related("jurisdiction").get(pk=client.pk)
    if actor is not None:
        access.require(actor, Perm.CASE_CONFIGURE, client.jurisdiction.code)
    if not client.is_active:
        raise Conflict(f"客户端“{client.name}”已停用。", code="already_inactive")
    before = snapshot(client)
    client.is_active = False
    client.deactivated_at = timezone.now()
    client.save(update_fields=["is_active", "deactivated_at"])
    audit_update(actor=actor, obj=client, before=before)
    record_event(
        actor=actor, event_type=events.CLIENT_DEACTIVATED, obj=client, data={"prefix": client.prefix}
    )
    # Forget the kept row now and again after the commit (a request in between may keep it again).
    keys = (client.prefix, f"#{client.pk}")

    def forget() -> None:
        for key in keys:
            _clients.pop(key, None)

    forget()
    transaction.on_commit(forget)
    return client


def _client_by_prefix(prefix: str) -> Open311Client | None:
    """The client row, kept in the process for CLIENT_CACHE_SECONDS: a busy client's every request
    would otherwise read the same row. Unknown prefixes are not kept (they are read each time)."""
    now = time.monotonic()
    hit = _clients.get(prefix)
    if hit is not None and now - hit[0] < CLIENT_CACHE_SECONDS:
        return hit[1]
    client = Open311Client.objects.select_related("jurisdiction").filter(prefix=prefix).first()
    if client is not None:
        _clients[prefix] = (now, client)
    return client


def _client_by_id(pk: int) -> Open311Client:
    """The client of a queued row, kept as `_client_by_prefix` keeps it: the worker makes many
    cases for few clients."""
    now = time.monotonic()
    hit = _clients.get(f"#{pk}")
    if hit is not None and now - hit[0] < CLIENT_CACHE_SECONDS:
        return hit[1]
    client = Open311Client.objects.select_related("jurisdiction").get(pk=pk)
    _clients[f"#{pk}"] = (now, client)
    return client


def forget_clients() -> None:
    """Drop the clients kept in this process (tests)."""
    _clients.clear()


def open311_client_authenticate(api_key: str) -> Open311Client:
    """The active client behind an api_key; PermissionDenied (the spec's 403) otherwise.
    Marks the key used at most every few minutes, so a busy client does not write on each call.
    A stopped key is refused at once by the process that stopped it and within
    CLIENT_CACHE_SECONDS by every other app server process."""
    parts = (api_key or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_HEAD:
        raise PermissionDenied("api_key 无效。", code="api_key_invalid")
    client = _client_by_prefix(parts[1])
    if client is None or not hmac.compare_digest(client.key_hash, _hash_secret(parts[2])):
        raise PermissionDenied("api_key 无效。", code="api_key_invalid")
    if not client.is_active:
        raise PermissionDenied("该 api_key 已停用，请联系县级管理员。", code="api_key_inactive")
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_EVERY:
        Open311Client.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client


def _rate_check(client: Open311Client) -> None:
    """At most OPEN311_RATE_PER_MINUTE submissions per key per clock minute (counted in the cache,
    shared by all app servers when REDIS_URL is set)."""
    limit = rate_per_minute()
    minute = int(time.time() // 60)
    key = f"open311:rate:{client.pk}:{minute}"
    cache.add(key, 0, timeout=120)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        used = 1
    if used > limit:
        wait = max(1, math.ceil(60 - time.time() % 60))
        raise RateLimited(
            f"提交过于频繁：每个 api_key 每分钟最多提交 {limit} 条，请 {wait} 秒后再试。",
            code="rate_limited",
            extra={"retry_after": wait},
        )


# --- service requests ------------------------------------------------------------------------------
#
# POST requests runs in two halves. `_checked` does what needs no more than the rows kept in the
# process: the key's jurisdiction, the rate, the service, the text, the phone, the media link and
# that a place is given; a bad request gets its 400 from it at once. `_make_case` does the rest —
# the place (grid index, name index), case_submit (tracking code, working-day deadline, timeline,
# audit, event) — in the request (OPEN311_ASYNC off: `open311_request_submit`) or in the task
# worker (`open311_request_queue` stores the checked request, `open311_request_create` makes it).

# What case_submit requires of a description; checked here too so a queued request is refused at
# once rather than later through its token (case_submit still checks: a drift is a failed token).
DESCRIPTION_MIN = 5
DESCRIPTION_MAX = 4000


def queue_requests() -> bool:
    """OPEN311_ASYNC: answer POST requests with a token and make the case in the task worker."""
    return bool(getattr(settings, "OPEN311_ASYNC", True))


@dataclass(frozen=True)
class CheckedRequest:
    """A POSTed request that passed the cheap checks: what the case will be made of."""

    category: Category
    description: str
    latitude: float | None
    longitude: float | None
    address: str
    submitter_name: str
    phone: str
    media_url: str


def _title(description: str, category: Category) -> str:
    first_line = description.strip().splitlines()[0].strip() if description.strip() else ""
    if len(first_line) < 2:
        return category.name
    return first_line if len(first_line) <= TITLE_CHARS else first_line[: TITLE_CHARS - 1] + "…"


def _phone(raw: str) -> str:
    phone = _PHONE_JUNK.sub("", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    return phone


_URL = URLValidator(schemes=["http", "https"])


def _media_url(raw: str) -> str:
    url = (raw or "").strip()
    if not url:
        return ""
    try:
        _URL(url)
    except ValidationError as exc:
        raise ValidationFailed("media_url 须为 http 或 https 网址。", code="media_url_invalid") from exc
    if len(url) > 500:
        raise ValidationFailed("media_url 不能超过 500 个字符。", code="media_url_too_long")
    return url


def _checked(
    client: Open311Client,
    *,
    service_code: str,
    description: str,
    latitude: float | None,
    longitude: float | None,
    address: str,
    first_name: str,
    last_name: str,
    phone: str,
    media_url: str,
    jurisdiction_id: str,
) -> CheckedRequest:
    if not client.is_active:
        raise PermissionDenied("该 api_key 已停用，请联系县级管理员。", code="api_key_inactive")
    if jurisdiction_id and jurisdiction_id.strip() != client.jurisdiction.code:
        raise ValidationFailed(
            f"jurisdiction_id 与 api_key 的管辖区域（{client.jurisdiction.code}）不符。",
            code="jurisdiction_mismatch",
        )
    _rate_check(client)
    code = (service_code or "").strip()
    if not code:
        raise ValidationFailed("缺少 service_code。", code="service_code_required")
    category = selectors.active_category(code)
    if category is None:
        raise ValidationFailed(f"service_code “{code[:40]}”不存在或已停用。", code="service_code_unknown")
    description = (description or "").strip()
    if len(description) < DESCRIPTION_MIN:
        raise ValidationFailed(
            f"请填写诉求内容（至少 {DESCRIPTION_MIN} 个字）。", code="description_required"
        )
    if len(description) > DESCRIPTION_MAX:
        raise ValidationFailed(
            f"诉求内容不能超过 {DESCRIPTION_MAX} 个字。", code="description_required_too_long"
        )
    if (latitude is None) != (longitude is None):
        raise ValidationFailed("lat 和 long 须同时提供。", code="coordinates_incomplete")
    if latitude is not None and longitude is not None and not places.in_china(latitude, longitude):
        raise ValidationFailed("lat/long 不在中国范围内（请检查是否颠倒）。", code="point_out_of_range")
    address = (address or "").strip()
    if latitude is None and not address:
        raise ValidationFailed("请提供位置：lat 和 long，或 address_string。", code="location_required")
    number = _phone(phone)
    if number and not (len(number) == 11 and number.isdigit() and number.startswith("1")):
        raise ValidationFailed("手机号须为 11 位数字。", code="phone_invalid")
    return CheckedRequest(
        category=category,
        description=description,
        latitude=latitude,
        longitude=longitude,
        address=address,
        submitter_name=f"{(last_name or '').strip()}{(first_name or '').strip()}"[:50],
        phone=number,
        media_url=_media_url(media_url),
    )


def _place(
    client: Open311Client, latitude: float | None, longitude: float | None, address: str
) -> tuple[Unit, Grid | None]:
    """The village (or township) and grid of a checked request: the grid containing the point, else
    the place the address names."""
    county = client.jurisdiction
    if latitude is not None and longitude is not None:
        grid = places.grid_at(county, latitude=latitude, longitude=longitude)
        if grid is not None:
            return grid.unit, grid
        if not address:
            raise ValidationFailed(
                f"该位置不在{county.display_name}的网格内，请同时提供 address_string（写明乡镇、村）。",
                code="point_outside_jurisdiction",
            )
    try:
        return places.unit_in_text(county, address), None
    except places.PlaceNotFound as exc:
        raise ValidationFailed(str(exc), code="address_unknown") from exc


def _make_case(client: Open311Client, request: CheckedRequest, token: str) -> Case:
    """The case of a checked request, on the "api" channel, with no actor (a citizen channel), and
    the event naming the client. The email, device_id and account_id of the spec are not kept (a
    case has no place for them)."""
    latitude, longitude = request.latitude, request.longitude
    unit, grid = _place(client, latitude, longitude, request.address)
    if grid is None:
        # Placed by the address: the point lies outside every grid of the county, and case_submit
        # would look it up again; the case keeps no point.
        latitude = longitude = None
    case = case_services.case_submit(
        actor=None,
        channel=Channel.API,
        category=request.category,
        title=_title(request.description, request.category),
        description=request.description,
        unit=unit,
        grid=grid,
        latitude=latitude,
        longitude=longitude,
        address=request.address,
        submitter_name=request.submitter_name,
        submitter_phone=request.phone,
    )
    record_event(
        actor=None,
        event_type=events.REQUEST_SUBMITTED,
        obj=case,
        data={
            "client": client.prefix,
            "client_name": client.name,
            "service_code": request.category.code,
            "media_url": request.media_url,
            "token": token,
        },
    )
    return case


def _client_note(client: Open311Client) -> str:
    return f"开放接口客户端：{client.name}（{client.prefix}）"


@transaction.atomic
def open311_request_submit(
    *,
    client: Open311Client,
    service_code: str,
    description: str,
    latitude: float | None = None,
    longitude: float | None = None,
    address: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    media_url: str = "",
    jurisdiction_id: str = "",
) -> Open311Submission:
    """POST requests with OPEN311_ASYNC off: the case, made now, and its submission row (created)."""
    request = _checked(
        client, service_code=service_code, description=description, latitude=latitude,
        longitude=longitude, address=address, first_name=first_name, last_name=last_name,
        phone=phone, media_url=media_url, jurisdiction_id=jurisdiction_id,
    )  # fmt: skip
    token = secrets.token_hex(16)
    case = _make_case(client, request, token)
    submission = Open311Submission(
        client=client,
        case=case,
        token=token,
        status=SubmissionStatus.CREATED,
        media_url=request.media_url,
        processed_at=case.submitted_at,
    )
    submission.save()
    audit_create(actor=None, obj=submission, message=_client_note(client))
    return submission


def _payload(request: CheckedRequest) -> dict[str, Any]:
    """The checked request as the queued row keeps it: the phone encrypted (as the case keeps it),
    the service by code (the worker reads the category again), and the request's id and address
    for the case's audit record and events, which the worker writes."""
    ctx = current()
    return {
        "service_code": request.category.code,
        "description": request.description,
        "lat": request.latitude,
        "long": request.longitude,
        "address": request.address,
        "name": request.submitter_name,
        "phone": crypto.encrypt(request.phone) if request.phone else "",
        "request_id": ctx.request_id,
        "ip": ctx.ip,
    }


def open311_request_queue(
    *,
    client: Open311Client,
    service_code: str,
    description: str,
    latitude: float | None = None,
    longitude: float | None = None,
    address: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    media_url: str = "",
    jurisdiction_id: str = "",
) -> tuple[Open311Submission, CheckedRequest]:
    """POST requests with OPEN311_ASYNC on: the checked request stored as one queued submission
    row for the task worker. With the database queue a task row is written only when no drain
    this process enqueued is still due to start after this row commits (then in the same
    transaction); see tasks.py. The client's answer is the row's token.

    No audit record is written here: the row is a queue entry holding nothing the case will not
    hold (the name as the case keeps it, the phone encrypted as the case keeps it), and it is
    audited when the worker settles it (`open311_request_create`: the update to created or
    failed, the client named) next to the case's own audit record and events. A request refused
    here writes nothing, as before."""
    from . import tasks

    request = _checked(
        client, service_code=service_code, description=description, latitude=latitude,
        longitude=longitude, address=address, first_name=first_name, last_name=last_name,
        phone=phone, media_url=media_url, jurisdiction_id=jurisdiction_id,
    )  # fmt: skip
    submission = Open311Submission(
        client=client,
        token=secrets.token_hex(16),
        status=SubmissionStatus.QUEUED,
        payload=_payload(request),
        media_url=request.media_url,
    )
    if tasks.drain_covers_next_commit():
        # The drain this process enqueued a moment ago starts after this row commits: one INSERT.
        _insert(submission)
        tasks.cover_after_commit()
    else:
        with transaction.atomic():
            _insert(submission)
            tasks.enqueue_create(submission)
    return submission, request


_INSERTS: dict[str, tuple[str, list[Any]]] = {}


def _insert(submission: Open311Submission) -> None:
    """`submission.save()` for a new row, with the INSERT statement built once per process (from
    the model's fields, so it follows the model) instead of compiled by the ORM on every call:
    that compilation was a quarter of a queued POST's CPU (docs/benchmarks.md, Open311). The
    model has no save() override and no signal receivers, so nothing is skipped."""
    db = router.db_for_write(Open311Submission)
    connection = connections[db]
    if connection.vendor not in _INSERTS:
        meta = Open311Submission._meta
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        quote = connection.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({}) RETURNING {}".format(  # noqa: S608 - names from the model
            quote(meta.db_table),
            ", ".join(quote(f.column) for f in fields),
            ", ".join(["%s"] * len(fields)),
            quote(meta.pk.column),
        )
        _INSERTS[connection.vendor] = (sql, fields)
    sql, fields = _INSERTS[connection.vendor]
    params = [f.get_db_prep_save(f.pre_save(submission, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (submission.pk,) = cursor.fetchone()
    submission._state.adding = False
    submission._state.db = db


def _request_of(payload: dict[str, Any]) -> CheckedRequest:
    """The checked request back from a queued row (its service read again: it may have been
    switched off since)."""
    code = str(payload.get("service_code") or "")
    category = selectors.active_category(code)
    if category is None:
        raise ValidationFailed(f"service_code “{code[:40]}”不存在或已停用。", code="service_code_unknown")
    return CheckedRequest(
        category=category,
        description=str(payload.get("description") or ""),
        latitude=payload.get("lat"),
        longitude=payload.get("long"),
        address=str(payload.get("address") or ""),
        submitter_name=str(payload.get("name") or ""),
        phone=crypto.decrypt(str(payload.get("phone") or "")),
        media_url="",
    )


# What a settled row drops from its payload: the submitter's name and phone (the case has them)
# and the client's address (the case's audit record and events have it).
_PERSONAL = ("name", "phone", "ip")
INTERNAL_ERROR = "系统内部错误，诉求未能创建，请重新提交。"


@transaction.atomic
def open311_request_create(*, submission_id: int, skip_locked: bool = False) -> Open311Submission | None:
    """The task worker's half of a queued request: make its case (the row becomes `created` with
    the case) or record why not (`failed`, with the refusal's code and Chinese message, which
    GET tokens answers). A row already settled is left as it is, so a task run twice makes one
    case; with `skip_locked`, a row another worker holds is left to it (None is returned). The
    case's audit record and events carry the id and address of the POST."""
    rows = Open311Submission.objects.select_for_update(skip_locked=skip_locked).filter(pk=submission_id)
    found = list(rows.order_by())  # no ORDER BY, no join: the client is kept in the process
    submission = found[0] if found else None
    if submission is None or submission.status != SubmissionStatus.QUEUED:
        return None if skip_locked else submission
    client = submission.client = _client_by_id(submission.client_id)
    payload = dict(submission.payload)
    before = snapshot(submission)
    origin = RequestContext(
        request_id=str(payload.get("request_id") or ""), ip=str(payload.get("ip") or ""), source="api"
    )
    with context_scope(origin):
        try:
            # No savepoint of its own: a refusal comes from the checks before case_submit or from
            # case_submit, which rolls back to its own savepoint.
            request = replace(_request_of(payload), media_url=submission.media_url)
            submission.case = _make_case(client, request, submission.token)
            submission.status = SubmissionStatus.CREATED
        except ApplicationError as exc:
            submission.status = SubmissionStatus.FAILED
            submission.error_code = exc.code[:40]
            submission.error = exc.message[:300]
        for key in _PERSONAL:
            payload.pop(key, None)
        submission.payload = payload
        submission.processed_at = timezone.now()
        submission.save(update_fields=["case", "status", "payload", "error_code", "error", "processed_at"])
        audit_update(actor=None, obj=submission, before=before, message=_client_note(client))
        if submission.status == SubmissionStatus.FAILED:
            record_event(
                actor=None,
                event_type=events.REQUEST_FAILED,
                obj=submission,
                data={"client": client.prefix, "code": submission.error_code, "token": submission.token},
            )
    return submission


@transaction.atomic
def open311_request_fail(*, submission_id: int, reason: str = INTERNAL_ERROR) -> Open311Submission | None:
    """A queued row whose task broke on something other than a refusal (a bug, the database gone):
    marked failed, so the client polling its token learns to submit again instead of waiting."""
    submission = (
        Open311Submission.objects.select_for_update(of=("self",))
        .select_related("client__jurisdiction")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None or submission.status != SubmissionStatus.QUEUED:
        return submission
    before = snapshot(submission)
    submission.status = SubmissionStatus.FAILED
    submission.error_code = "internal_error"
    submission.error = reason[:300]
    submission.payload = {k: v for k, v in submission.payload.items() if k not in _PERSONAL}
    submission.processed_at = timezone.now()
    submission.save(update_fields=["status", "payload", "error_code", "error", "processed_at"])
    audit_update(actor=None, obj=submission, before=before, message=_client_note(submission.client))
    record_event(
        actor=None,
        event_type=events.REQUEST_FAILED,
        obj=submission,
        data={"client": submission.client.prefix, "code": "internal_error", "token": submission.token},
    )
    return submission


DRAIN_BATCH = 100


def open311_queue_drain() -> dict[str, int]:
    """Make the cases of the submissions queued now, oldest first, each in its own transaction
    (one refusal or one broken row does not hold up the rest). Rows queued later belong to a
    later drain (tasks.py); rows another drain holds are left to it. Returns the count of each
    outcome (created, failed, and skipped: settled or held elsewhere)."""
    counts = {"created": 0, "failed": 0, "skipped": 0}
    queued = Open311Submission.objects.filter(status=SubmissionStatus.QUEUED)
    last = queued.aggregate(last=Max("pk"))["last"]
    after = 0
    while last is not None:
        batch = queued.filter(pk__gt=after, pk__lte=last).order_by("pk")
        ids = list(batch.values_list("pk", flat=True)[:DRAIN_BATCH])
        if not ids:
            break
        for pk in ids:
            try:
                submission = open311_request_create(submission_id=pk, skip_locked=True)
            except Exception:
                log.exception("open311: submission %s could not be processed", pk)
                open311_request_fail(submission_id=pk)
                counts["failed"] += 1
                continue
            if submission is None:
                counts["skipped"] += 1
            else:
                counts[str(submission.status)] += 1
        after = ids[-1]
    return counts
