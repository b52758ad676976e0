"""Writes of the Open311 module: API clients (create, deactivate) and the service requests they
submit, which become cases through `apps.cases.services.case_submit` on the "api" channel.

A client is a machine, not a user: its permission is its key (checked by
`open311_client_authenticate`), bound to one county; the case is submitted with actor=None like
any citizen channel, and the submission row, its audit record and its event name the client.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import math
import re
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts import access
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.audit.services import audit_create, audit_update, record_event, snapshot
from apps.cases import services as case_services
from apps.cases.choices import Channel
from apps.core.errors import Conflict, PermissionDenied, RateLimited, ValidationFailed
from apps.territory.choices import Level
from apps.territory.models import Grid, Unit

from . import events, places, selectors
from .models import Open311Client, Open311Submission

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
    prefix = client.prefix
    _clients.pop(prefix, None)
    transaction.on_commit(lambda: _clients.pop(prefix, None))
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


def _title(description: str) -> str:
    first_line = description.strip().splitlines()[0].strip() if description.strip() else ""
    return first_line if len(first_line) <= TITLE_CHARS else first_line[: TITLE_CHARS - 1] + "…"


def _phone(raw: str) -> str:
    phone = _PHONE_JUNK.sub("", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    return phone


def _media_url(raw: str) -> str:
    url = (raw or "").strip()
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise ValidationFailed("media_url 须为 http 或 https 网址。", code="media_url_invalid") from exc
    if len(url) > 500:
        raise ValidationFailed("media_url 不能超过 500 个字符。", code="media_url_too_long")
    return url


def _place(
    client: Open311Client, latitude: float | None, longitude: float | None, address: str
) -> tuple[Unit, Grid | None]:
    county = client.jurisdiction
    if (latitude is None) != (longitude is None):
        raise ValidationFailed("lat 和 long 须同时提供。", code="coordinates_incomplete")
    if latitude is not None and longitude is not None:
        if not places.in_china(latitude, longitude):
            raise ValidationFailed("lat/long 不在中国范围内（请检查是否颠倒）。", code="point_out_of_range")
        grid = places.grid_at(county, latitude=latitude, longitude=longitude)
        if grid is not None:
            return grid.unit, grid
        if not address.strip():
            raise ValidationFailed(
                f"该位置不在{county.display_name}的网格内，请同时提供 address_string（写明乡镇、村）。",
                code="point_outside_jurisdiction",
            )
    elif not address.strip():
        raise ValidationFailed("请提供位置：lat 和 long，或 address_string。", code="location_required")
    try:
        return places.unit_in_text(county, address), None
    except places.PlaceNotFound as exc:
        raise ValidationFailed(str(exc), code="address_unknown") from exc


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
    """POST requests: a case on the "api" channel in the client's county, and its token.
    The email, device_id and account_id of the spec are not kept (a case has no place for them)."""
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
    url = _media_url(media_url)
    unit, grid = _place(client, latitude, longitude, address or "")
    if grid is None:
        # Placed by the address: the point lies outside every grid of the county, and case_submit
        # would look it up again (apps.territory.geo has no `locate` yet); the case keeps no point.
        latitude = longitude = None
    case = case_services.case_submit(
        actor=None,
        channel=Channel.API,
        category=category,
        title=_title(description) or category.name,
        description=description,
        unit=unit,
        grid=grid,
        latitude=latitude,
        longitude=longitude,
        address=address,
        submitter_name=f"{(last_name or '').strip()}{(first_name or '').strip()}",
        submitter_phone=_phone(phone),
    )
    submission = Open311Submission(client=client, case=case, token=secrets.token_hex(16), media_url=url)
    submission.save()
    audit_create(actor=None, obj=submission, message=f"开放接口客户端：{client.name}（{client.prefix}）")
    record_event(
        actor=None,
        event_type=events.REQUEST_SUBMITTED,
        obj=case,
        data={"client": client.prefix, "client_name": client.name, "service_code": code, "media_url": url},
    )
    return submission
