"""Pages of the 积分制 module: staff pages (applications and their two signatures, accounts and
ledgers, rulebooks, stores and the counter, time-bank activities, the honour board), the
resident's own pages (my points, apply, pre-order, my hours) and the public board of a village.

Views read through selectors and write only through services. A refusal from a button (approve,
redeem…) comes back as a message on the page the button was on; a refusal from a form re-renders
the form with the message. Anything else escapes to ApplicationErrorMiddleware.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_GET, require_POST

from apps.accounts import access
from apps.accounts.choices import UserKind
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from apps.people.models import Household, Resident
from apps.territory.choices import Level
from apps.territory.models import Unit

from . import selectors, services
from .choices import (
    AccountBasis,
    Applicant,
    ApplicationStatus,
    Direction,
    Evidence,
    LimitPeriod,
    RedemptionStatus,
    VersionStatus,
)
from .models import Goods, RuleItem, Signup

PAGE_SIZE = 25
# Refusals shown on the page the user is on. PermissionDenied and NotFound are not among them: they
# escape to the error page (403/404) like any request for something the user may not reach.
REFUSALS = (ValidationFailed, Conflict)


# --- helpers --------------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _page(request: HttpRequest, items: Any, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def _me(request: HttpRequest) -> Resident | None:
    """The resident behind a resident login; None for staff."""
    user = _actor(request)
    if user.kind != UserKind.RESIDENT:
        return None
    from apps.people.selectors import resident_of

    me = resident_of(user)
    if me is None:
        raise PermissionDenied(
            "您的账号尚未关联居民档案，请联系村委会或网格员核实身份后再使用积分服务。",
            code="resident_not_linked",
        )
    return me


def _resident_only(request: HttpRequest) -> Resident:
    me = _me(request)
    if me is None:
        raise PermissionDenied("这是居民本人的页面；工作人员请使用积分管理页面。", code="resident_only")
    return me


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Back to the page the button was on (same site only)."""
    target = request.POST.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(fallback)


def _act(request: HttpRequest, fallback: str, action: Any, success: str) -> HttpResponse:
    """Run a button's service call; its refusal becomes an error message on the same page."""
    try:
        action()
    except REFUSALS as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return _back(request, fallback)


def _villages(user: Any, perm: Perm) -> list[Unit]:
    """Villages (and townships) where `user` holds `perm`, for the pickers."""
    qs = access.restrict(Unit.objects.filter(level__in=[Level.TOWNSHIP, Level.VILLAGE]), user, perm)
    return list(qs.order_by("code")[:300])


def _unit(user: Any, code: str, perm: Perm) -> Unit:
    unit = Unit.objects.filter(code=(code or "").strip()).first()
    if unit is None:
        raise ValidationFailed("请选择村（社区）或乡镇。", code="unit_required")
    access.require(user, perm, unit.code)
    return unit


# --- staff home -----------------------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    if user.kind == UserKind.RESIDENT:
        return redirect("points:my")
    access.require(user, Perm.POINTS_VIEW)
    context = {
        "nav_active": "points",
        "todo": selectors.application_list(user, status="todo")[:10],
        "todo_count": selectors.todo_count(user),
        "stores": selectors.stores_visible(user).filter(is_active=True)[:10],
        "can_apply": access.has_perm(user, Perm.POINTS_APPLY),
        "can_rulebook": access.has_perm(user, Perm.POINTS_RULEBOOK),
        "can_store": access.has_perm(user, Perm.STORE_OPERATE),
    }
    return render(request, "points/index.html", context)


# --- applications ---------------------------------------------------------------------------------


@login_required
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.POINTS_VIEW)
    status = request.GET.get("status", "todo")
    if status not in {"todo", "", *ApplicationStatus.values}:
        status = "todo"
    context = {
        "nav_active": "points",
        "page": _page(request, selectors.application_list(user, status=status)),
        "status": status,
        "statuses": ApplicationStatus.choices,
    }
    return render(request, "points/application_list.html", context)


