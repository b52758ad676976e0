"""The Open311 GeoReport v2 endpoints under /open311/v2/ (public; POST needs an api_key).

Each endpoint answers in the format its path names (.json or .xml), with the spec's error bodies:
400 for a bad parameter, 403 for a missing, unknown or stopped api_key (and, outside the spec's
list, for a key over its rate limit), 404 for an unknown service, request or token. The rest of
the platform's refusals (a place outside the county, a description too short) are 400s with
their Chinese message as the description.

POST requests answers with a token (OPEN311_ASYNC, the default: the case is made by the task
worker, GET tokens/{token} tells its service_request_id) or with the service_request_id (the
case made in the request). Either way a request that fails the cheap checks gets its 400 at once.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import math
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.core.context import context_scope, current
from apps.core.errors import ApplicationError, PermissionDenied, ValidationFailed

from . import formats, georeport, selectors, services
from .choices import SubmissionStatus

View = Callable[..., HttpResponse]
# Statuses the spec documents; the platform's 409 (a duplicate) is a bad request here, its 429 a 403.
SPEC_STATUS = {400: 400, 403: 403, 404: 404, 409: 400, 429: 403}


def _spec_status(exc: ApplicationError) -> int:
    return SPEC_STATUS.get(exc.http_status, 400)


def endpoint(*methods: str) -> Callable[[View], View]:
    """A GeoReport endpoint: the allowed methods, the spec's error bodies in the asked format, and
    the audit context marked as an API call. CSRF does not apply: no session is used."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = formats.error(fmt, 405, f"该地址不支持 {request.method} 方法。")
                response["Allow"] = ", ".join(methods)
                return response
            with context_scope(dataclasses.replace(current(), source="api")):
                try:
                    return view(request, *args, fmt=fmt, **kwargs)
                except ApplicationError as exc:
                    return formats.error(fmt, _spec_status(exc), exc.message)

        wrapper.csrf_exempt = True  # type: ignore[attr-defined]
        return wrapper

    return decorate


# --- parameters ------------------------------------------------------------------------------------


def _param(request: HttpRequest, name: str, limit: int = 200) -> str:
    source = request.POST if request.method == "POST" else request.GET
    return (source.get(name) or "").strip()[:limit]


def _list(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))


def _float(request: HttpRequest, name: str) -> float | None:
    raw = _param(request, name, 40)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValidationFailed(f"{name} 须为数字（十进制度）。", code=f"{name}_invalid")
    return value


