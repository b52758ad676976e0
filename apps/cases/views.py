"""Case pages: inboxes, the case page with its actions (htmx), staff intake, the villager's phone
report (随手拍/村民信箱), the public progress page, a resident's own cases, a leader's 包案 list,
notices, categories and reception/meeting records.

Views read through selectors and write only through services. A refused action (ApplicationError)
is shown in the action panel it came from; the case is re-read so the page always shows the truth.
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts import access
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from apps.territory.choices import Level
from apps.territory.models import Organisation, Unit

from . import selectors, services
from .choices import STAFF_CHANNELS, Action, CaseKind, Channel, IntakeKind, Rating, Status, Triage
from .models import Case, CasePhoto, Category, Extension, Whistle

PAGE_SIZE = 25


def _map_config() -> dict[str, Any]:
    county = Unit.objects.filter(level=Level.COUNTY, latitude__isnull=False).order_by("code").first()
    centre = [county.latitude, county.longitude] if county else [26.42, 103.30]
    return {"tile_url": settings.MAP_TILE_URL, "centre": centre, "zoom": 10}


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _category(value: Any) -> Category:
    category = Category.objects.filter(pk=_int(value)).first() if _int(value) else None
    if category is None:
        category = Category.objects.filter(code=str(value or "")).first()
    if category is None:
        raise ValidationFailed("请选择诉求类别。", code="category_required")
    return category


def _unit(value: Any, *, required: bool = True) -> Unit | None:
    unit = Unit.objects.filter(code=str(value or "").strip()).first() if value else None
    if unit is None and required:
        raise ValidationFailed("请选择单位。", code="unit_required")
    return unit


def _orgs(values: list[str]) -> list[Organisation]:
    ids = [i for i in (_int(v) for v in values) if i]
    return list(Organisation.objects.filter(pk__in=ids))


def _villages() -> list[tuple[Unit, list[Unit]]]:
    """Townships of the county with their villages, for place pickers (public data)."""
    townships = list(Unit.objects.filter(level=Level.TOWNSHIP).order_by("code"))
    villages = list(Unit.objects.filter(level=Level.VILLAGE).order_by("code"))
    by_parent: dict[int, list[Unit]] = {}
    for v in villages:
        by_parent.setdefault(v.parent_id or 0, []).append(v)
    return [(t, by_parent.get(t.pk, [])) for t in townships]


# --- inboxes --------------------------------------------------------------------------------------


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.CASE_VIEW)
    box = request.GET.get("box") or ("to_accept" if access.has_perm(user, Perm.CASE_DISPATCH) else "to_sign")
    if box not in selectors.INBOXES:
        raise NotFound("没有这个收件箱。", code="unknown_inbox")
    since = _date(request.GET.get("since"))
    windowed = since is None and not request.GET.get("until") and box in selectors.HISTORY_BOXES
    if windowed:  # years of history: the recent window unless the user picks dates
        since = timezone.localdate() - datetime.timedelta(days=selectors.HISTORY_WINDOW_DAYS)
    filters = selectors.CaseFilters(
        q=request.GET.get("q", "").strip(),
        category=request.GET.get("category", ""),
        channel=request.GET.get("channel", ""),
        unit=request.GET.get("unit", "").strip(),
        urged=request.GET.get("urged") == "1",
        owned=request.GET.get("owned") == "1",
        since=since,
        until=_date(request.GET.get("until")),
    )
    qs = selectors.with_list_columns(selectors.apply_filters(selectors.inbox(user, box), filters))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = {k: v for k, v in request.GET.items() if k not in ("page", "box") and v}
    context = {
        "nav_active": "cases",
        "box": box,
        "boxes": selectors.INBOXES,
        "counts": selectors.inbox_counts(user),
        "page": page,
        "filters": filters,
        "query": urlencode(query),
        "tree": selectors.category_tree(),
        "channels": Channel.choices,
        "can_dispatch": access.has_perm(user, Perm.CASE_DISPATCH),
        "can_intake": access.has_perm(user, Perm.CASE_INTAKE),
        "bulk": box in ("to_dispatch", "to_accept") and access.has_perm(user, Perm.CASE_DISPATCH),
        "now": timezone.now(),
        "windowed": windowed,
        "window_days": selectors.HISTORY_WINDOW_DAYS,
    }
    context["targets"] = bulk_targets(user) if context["bulk"] else []
    if request.htmx and request.htmx.target == "case-list":
        return render(request, "cases/inbox.html#case-list", context)
    return render(request, "cases/inbox.html", context)


@login_required
@require_POST
def bulk_dispatch(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.CASE_DISPATCH)
    ids = [i for i in (_int(v) for v in request.POST.getlist("case")) if i]
    if not ids:
        messages.error(request, "请先勾选要派发的诉求。")
        return redirect(f"{reverse('cases:inbox')}?box=to_dispatch")
    target = request.POST.get("target", "")
    unit = org = None
    if target.startswith("org:"):
        org = Organisation.objects.filter(pk=_int(target[4:])).first()
    elif target.startswith("unit:"):
        unit = _unit(target[5:], required=False)
    if unit is None and org is None:
        messages.error(request, "请选择承办单位或部门。")
        return redirect(f"{reverse('cases:inbox')}?box=to_dispatch")
    cases = list(selectors.cases_visible(user).filter(pk__in=ids).select_related("unit", "category"))
    outcome = services.cases_bulk_dispatch(actor=user, cases=cases, unit=unit, organisation=org)
    if outcome.done:
        messages.success(request, f"已派发 {len(outcome.done)} 件。")
    for case, why in outcome.failed:
        messages.error(request, f"{case.tracking_code}：{why}")
    return redirect(f"{reverse('cases:inbox')}?box=to_dispatch")


def bulk_targets(user: User) -> list[tuple[str, str]]:
    """Targets for bulk dispatch: the units the user dispatches for and their villages, departments."""
    scope = access.split_scope_of(user, Perm.CASE_DISPATCH)
    units = Unit.objects.filter(level__in=[Level.TOWNSHIP, Level.VILLAGE]).order_by("code")
    if not scope.everything:
        units = units.filter(scope.q("code"))
    out = [(f"unit:{u.code}", u.display_name) for u in units[:400]]
    orgs = access.restrict(Organisation.objects.filter(is_active=True), user, Perm.TERRITORY_VIEW)
    out += [(f"org:{o.pk}", o.name) for o in orgs.order_by("name")[:200]]
    return out


# --- the case page --------------------------------------------------------------------------------


def _detail_context(
    request: HttpRequest, case: Case, error: ApplicationError | None = None
) -> dict[str, Any]:
    user = _actor(request)
    actions = services.allowed_actions(user, case)
    show_contact = not case.is_anonymous or access.obj_allowed(user, Perm.CASE_DISPATCH, case)
    context: dict[str, Any] = {
        "nav_active": "cases",
        "case": case,
        "actions": actions,
        "steps": selectors.timeline(case),
        "photos": list(case.photos.all()),
        "whistles": list(selectors.whistles_of(case)),
        "extension": selectors.pending_extension(case),
        "related": selectors.related_cases(case),
        "duplicates": selectors.possible_duplicates(user, case) if Action.ACCEPT in actions else [],
        "show_contact": show_contact,
        "error": error,
        "Action": {a.name: a.value for a in Action},
        "triage_choices": Triage.choices,
        "rating_choices": Rating.choices,
        "my_orgs": access.organisations_of(user),
        "today": timezone.localdate(),
    }
    if Action.DISPATCH in actions or Action.SPLIT in actions or Action.WHISTLE in actions:
        context["targets"] = selectors.dispatch_targets(user, case)
    if case.latitude is not None and case.longitude is not None:
        context["map_point"] = {"lat": case.latitude, "lng": case.longitude, "label": case.title}
        context["map_config"] = _map_config()
    return context


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(_actor(request), pk)
    return render(request, "cases/case_detail.html", _detail_context(request, case))


def _run_action(request: HttpRequest, user: User, case: Case, action: str) -> str:
    """Call the service for one action with the posted fields; returns a success message."""
    post = request.POST
    note = post.get("note", "")
    version = _int(post.get("version"))
    if action == Action.ACCEPT:
        category = _category(post["category"]) if post.get("category") else None
        services.case_accept(actor=user, case=case, category=category, note=note, expected_version=version)
        return "已受理。"
    if action == Action.REJECT:
        services.case_reject(actor=user, case=case, reason=note, expected_version=version)
        return "已不予受理，并告知提交人。"
    if action == Action.TRIAGE:
        services.case_triage(
            actor=user, case=case, triage=post.get("triage", ""), note=note, expected_version=version
        )
        return "已分流。"
    if action == Action.DISPATCH:
        target = post.get("target", "")
        unit = _unit(target[5:], required=False) if target.startswith("unit:") else None
        org = Organisation.objects.filter(pk=_int(target[4:])).first() if target.startswith("org:") else None
        services.case_dispatch(
            actor=user,
            case=case,
            unit=unit,
            organisation=org,
            supporting=_orgs(post.getlist("supporting")),
            note=note,
            expected_version=version,
        )
        return "已派单。"
    if action == Action.SIGN:
        services.case_sign(actor=user, case=case, expected_version=version)
        return "已签收，请在时限内办理。"
    if action == Action.RETURN:
        services.case_return(actor=user, case=case, reason=note, expected_version=version)
        return "已退回派单单位。"
    if action == Action.ESCALATE:
        services.case_escalate(actor=user, case=case, reason=note, expected_version=version)
        return "已上报上一级。"
    if action == Action.PROGRESS:
        services.case_progress(actor=user, case=case, note=note, expected_version=version)
        return "已记录办理进展。"
    if action == Action.REPLY:
        services.case_reply(
            actor=user,
            case=case,
            reply=note,
            photos=request.FILES.getlist("photos"),
            expected_version=version,
        )
        return "已答复。"
    if action == Action.EXTENSION_REQUEST:
        services.extension_request(
            actor=user, case=case, days=_int(post.get("days")) or 0, reason=note, expected_version=version
        )
        return "延期申请已提交。"
    if action == Action.EXTENSION_DECIDE:
        extension = Extension.objects.filter(pk=_int(post.get("extension")), case=case).first()
        if extension is None:
            raise NotFound("延期申请不存在。", code="not_found")
        approve = post.get("decision") == "approve"
        services.extension_decide(actor=user, extension=extension, approve=approve, note=note)
        return "已批准延期。" if approve else "已驳回延期申请。"
    if action == Action.URGE:
        services.case_urge(actor=user, case=case, note=note, expected_version=version)
        return "已督办。"
    if action == Action.FOLLOW_UP:
        services.case_follow_up(
            actor=user, case=case, rating=post.get("rating", ""), note=note, expected_version=version
        )
        return "已记录回访结果。"
    if action == Action.CLOSE:
        services.case_close(actor=user, case=case, note=note, expected_version=version)
        return "已办结。"
    if action == Action.MERGE:
        original = Case.objects.filter(tracking_code=post.get("original", "").strip().upper()).first()
        if original is None:
            raise ValidationFailed("请填写原诉求的查询码。", code="original_required")
        services.case_merge(actor=user, case=case, original=original, note=note, expected_version=version)
        return f"已合并到 {original.tracking_code}。"
    if action == Action.SPLIT:
        parts = [services.SplitPart(organisation=o) for o in _orgs(post.getlist("parts"))]
        services.case_split(actor=user, case=case, parts=parts, note=note, expected_version=version)
        return f"已拆分为 {len(parts)} 个子件。"
    if action == Action.WHISTLE:
        services.case_whistle(
            actor=user,
            case=case,
            organisations=_orgs(post.getlist("organisations")),
            reason=note,
            sign_days=_int(post.get("days")) if post.get("days") not in (None, "") else 1,
            expected_version=version,
        )
        return "已吹哨，部门须按时报到。"
    if action == Action.OWN:
        deadline = _date(post.get("deadline"))
        if deadline is None:
            raise ValidationFailed("请填写承诺办结日期。", code="deadline_required")
        services.case_own(actor=user, case=case, deadline=deadline, note=note, expected_version=version)
        return "已包案。"
    raise NotFound("没有这个操作。", code="unknown_action")


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _actor(request)
    case = selectors.case_get(user, pk)
    try:
        message = _run_action(request, user, case, action)
    except (ValidationFailed, Conflict) as err:
        # Bad input, or someone else moved the case on: show the message over the fresh state.
        # (A refusal of permission is a 403 page, like anywhere else.)
        return _after_action(request, pk, error=err)
    messages.success(request, message)
    return _after_action(request, pk)


def _after_action(request: HttpRequest, pk: int, error: ApplicationError | None = None) -> HttpResponse:
    user = _actor(request)
    try:
        case = selectors.case_get(user, pk)
    except (PermissionDenied, NotFound):
        # e.g. a department that returned the case no longer sees it
        messages.success(request, "操作已完成。") if error is None else messages.error(request, error.message)
        return redirect("cases:inbox")
    if request.htmx:
        context = _detail_context(request, case, error)
        response = render(request, "cases/case_detail.html#case-body", context)
        if error is not None:
            response.status_code = 200  # the panel shows the message; keep htmx swapping
        return response
    if error is not None:
        messages.error(request, error.message)
    return redirect("cases:detail", pk=pk)


@login_required
@require_POST
def whistle_action(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    user = _actor(request)
    whistle = Whistle.objects.select_related("case").filter(pk=pk).first()
    if whistle is None:
        raise NotFound("吹哨记录不存在。", code="not_found")
    selectors.case_get(user, whistle.case_id)
    try:
        if step == "sign":
            services.whistle_sign(actor=user, whistle=whistle)
            messages.success(request, "已报到。")
        elif step == "done":
            services.whistle_done(actor=user, whistle=whistle, result=request.POST.get("note", ""))
            messages.success(request, "已反馈办理情况。")
        else:
            raise NotFound("没有这个操作。", code="unknown_action")
    except (ValidationFailed, Conflict) as err:
        return _after_action(request, whistle.case_id, error=err)
    return _after_action(request, whistle.case_id)


@login_required
def photo(request: HttpRequest, pk: int) -> FileResponse:
    item = CasePhoto.objects.select_related("case").filter(pk=pk).first()
    if item is None:
        raise NotFound("照片不存在。", code="not_found")
    user = _actor(request)
    if item.case.submitter_id != user.pk:
        selectors.case_get(user, item.case_id)
    return FileResponse(item.image.open("rb"))  # content type from the stored file's extension


# --- intake ---------------------------------------------------------------------------------------


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """Staff entry: a hotline call, a reception, a meeting, a patrol finding."""
    user = _actor(request)
    access.require(user, Perm.CASE_INTAKE)
    error: ApplicationError | None = None
    records = list(selectors.intake_records(user)[:30])
    if request.method == "POST":
        post = request.POST
        try:
            channel = post.get("channel", "")
            if channel not in STAFF_CHANNELS:
                raise ValidationFailed("请选择登记渠道。", code="channel_required")
            record = next((r for r in records if r.pk == _int(post.get("intake_record"))), None)
            case = services.case_submit(
                actor=user,
                channel=channel,
                category=_category(post.get("category")),
                title=post.get("title", ""),
                description=post.get("description", ""),
                unit=_unit(post.get("unit"), required=False),
                latitude=_float(post.get("latitude")),
                longitude=_float(post.get("longitude")),
                address=post.get("address", ""),
                submitter_name=post.get("submitter_name", ""),
                submitter_phone=post.get("submitter_phone", ""),
                is_anonymous=post.get("is_anonymous") == "on",
                photos=request.FILES.getlist("photos"),
                intake_record=record,
                external_id=post.get("external_id", "").strip(),
            )
        except ApplicationError as err:
            error = err
        else:
            messages.success(request, f"已登记，查询码 {case.tracking_code}。")
            return redirect("cases:detail", pk=case.pk)
    context = {
        "nav_active": "cases",
        "error": error,
        "post": request.POST if request.method == "POST" else {},
        "channels": [(c.value, c.label) for c in STAFF_CHANNELS],
        "tree": selectors.category_tree(),
        "places": _villages_in_scope(user),
        "records": records,
    }
    return render(request, "cases/intake.html", context, status=error.http_status if error else 200)


def _villages_in_scope(user: User) -> list[tuple[Unit, list[Unit]]]:
    scope = access.scope_of(user, Perm.CASE_INTAKE)
    return [
        (t, [v for v in vs if scope.covers(v.code)])
        for t, vs in _villages()
        if scope.covers(t.code) or any(scope.covers(v.code) for v in vs)
    ]


@login_required
def intake_records(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.CASE_INTAKE)
    error: ApplicationError | None = None
    if request.method == "POST":
        post = request.POST
        try:
            unit = _unit(post.get("unit"))
            assert unit is not None
            held_on = _date(post.get("held_on"))
            if held_on is None:
                raise ValidationFailed("请填写日期。", code="date_required")
            services.intake_record_create(
                actor=user,
                kind=post.get("kind", ""),
                unit=unit,
                held_on=held_on,
                place=post.get("place", ""),
                host=post.get("host", ""),
                attendees=_int(post.get("attendees")) or 0,
                batches=_int(post.get("batches")) or 0,
                minutes=post.get("minutes", ""),
            )
        except ApplicationError as err:
            error = err
        else:
            messages.success(request, "已保存记录。")
            return redirect("cases:intake_records")
    records = Paginator(selectors.intake_records(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/intake_records.html",
        {
            "nav_active": "cases",
            "records": records,
            "kinds": IntakeKind.choices,
            "places": _villages_in_scope(user),
            "error": error,
            "post": request.POST if request.method == "POST" else {},
            "today": timezone.localdate(),
        },
        status=error.http_status if error else 200,
    )


def report(request: HttpRequest) -> HttpResponse:
    """随手拍 / 村民信箱: anyone may report; a signed-in resident's cases are theirs to follow."""
    channel = Channel.MAILBOX if request.GET.get("channel") == "mailbox" else Channel.PHOTO
    error: ApplicationError | None = None
    user = request.user if request.user.is_authenticated else None
    if request.method == "POST":
        post = request.POST
        channel = Channel.MAILBOX if post.get("channel") == "mailbox" else Channel.PHOTO
        try:
            if not (post.get("submitter_phone") or user):
                raise ValidationFailed(
                    "请留下手机号，以便回访；选择匿名时，手机号只对受理人员可见。", code="phone_required"
                )
            case = services.case_submit(
                actor=user if isinstance(user, User) else None,
                channel=channel,
                category=_category(post.get("category")),
                title=post.get("title", ""),
                description=post.get("description", ""),
                unit=_unit(post.get("unit"), required=False),
                latitude=_float(post.get("latitude")),
                longitude=_float(post.get("longitude")),
                address=post.get("address", ""),
                submitter_name=post.get("submitter_name", ""),
                submitter_phone=post.get("submitter_phone", ""),
                is_anonymous=post.get("is_anonymous") == "on",
                photos=request.FILES.getlist("photos"),
            )
        except ApplicationError as err:
            error = err
        else:
            return redirect(f"{reverse('cases:track', args=[case.tracking_code])}?new=1")
    context = {
        "channel": channel,
        "error": error,
        "post": request.POST if request.method == "POST" else {},
        "tree": selectors.category_tree(),
        "places": _villages(),
        "signed_in": user is not None,
        "map_config": _map_config(),
    }
    return render(request, "cases/report.html", context, status=error.http_status if error else 200)