def _household_choices(user: Any, q: str) -> list[Household]:
    if not q.strip():
        return []
    households = access.restrict(Household.objects.select_related("head", "unit"), user, Perm.POINTS_APPLY)
    members = access.restrict(Resident.objects.all(), user, Perm.POINTS_APPLY).filter(
        name__contains=q.strip()
    )
    from django.db.models import Q

    return list(
        households.filter(Q(number=q.strip()) | Q(pk__in=members.values("household_id"))).order_by(
            "unit__code", "number"
        )[:10]
    )


@login_required
def application_create(request: HttpRequest) -> HttpResponse:
    """A resident applies for themselves from a phone; staff apply on a household's behalf."""
    user = _actor(request)
    me = _me(request)
    if me is None:
        access.require(user, Perm.POINTS_APPLY)
    if request.htmx and request.method == "GET" and me is None:  # type: ignore[attr-defined]
        q = request.GET.get("q", "")
        return render(
            request,
            "points/application_form.html#household-choices",
            {"households": _household_choices(user, q), "q": q},
        )
    household: Household | None = None
    if me is not None:
        village = services.village_of(me.household.unit)
        items = selectors.current_items(village, Applicant.RESIDENT)
    else:
        hid = request.POST.get("household") or request.GET.get("household")
        if hid and str(hid).isdigit():
            household = access.get_for(
                user, Perm.POINTS_APPLY, Household.objects.select_related("unit__parent", "head"), pk=int(hid)
            )
        kind = services._applicant_kind(user)
        items = selectors.current_items(services.village_of(household.unit), kind) if household else []
    error = ""
    values = {"occurred_on": timezone.localdate().isoformat(), "note": "", "item": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("occurred_on", "note", "item")}
        try:
            item_id = values["item"]
            item = RuleItem.objects.filter(pk=int(item_id)).first() if item_id.isdigit() else None
            if item is None:
                raise ValidationFailed("请选择积分项目。", code="item_required")
            occurred = parse_date(values["occurred_on"] or "")
            if occurred is None:
                raise ValidationFailed("请填写发生日期。", code="occurred_on_required")
            if me is None and household is None:
                raise ValidationFailed("请先查找并选择户。", code="holder_required")
            application = services.application_submit(
                actor=user,
                item=item,
                occurred_on=occurred,
                household=household,
                note=values["note"],
                photo=request.FILES.get("photo"),
            )
        except REFUSALS as exc:
            error = exc.message
        else:
            messages.success(request, "申请已提交，等待积分管理员审核。")
            if me is not None:
                return redirect("points:my")
            return redirect("points:application_detail", pk=application.pk)
    context = {
        "nav_active": "points",
        "me": me,
        "household": household,
        "items": items,
        "values": values,
        "error": error,
    }
    return render(request, "points/application_form.html", context, status=400 if error else 200)


@login_required
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    if user.kind != UserKind.RESIDENT:
        access.require(user, Perm.POINTS_VIEW)
    else:
        _me(request)
    application = selectors.application_get(user, pk)
    status = application.status
    is_staff = user.kind != UserKind.RESIDENT
    context = {
        "nav_active": "points",
        "a": application,
        "entry": getattr(application, "entry", None) if status == ApplicationStatus.GRANTED else None,
        "can_approve": is_staff
        and status in (ApplicationStatus.SUBMITTED, ApplicationStatus.APPEALED)
        and access.obj_allowed(user, Perm.POINTS_APPROVE, application),
        "can_countersign": is_staff
        and status == ApplicationStatus.APPROVED
        and access.obj_allowed(user, Perm.POINTS_COUNTERSIGN, application),
        "can_appeal": status == ApplicationStatus.REJECTED and application.appealed_at is None,
    }
    return render(request, "points/application_detail.html", context)