def _datetime(request: HttpRequest, name: str, *, end_of_day: bool = False) -> datetime.datetime | None:
    """ISO 8601 with an offset or Z; without one, Beijing time; a bare date is the whole day."""
    raw = _param(request, name, 40)
    if not raw:
        return None
    # An unencoded "+08:00" arrives as " 08:00" (a plus in a query string is a space).
    text = raw.replace(" ", "+") if "T" in raw else raw
    try:
        value = parse_datetime(text)
        day = None if value is not None else parse_date(text)
    except ValueError:
        value = day = None
    if value is None and day is not None:
        value = datetime.datetime.combine(day, datetime.time.max if end_of_day else datetime.time.min)
    if value is None:
        raise ValidationFailed(
            f"{name} 须为 ISO 8601 时间，如 2026-11-21T08:00:00+08:00。", code=f"{name}_invalid"
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _jurisdiction(request: HttpRequest) -> Any:
    code = _param(request, "jurisdiction_id", 20)
    return selectors.jurisdiction_get(code) if code else None


def _v2_url(request: HttpRequest) -> str:
    services_path = reverse("open311:services", kwargs={"fmt": "json"})
    return request.build_absolute_uri(services_path.rsplit("/", 1)[0] + "/")


# --- endpoints -------------------------------------------------------------------------------------


@endpoint("GET")
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    clients = request.build_absolute_uri(reverse("open311_clients:list"))
    key_service = f"api_key 由县级管理员在“开放接口客户端”页面发放：{clients}"
    document = georeport.discovery(_v2_url(request), key_service, selectors.services_changed_at())
    return formats.render(fmt, "discovery", document)


@endpoint("GET")
def services_list(request: HttpRequest, *, fmt: str) -> HttpResponse:
    _jurisdiction(request)  # accepted and checked; every county offers the same services
    return formats.render(fmt, "services", [georeport.service(c) for c in selectors.services()])


@endpoint("GET")
def service_definition(request: HttpRequest, code: str, *, fmt: str) -> HttpResponse:
    _jurisdiction(request)
    category = selectors.service_get(code)
    return formats.render(fmt, "service_definition", georeport.service_definition(category))


@endpoint("GET", "POST")
def requests_view(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    query = selectors.RequestQuery(
        ids=_list(_param(request, "service_request_id", 20_000)),
        service_codes=_list(_param(request, "service_code", 2000)),
        statuses=_list(_param(request, "status", 40).lower()),
        start=_datetime(request, "start_date"),
        end=_datetime(request, "end_date", end_of_day=True),
        jurisdiction=_jurisdiction(request),
    )
    agency = georeport.AgencyNames()
    found = [georeport.request(case, agency) for case in selectors.requests_find(query)]
    return formats.render(fmt, "service_requests", found)


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    api_key = _param(request, "api_key", 120) or (request.GET.get("api_key") or "").strip()[:120]
    if not api_key:
        raise PermissionDenied("缺少 api_key。", code="api_key_required")
    client = services.open311_client_authenticate(api_key)
    fields: dict[str, Any] = {
        "service_code": _param(request, "service_code", 40),
        "description": _param(request, "description", 5000),  # over 4000 is refused, not cut
        "latitude": _float(request, "lat"),
        "longitude": _float(request, "long"),
        "address": _param(request, "address_string", 200),
        "first_name": _param(request, "first_name", 25),
        "last_name": _param(request, "last_name", 25),
        "phone": _param(request, "phone", 30),
        "media_url": _param(request, "media_url", 600),
        "jurisdiction_id": _param(request, "jurisdiction_id", 20),
    }
    if services.queue_requests():
        submission, checked = services.open311_request_queue(client=client, **fields)
        answer = georeport.queued(submission.token, checked.category)
    else:
        submission = services.open311_request_submit(client=client, **fields)
        assert submission.case is not None
        answer = georeport.created(submission.case, submission.token)
    response = formats.render(fmt, "service_requests", [answer], status=201)
    response["Cache-Control"] = "no-store"
    return response


@endpoint("GET")
def request_detail(request: HttpRequest, service_request_id: str, *, fmt: str) -> HttpResponse:
    case = selectors.request_get(service_request_id, _jurisdiction(request))
    return formats.render(fmt, "service_requests", [georeport.request(case, georeport.AgencyNames())])


@endpoint("GET")
def token_detail(request: HttpRequest, token: str, *, fmt: str) -> HttpResponse:
    """The service_request_id behind a token: empty while the case is queued; for a request the
    worker could not make into a case, the spec's 400 with the reason (what the POST would have
    answered had it not been queued), so a client stops asking."""
    submission = selectors.submission_by_token(token)
    if submission.status == SubmissionStatus.FAILED:
        raise ValidationFailed(f"诉求未能创建：{submission.error}", code="request_failed")
    tracking_code = submission.case.tracking_code if submission.case_id and submission.case else None
    response = formats.render(fmt, "service_requests", [georeport.token(submission.token, tracking_code)])
    if tracking_code is None:
        response["Cache-Control"] = "no-store"
    return response


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Anything else under /open311/v2/: the spec's 404, not the HTML error page."""
    fmt = formats.guess_format(request.path)
    return formats.error(fmt, 404, "接口不存在。可用的接口见 discovery.json。")


not_found.csrf_exempt = True  # type: ignore[attr-defined]