def track(request: HttpRequest, code: str) -> HttpResponse:
    """Public progress page: status and the public steps (bodies, never persons or notes)."""
    case = selectors.public_case(code)
    shown = case.merged_into if case.merged_into_id and case.merged_into else case
    own = request.user.is_authenticated and shown.submitter_id == request.user.pk
    return render(
        request,
        "cases/track.html",
        {
            "case": shown,
            "asked": case,
            "steps": selectors.public_steps(shown),
            "new": request.GET.get("new") == "1",
            "own": own,
            "can_rate": own and shown.status == Status.REPLIED,
            "rating_choices": Rating.choices,
        },
    )


def track_lookup(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("code", "").strip().upper()
    if code:
        return redirect("cases:track", code=code)
    return render(request, "cases/track_lookup.html", {})


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    cases = Paginator(selectors.my_cases(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/my_cases.html", {"page": cases})


@login_required
@require_POST
def rate(request: HttpRequest, code: str) -> HttpResponse:
    """The submitter rates the reply on their own case (回访 by themselves)."""
    case = selectors.public_case(code)
    user = _actor(request)
    if case.submitter_id != user.pk:
        raise PermissionDenied("只能评价自己提交的诉求。", code="not_the_submitter")
    try:
        services.case_follow_up(
            actor=user, case=case, rating=request.POST.get("rating", ""), note=request.POST.get("note", "")
        )
    except ApplicationError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, "感谢您的评价。")
    return redirect("cases:track", code=case.tracking_code)


@login_required
def owned(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.CASE_OWN)
    return render(
        request,
        "cases/owned.html",
        {"nav_active": "cases", "cases": selectors.owned_cases(user), "today": timezone.localdate()},
    )


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    if request.method == "POST":
        services.notices_mark_read(actor=user)
        return redirect("cases:notices")
    page = Paginator(selectors.notices_for(user), 30).get_page(request.GET.get("page"))
    return render(request, "cases/notices.html", {"page": page, "unread": selectors.unread_count(user)})


# --- configuration --------------------------------------------------------------------------------

DAY_FIELDS = ("accept_days", "sign_days", "reply_days", "return_days", "follow_up_days", "order")


@login_required
def categories(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.CASE_CONFIGURE)
    error: ApplicationError | None = None
    if request.method == "POST":
        post = request.POST
        existing = Category.objects.filter(pk=_int(post.get("pk"))).first() if post.get("pk") else None
        try:
            fields: dict[str, Any] = {
                "name": post.get("name", "").strip(),
                "kind": post.get("kind", ""),
                "default_triage": post.get("default_triage", ""),
                "description": post.get("description", "").strip(),
                "parent": Category.objects.filter(pk=_int(post.get("parent"))).first(),
                "is_active": post.get("is_active") == "on",
            }
            for key in DAY_FIELDS:
                value = _int(post.get(key))
                if value is None:
                    raise ValidationFailed("时限须为整数（工作日）。", code="days_invalid")
                fields[key] = value
            services.category_save(actor=user, category=existing, code=post.get("code", ""), **fields)
        except ApplicationError as err:
            error = err
        else:
            messages.success(request, "已保存。")
            return redirect("cases:categories")
    return render(
        request,
        "cases/categories.html",
        {
            "nav_active": "cases",
            "tree": selectors.category_tree(active_only=False),
            "kinds": CaseKind.choices,
            "triages": Triage.choices,
            "error": error,
            "edit": Category.objects.filter(pk=_int(request.GET.get("edit"))).first()
            if request.GET.get("edit")
            else None,
            "roots": Category.objects.filter(parent__isnull=True).order_by("order"),
        },
        status=error.http_status if error else 200,
    )