def _application_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _actor(request)
    if user.kind != UserKind.RESIDENT:
        access.require(user, Perm.POINTS_VIEW)
    application = selectors.application_get(user, pk)
    reason = request.POST.get("reason", "")
    calls = {
        "approve": (
            lambda: services.application_approve(actor=user, application=application),
            "已审核通过，等待监督人员复核。",
        ),
        "countersign": (
            lambda: services.application_countersign(actor=user, application=application),
            "已复核，积分已入账。",
        ),
        "reject": (
            lambda: services.application_reject(actor=user, application=application, reason=reason),
            "已驳回，申请人会看到理由。",
        ),
        "appeal": (
            lambda: services.application_appeal(actor=user, application=application, reason=reason),
            "申诉已提交。",
        ),
    }
    call, success = calls[action]
    return _act(request, reverse("points:application_detail", args=[pk]), call, success)


@login_required
@require_POST
def application_approve(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(_actor(request), Perm.POINTS_APPROVE)
    return _application_action(request, pk, "approve")


@login_required
@require_POST
def application_countersign(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(_actor(request), Perm.POINTS_COUNTERSIGN)
    return _application_action(request, pk, "countersign")


@login_required
@require_POST
def application_reject(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    if not (access.has_perm(user, Perm.POINTS_APPROVE) or access.has_perm(user, Perm.POINTS_COUNTERSIGN)):
        access.require(user, Perm.POINTS_APPROVE)
    return _application_action(request, pk, "reject")


@login_required
@require_POST
def application_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    if user.kind != UserKind.RESIDENT:
        access.require(user, Perm.POINTS_APPLY)
    return _application_action(request, pk, "appeal")


@login_required
@require_GET
def application_photo(request: HttpRequest, pk: int) -> FileResponse:
    user = _actor(request)
    if user.kind != UserKind.RESIDENT:
        access.require(user, Perm.POINTS_VIEW)
    application = selectors.application_get(user, pk)
    if not application.photo:
        raise NotFound("该申请没有照片。")
    return FileResponse(application.photo.open("rb"))


# --- accounts and ledger --------------------------------------------------------------------------


@login_required
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    """Balances, or with a period the statement: opening, earned, spent, closing per account."""
    user = _actor(request)
    access.require(user, Perm.POINTS_VIEW)
    q = request.GET.get("q", "").strip()
    unit_code = request.GET.get("unit", "").strip()
    period_key = request.GET.get("period", "").strip()
    period = selectors.parse_period(period_key) if period_key else None
    villages = _villages(user, Perm.POINTS_VIEW)
    if period is not None:
        code = unit_code or (villages[0].code if villages else "")
        if not code:
            raise PermissionDenied(access.denied_message(Perm.POINTS_VIEW), code="forbidden")
        rows: Any = selectors.monthly_statement(user, unit_code=code, period=period)
        if q:
            rows = rows.filter(pk__in=selectors.account_list(user, q=q).values("pk"))
    else:
        rows = selectors.account_list(user, q=q, unit_code=unit_code)
    page = _page(request, rows)
    if period is not None:
        # The statement rows are sums; the holders' names come for the rows of this page only.
        accounts = selectors.accounts_visible(user).in_bulk([row["pk"] for row in page.object_list])
        for row in page.object_list:
            account = accounts[row["pk"]]
            row.update(
                holder_label=account.holder_label,
                village=account.village,
                closing=row["opening"] + row["credited"] + row["spent"],
            )
    context = {
        "nav_active": "points",
        "page": page,
        "q": q,
        "unit": unit_code,
        "period": period,
        "period_key": period_key,
        "villages": villages,
        "this_month": timezone.localdate().strftime("%Y-%m"),
    }
    return render(request, "points/account_list.html", context)


@login_required
@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    account = selectors.account_get(user, pk)
    context = {
        "nav_active": "points",
        "account": account,
        "page": _page(request, selectors.account_entries(account), 30),
        "can_reverse": access.obj_allowed(user, Perm.POINTS_APPROVE, account),
        "verify": selectors.ledger_verify(type(account).objects.filter(pk=account.pk)),
    }
    return render(request, "points/account_detail.html", context)


@login_required
@require_POST
def entry_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.POINTS_APPROVE)
    entry = selectors.entry_get(user, pk)
    return _act(
        request,
        reverse("points:account_detail", args=[entry.account_id]),
        lambda: services.entry_reverse(actor=user, entry=entry, reason=request.POST.get("reason", "")),
        "已冲正：原记录保留，另记一笔冲正。",
    )


# --- rulebooks -----------------------------------------------------------------------------------


@login_required
def rulebook_list(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.POINTS_VIEW)
    error = ""
    if request.method == "POST":
        access.require(user, Perm.POINTS_RULEBOOK)
        try:
            unit = _unit(user, request.POST.get("unit", ""), Perm.POINTS_RULEBOOK)
            rulebook = services.rulebook_create(
                actor=user,
                unit=unit,
                name=request.POST.get("name", ""),
                account_basis=request.POST.get("account_basis") or AccountBasis.HOUSEHOLD,
                publish_warning_names=request.POST.get("publish_warning_names") == "on",
                points_per_hour=request.POST.get("points_per_hour") or 10,
            )
        except REFUSALS as exc:
            error = exc.message
        else:
            messages.success(request, "积分细则已建立：请添加积分项目后发布。")
            return redirect("points:rulebook_detail", pk=rulebook.pk)
    context = {
        "nav_active": "points",
        "rulebooks": selectors.rulebooks_visible(user).filter(is_active=True),
        "units": _villages(user, Perm.POINTS_RULEBOOK),
        "bases": AccountBasis.choices,
        "error": error,
    }
    return render(request, "points/rulebook_list.html", context, status=400 if error else 200)


@login_required
@require_GET
def rulebook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    rulebook = selectors.rulebook_get(user, pk)
    versions = list(rulebook.versions.order_by("-number"))
    wanted = request.GET.get("version", "")
    version = next((v for v in versions if str(v.number) == wanted), None)
    if version is None:
        version = next((v for v in versions if v.status == VersionStatus.DRAFT), None) or (
            versions[0] if versions else None
        )
    context = {
        "nav_active": "points",
        "rulebook": rulebook,
        "versions": versions,
        "version": version,
        "items": list(version.items.order_by("direction", "order", "code")) if version else [],
        "can_edit": access.obj_allowed(user, Perm.POINTS_RULEBOOK, rulebook),
        "has_draft": any(v.status == VersionStatus.DRAFT for v in versions),
        "directions": Direction.choices,
        "periods": LimitPeriod.choices,
        "evidences": Evidence.choices,
        "applicant_choices": Applicant.choices,
    }
    return render(request, "points/rulebook_detail.html", context)


@login_required
@require_POST
def version_draft(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.POINTS_RULEBOOK)
    rulebook = selectors.rulebook_get(user, pk)
    return _act(
        request,
        reverse("points:rulebook_detail", args=[pk]),
        lambda: services.version_draft(actor=user, rulebook=rulebook, note=request.POST.get("note", "")),
        "已起草新版本（复制了现行条目），修改后发布即生效；已入账的积分不受影响。",
    )


@login_required
@require_POST
def item_save(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.POINTS_RULEBOOK)
    version = selectors.version_get(user, pk)
    p = request.POST
    return _act(
        request,
        reverse("points:rulebook_detail", args=[version.rulebook_id]),
        lambda: services.item_save(
            actor=user,
            version=version,
            code=p.get("code", ""),
            name=p.get("name", ""),
            direction=p.get("direction", ""),
            points=p.get("points", ""),
            applicants=p.getlist("applicants"),
            category=p.get("category", ""),
            limit_count=p.get("limit_count") or None,
            limit_period=p.get("limit_period") or LimitPeriod.MONTH,
            evidence=p.get("evidence") or Evidence.NONE,
            description=p.get("description", ""),
        ),
        "积分项目已保存到草稿。",
    )


@login_required
@require_POST
def version_publish(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.POINTS_RULEBOOK)
    version = selectors.version_get(user, pk)
    effective = parse_date(request.POST.get("effective_from", "") or "")
    return _act(
        request,
        reverse("points:rulebook_detail", args=[version.rulebook_id]),
        lambda: services.version_publish(actor=user, version=version, effective_from=effective),
        "新版本已发布。",
    )


# --- stores --------------------------------------------------------------------------------------


@login_required
def store_list(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.POINTS_VIEW)
    error = ""
    if request.method == "POST":
        access.require(user, Perm.POINTS_RULEBOOK)
        try:
            unit = _unit(user, request.POST.get("unit", ""), Perm.POINTS_RULEBOOK)
            store = services.store_create(
                actor=user,
                unit=unit,
                name=request.POST.get("name", ""),
                address=request.POST.get("address", ""),
            )
        except REFUSALS as exc:
            error = exc.message
        else:
            messages.success(request, "积分超市已建立：请设置开放时段并上架商品。")
            return redirect("points:store_detail", pk=store.pk)
    context = {
        "nav_active": "points",
        "stores": selectors.stores_visible(user),
        "units": _villages(user, Perm.POINTS_RULEBOOK),
        "error": error,
    }
    return render(request, "points/store_list.html", context, status=400 if error else 200)


@login_required
@require_GET
def store_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    store = selectors.store_get(user, pk)
    today = timezone.localdate()
    context = {
        "nav_active": "points",
        "store": store,
        "goods": list(store.goods.order_by("price", "name")),
        "windows": list(store.windows.filter(closes_on__gte=today - datetime.timedelta(days=100))),
        "open_now": services.open_window(store, today),
        "next_window": services.next_window(store, today),
        "reserved": selectors.store_redemptions(store, RedemptionStatus.RESERVED)[:50],
        "recent": selectors.store_redemptions(store)[:20],
        "can_operate": access.obj_allowed(user, Perm.STORE_OPERATE, store),
        "can_settings": access.obj_allowed(user, Perm.POINTS_RULEBOOK, store),
    }
    return render(request, "points/store_detail.html", context)


@login_required
@require_POST
def window_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.POINTS_RULEBOOK)
    store = selectors.store_get(user, pk)

    def call() -> Any:
        opens = parse_date(request.POST.get("opens_on", "") or "")
        closes = parse_date(request.POST.get("closes_on", "") or "")
        if opens is None or closes is None:
            raise ValidationFailed("请填写开放日期和结束日期。", code="window_dates")
        return services.window_add(
            actor=user, store=store, opens_on=opens, closes_on=closes, note=request.POST.get("note", "")
        )

    return _act(request, reverse("points:store_detail", args=[pk]), call, "开放时段已设置。")


@login_required
@require_POST
def goods_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    if not (access.has_perm(user, Perm.STORE_OPERATE) or access.has_perm(user, Perm.POINTS_RULEBOOK)):
        access.require(user, Perm.STORE_OPERATE)
    store = selectors.store_get(user, pk)
    p = request.POST
    return _act(
        request,
        reverse("points:store_detail", args=[pk]),
        lambda: services.goods_save(
            actor=user,
            store=store,
            name=p.get("name", ""),
            price=p.get("price", ""),
            unit_label=p.get("unit_label", "件"),
            initial_stock=p.get("stock") or 0,
            photo=request.FILES.get("photo"),
        ),
        "商品已上架。",
    )


@login_required
@require_POST
def goods_stock(request: HttpRequest, pk: int) -> HttpResponse:
    """Restock (a quantity added) or stock-take (the counted quantity)."""
    user = _actor(request)
    access.require(user, Perm.STORE_OPERATE)
    goods = selectors.goods_get(user, pk, Perm.STORE_OPERATE)
    note = request.POST.get("note", "")
    if request.POST.get("action") == "stocktake":
        return _act(
            request,
            reverse("points:store_detail", args=[goods.store_id]),
            lambda: services.goods_stocktake(
                actor=user, goods=goods, counted=request.POST.get("quantity"), note=note
            ),
            f"“{goods.name}”盘点已记录。",
        )
    return _act(
        request,
        reverse("points:store_detail", args=[goods.store_id]),
        lambda: services.goods_restock(
            actor=user, goods=goods, quantity=request.POST.get("quantity"), note=note
        ),
        f"“{goods.name}”已补货。",
    )


@login_required
def counter(request: HttpRequest, pk: int) -> HttpResponse:
    """The shopkeeper's counter: find the household (code/QR, phone tail, name), then redeem."""
    user = _actor(request)
    access.require(user, Perm.STORE_OPERATE)
    store = selectors.store_get(user, pk, Perm.STORE_OPERATE)
    q = request.GET.get("q", "").strip()
    error = ""
    if request.method == "POST":
        try:
            hid = request.POST.get("household", "")
            household = access.get_for(
                user,
                Perm.STORE_OPERATE,
                Household.objects.select_related("unit__parent"),
                pk=int(hid) if hid.isdigit() else 0,
            )
            gid = request.POST.get("goods", "")
            goods = Goods.objects.filter(pk=int(gid) if gid.isdigit() else 0).first()
            if goods is None:
                raise ValidationFailed("请选择商品。", code="goods_required")
            account = services.account_for(household=household)
            redemption = services.redemption_create(
                actor=user,
                store=store,
                goods=goods,
                account=account,
                quantity=request.POST.get("quantity") or 1,
                redeemer=household.head,
            )
        except REFUSALS as exc:
            error = exc.message
            q = request.POST.get("q", q)
        else:
            return redirect("points:receipt", pk=redemption.pk)
    hits = selectors.counter_lookup(user, store, q)
    context = {
        "nav_active": "points",
        "store": store,
        "q": q,
        "hits": hits,
        "goods": [g for g in store.goods.filter(is_active=True).order_by("price") if g.stock > 0],
        "open_now": services.open_window(store, timezone.localdate()),
        "next_window": services.next_window(store, timezone.localdate()),
        "error": error,
    }
    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        return render(request, "points/counter.html#counter-results", context)
    return render(request, "points/counter.html", context, status=400 if error else 200)


@login_required
@require_GET
def reconciliation(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    store = selectors.store_get(user, pk)
    period = selectors.parse_period(request.GET.get("period"))
    context = {"nav_active": "points", "store": store, "report": selectors.reconciliation(store, period)}
    return render(request, "points/reconciliation.html", context)


@login_required
@require_GET
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    if user.kind != UserKind.RESIDENT:
        access.require(user, Perm.POINTS_VIEW)
    else:
        _me(request)
    redemption = selectors.redemption_get(user, pk)
    context = {
        "nav_active": "points",
        "r": redemption,
        "balance": redemption.account.balance,
        "is_staff": user.kind != UserKind.RESIDENT,
        "can_operate": user.kind != UserKind.RESIDENT
        and access.obj_allowed(user, Perm.STORE_OPERATE, redemption),
    }
    return render(request, "points/receipt.html", context)


@login_required
@require_POST
def redemption_hand_over(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.STORE_OPERATE)
    redemption = selectors.redemption_get(user, pk)
    return _act(
        request,
        reverse("points:receipt", args=[pk]),
        lambda: services.redemption_hand_over(actor=user, redemption=redemption),
        "已交付预约商品。",
    )


@login_required
@require_POST
def redemption_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    if user.kind != UserKind.RESIDENT:
        access.require(user, Perm.STORE_OPERATE)
    redemption = selectors.redemption_get(user, pk)
    return _act(
        request,
        reverse("points:receipt", args=[pk]),
        lambda: services.redemption_cancel(
            actor=user, redemption=redemption, reason=request.POST.get("reason", "")
        ),
        "已取消：积分已退回，商品已回库。",
    )


# --- time bank -----------------------------------------------------------------------------------


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.POINTS_VIEW)
    error = ""
    if request.method == "POST":
        access.require(user, Perm.POINTS_RULEBOOK)
        try:
            unit = _unit(user, request.POST.get("unit", ""), Perm.POINTS_RULEBOOK)
            starts = parse_datetime(request.POST.get("starts_at", "") or "")
            ends = parse_datetime(request.POST.get("ends_at", "") or "")
            if starts is None or ends is None:
                raise ValidationFailed("请填写开始和结束时间。", code="activity_times")
            tz = timezone.get_current_timezone()
            activity = services.activity_create(
                actor=user,
                unit=unit,
                title=request.POST.get("title", ""),
                starts_at=timezone.make_aware(starts, tz) if timezone.is_naive(starts) else starts,
                ends_at=timezone.make_aware(ends, tz) if timezone.is_naive(ends) else ends,
                capacity=request.POST.get("capacity") or 30,
                place=request.POST.get("place", ""),
                description=request.POST.get("description", ""),
            )
        except REFUSALS as exc:
            error = exc.message
        else:
            messages.success(request, "志愿活动已发布，村民可在手机上报名。")
            return redirect("points:activity_detail", pk=activity.pk)
    context = {
        "nav_active": "points",
        "page": _page(request, selectors.activities_visible(user)),
        "units": _villages(user, Perm.POINTS_RULEBOOK),
        "error": error,
    }
    return render(request, "points/activity_list.html", context, status=400 if error else 200)


@login_required
@require_GET
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    if user.kind != UserKind.RESIDENT:
        access.require(user, Perm.POINTS_VIEW)
    me = _me(request)
    activity = selectors.activity_get(user, pk)
    signups = list(selectors.activity_signups(activity))
    context = {
        "nav_active": "points",
        "activity": activity,
        "signups": signups if me is None else [s for s in signups if s.resident_id == me.pk],
        "signup_count": len(signups),
        "me": me,
        "mine": next((s for s in signups if me is not None and s.resident_id == me.pk), None),
        "is_organiser": activity.organiser_id == user.pk,
    }
    return render(request, "points/activity_detail.html", context)


@login_required
@require_POST
def activity_signup(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    me = _me(request)
    if me is None:
        access.require(user, Perm.POINTS_APPLY)
    activity = selectors.activity_get(user, pk)

    def call() -> Any:
        resident = me
        if resident is None:
            rid = request.POST.get("resident") or request.GET.get("resident", "")
            resident = access.get_for(
                user, Perm.POINTS_APPLY, Resident.objects.all(), pk=int(rid) if rid.isdigit() else 0
            )
        return services.signup_create(actor=user, activity=activity, resident=resident)

    return _act(request, reverse("points:activity_detail", args=[pk]), call, "报名成功。")


@login_required
@require_POST
def signup_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Check-in, check-out (organiser or the volunteer) and verification of hours (organiser)."""
    user = _actor(request)
    me = _me(request)
    signup = Signup.objects.select_related("activity").filter(pk=pk).first()
    if signup is None:
        raise NotFound("报名记录不存在。")
    selectors.activity_get(user, signup.activity_id)  # the chokepoint for the activity
    if me is not None and signup.resident_id != me.pk:
        raise PermissionDenied("只能为本人签到、签退。", code="self_only")
    action = request.POST.get("action", "")
    calls = {
        "check_in": (lambda: services.signup_check_in(actor=user, signup=signup), "已签到。"),
        "check_out": (lambda: services.signup_check_out(actor=user, signup=signup), "已签退。"),
        "verify": (
            lambda: services.signup_verify(actor=user, signup=signup, hours=request.POST.get("hours")),
            "志愿时长已核定并存入时间银行。",
        ),
    }
    if action not in calls:
        raise ValidationFailed("未知的操作。", code="unknown_action")
    if me is None and action != "verify" and signup.activity.organiser_id != user.pk:
        access.require(user, Perm.POINTS_RULEBOOK)
    call, success = calls[action]
    return _act(request, reverse("points:activity_detail", args=[signup.activity_id]), call, success)


# --- honour board ---------------------------------------------------------------------------------


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.POINTS_VIEW)
    villages = [u for u in _villages(user, Perm.POINTS_VIEW) if u.level == Level.VILLAGE]
    code = request.GET.get("village", "") or (villages[0].code if villages else "")
    village = next((v for v in villages if v.code == code), None)
    if village is None and code:
        village = Unit.objects.filter(code=code, level=Level.VILLAGE).first()
        if village is None:
            raise NotFound("村（社区）不存在。")
        access.require(user, Perm.POINTS_VIEW, village.code)
    period = selectors.parse_period(request.GET.get("period"))
    context = {
        "nav_active": "points",
        "villages": villages,
        "board": selectors.board(village, period) if village else None,
        "period_key": period.key,
    }
    return render(request, "points/board.html", context)


@require_GET
def public_board(request: HttpRequest, code: str) -> HttpResponse:
    """A village's honour and warning board for the current quarter, public (no login): names on
    the honour board; on the warning board only where the rulebook allows."""
    village = Unit.objects.filter(code=code, level=Level.VILLAGE).first()
    if village is None:
        raise NotFound("村（社区）不存在。")
    period = selectors.parse_period(request.GET.get("period"))
    result = selectors.board(village, period)
    if not result.names_public:
        for row in result.warning:
            row.name, row.number = selectors.masked(row.name), ""
    return render(request, "points/public_board.html", {"board": result})


# --- a resident's own pages -----------------------------------------------------------------------


def _qr_data_uri(payload: str) -> str:
    """The household card's QR code as an SVG data URI (the CSP allows data: images, and a
    scanner at the counter types the payload into the search box)."""
    import base64
    import io

    import qrcode
    import qrcode.image.svg

    buffer = io.BytesIO()
    qrcode.make(payload, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
@require_GET
def my(request: HttpRequest) -> HttpResponse:
    me = _resident_only(request)
    account = selectors.my_account(me)
    hours = selectors.hour_account_of(me)
    context = {
        "nav_active": "home",
        "me": me,
        "account": account,
        "entries": selectors.account_entries(account)[:20] if account else [],
        "applications": selectors.my_applications(me)[:20],
        "redemptions": selectors.my_redemptions(me)[:10],
        "hours": hours,
        "hour_entries": selectors.hour_entries(me)[:10],
        "activities": selectors.open_activities_for(me)[:5],
        "family": [r for r in me.household.members.filter(status="active") if r.pk != me.pk],
        "qr_payload": f"JCHH:{me.household_id}",
        "qr_image": _qr_data_uri(f"JCHH:{me.household_id}"),
    }
    return render(request, "points/my.html", context)


@login_required
def shop(request: HttpRequest) -> HttpResponse:
    """The goods of the resident's stores, with phone pre-order."""
    me = _resident_only(request)
    user = _actor(request)
    if request.method == "POST":
        gid = request.POST.get("goods", "")
        goods = Goods.objects.filter(
            pk=int(gid) if gid.isdigit() else 0, store__in=selectors.stores_for(me)
        ).first()
        if goods is None:
            raise NotFound("商品不存在。")
        try:
            redemption = services.redemption_preorder(
                actor=user, goods=goods, quantity=request.POST.get("quantity") or 1
            )
        except REFUSALS as exc:
            messages.error(request, exc.message)
            return redirect("points:shop")
        messages.success(request, "预约成功：积分已扣除，请在开放时间到超市凭小票领取。")
        return redirect("points:receipt", pk=redemption.pk)
    today = timezone.localdate()
    stores = [
        {
            "store": s,
            "goods": list(s.goods.filter(is_active=True).order_by("price")),
            "open_now": services.open_window(s, today),
            "next": services.next_window(s, today),
        }
        for s in selectors.stores_for(me)
    ]
    account = selectors.my_account(me)
    return render(
        request,
        "points/shop.html",
        {"nav_active": "home", "stores": stores, "balance": account.balance if account else 0},
    )


@login_required
@require_POST
def my_hours(request: HttpRequest) -> HttpResponse:
    """Transfer hours to a family member, or convert them to points."""
    me = _resident_only(request)
    user = _actor(request)
    hours = request.POST.get("hours")
    if request.POST.get("action") == "transfer":
        rid = request.POST.get("to", "")
        to = Resident.objects.filter(
            pk=int(rid) if rid.isdigit() else 0, household_id=me.household_id
        ).first()
        if to is None:
            messages.error(request, "请选择同一户的家庭成员。")
            return redirect("points:my")
        return _act(
            request,
            reverse("points:my"),
            lambda: services.hours_transfer(actor=user, from_resident=me, to_resident=to, hours=hours),
            f"已转给{to.name}。",
        )
    return _act(
        request,
        reverse("points:my"),
        lambda: services.hours_convert(actor=user, resident=me, hours=hours),
        "已折算为积分。",
    )
