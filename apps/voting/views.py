"""Pages of sunshine voting (阳光票决).

Staff: the motion list and detail (each step's form for whoever may take it), new motions and
direct records, the hall page where tellers sign people in and enter paper ballots or hands, the
big-screen live count (an htmx fragment polled every 2 s), the village bodies, the district
summary. Residents: 云票决 on a phone (confirm name and ID tail, then vote, then the receipt) and
suggestions. Public (no login): the village's page and each motion's steps, result, ballot list
and verifiable ballot box.

Reads go through selectors, writes through services; a service's refusal on a form is shown on
that form, any other ApplicationError goes to ApplicationErrorMiddleware.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from apps.accounts import access
from apps.accounts.choices import UserKind
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from apps.people.models import Resident

from . import box, forms, machine, selectors, services
from .choices import (
    Channel,
    Choice,
    MotionKind,
    MotionStatus,
    StepKind,
    WarningKind,
)
from .models import Motion

PAGE_SIZE = 25
VOTE_PASS_SALT = "voting.online-pass"  # noqa: S105 — a signing salt, not a secret
VOTE_PASS_SECONDS = 15 * 60

# Which permission each step action needs over the motion's village, and its form.
ACTIONS: dict[str, tuple[Perm, type[Any], str]] = {
    "propose": (Perm.VOTE_MANAGE, forms.StepForm, "记录村党支部提议"),
    "consult": (Perm.VOTE_MANAGE, forms.StepForm, "记录村务联席会议商议"),
    "review": (Perm.VOTE_REVIEW, forms.ReviewForm, "乡镇审议备案"),
    "open": (Perm.VOTE_MANAGE, forms.OpenForm, "召开票决会议"),
    "close": (Perm.VOTE_MANAGE, None, "结束投票并计票"),  # type: ignore[dict-item]
    "publish": (Perm.VOTE_MANAGE, None, "公开表决结果"),  # type: ignore[dict-item]
    "report": (Perm.VOTE_SUPERVISE, forms.ReportForm, "记录监督与实施情况"),
    "withdraw": (Perm.VOTE_MANAGE, forms.WithdrawForm, "撤回事项"),
}
# The machine's transitions each action can take.
_MACHINE = {
    "propose": ["propose"],
    "consult": ["consult"],
    "review": ["approve"],
    "open": ["open_vote"],
    "close": ["close_vote"],
    "publish": ["publish_passed", "publish_failed"],
    "report": ["report"],
    "withdraw": ["withdraw"],
}


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _local_input(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def _available_actions(user: Any, motion: Motion) -> list[str]:
    return [
        name
        for name, (perm, _, _) in ACTIONS.items()
        if any(machine.allowed(motion.status, t) for t in _MACHINE[name])
        and access.has_perm(user, perm, motion.village.code)
    ]


def _blank_form(action: str) -> Any:
    form_class = ACTIONS[action][1]
    if form_class is None:
        return None
    if action == "open":
        now = timezone.now().replace(second=0, microsecond=0)
        return form_class(
            initial={
                "opens_at": _local_input(now),
                "closes_at": _local_input(now + datetime.timedelta(hours=3)),
            }
        )
    return form_class()


# --- Staff pages -------------------------------------------------------------------------------------


@login_required
def motion_list(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.VOTE_VIEW)
    filters = {k: request.GET.get(k, "").strip() for k in ("status", "kind", "unit", "warning", "q")}
    motions = selectors.motion_list(
        user,
        status=filters["status"],
        kind=filters["kind"],
        unit_code=filters["unit"],
        warning=filters["warning"],
        q=filters["q"],
    )
    page = Paginator(motions, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "nav_active": "voting",
        "page": page,
        "filters": filters,
        "statuses": MotionStatus.choices,
        "kinds": MotionKind.choices,
        "warning_kinds": WarningKind.choices,
        "can_manage": access.has_perm(user, Perm.VOTE_MANAGE),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "voting/motion_list.html#results", context)
    return render(request, "voting/motion_list.html", context)


def _village_choices(user: Any) -> list[tuple[str, str]]:
    return [(u.code, u.name) for u in selectors.villages_for(user, Perm.VOTE_MANAGE)[:500]]


@login_required
def motion_create(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.VOTE_MANAGE)
    villages = _village_choices(user)
    form = forms.MotionForm(request.POST or None, request.FILES or None, villages=villages)
    error = None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                village = selectors.village_for(user, data["village"], Perm.VOTE_MANAGE)
                motion = services.motion_suggest(
                    actor=user,
                    village=village,
                    kind=data["kind"],
                    title=data["title"],
                    description=data["description"],
                    held_on=data["held_on"],
                    participants=data["participants"],
                    minutes=data["minutes"],
                    signatures=data["signatures"],
                    attachments=data["attachments"],
                )
            except ApplicationError as exc:
                error = exc
            else:
                messages.success(request, f"已登记票决事项 {motion.number}，并在村务公开页公示。")
                return redirect("voting:motion_detail", pk=motion.pk)
        else:
            error = ValidationFailed(forms.first_error(form) or "输入有误。")
    context = {"nav_active": "voting", "form": form, "error": error, "mode": "suggest"}
    return render(request, "voting/motion_form.html", context, status=error.http_status if error else 200)


@login_required
def motion_record(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.VOTE_MANAGE)
    form = forms.DirectForm(request.POST or None, villages=_village_choices(user))
    error = None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                village = selectors.village_for(user, data["village"], Perm.VOTE_MANAGE)
                motion = services.motion_record_direct(
                    actor=user,
                    village=village,
                    kind=data["kind"],
                    title=data["title"],
                    description=data["description"],
                    implemented_on=data["implemented_on"],
                )
            except ApplicationError as exc:
                error = exc
            else:
                messages.warning(request, f"已登记 {motion.number}（未经票决）。必须票决的事项将产生预警。")
                return redirect("voting:motion_detail", pk=motion.pk)
        else:
            error = ValidationFailed(forms.first_error(form) or "输入有误。")
    context = {"nav_active": "voting", "form": form, "error": error, "mode": "direct"}
    return render(request, "voting/motion_form.html", context, status=error.http_status if error else 200)


def _detail_context(request: HttpRequest, motion: Motion, **extra: Any) -> dict[str, Any]:
    user = _actor(request)
    actions = _available_actions(user, motion)
    action_forms = {a: extra.pop(f"form_{a}", None) or _blank_form(a) for a in actions}
    tally = selectors.live_tally(motion)
    return {
        "nav_active": "voting",
        "motion": motion,
        "steps": selectors.motion_steps(motion),
        "tally": tally,
        "warnings": selectors.warning_history(motion),
        "actions": [(a, ACTIONS[a][2], action_forms[a]) for a in actions],
        "can_tell": tally is not None
        and not tally.closed
        and access.has_perm(user, Perm.VOTE_TELLER, motion.village.code),
        "step_kinds": StepKind,
        "verification": box.verify(motion) if tally is not None else None,
        **extra,
    }


@login_required
def motion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    motion = selectors.motion_get(_actor(request), pk)
    return render(request, "voting/motion_detail.html", _detail_context(request, motion))


def _run_action(user: User, motion: Motion, action: str, form: Any) -> Motion:
    data = form.cleaned_data if form is not None else {}
    step: dict[str, Any] = {
        k: data.get(k)
        for k in ("held_on", "participants", "minutes", "signatures", "attachments")
        if k in data
    }
    if action == "propose":
        return services.motion_propose(actor=user, motion=motion, **step)
    if action == "consult":
        return services.motion_consult(actor=user, motion=motion, **step)
    if action == "review":
        return services.motion_review(
            actor=user,
            motion=motion,
            approve=data["decision"] == "approve",
            held_on=data["held_on"],
            opinion=data["minutes"],
            participants=data["participants"],
            signatures=data["signatures"],
            attachments=data["attachments"],
        )
    if action == "open":
        return services.vote_open(
            actor=user,
            motion=motion,
            kind=data["kind"],
            held_on=data["held_on"],
            opens_at=data["opens_at"],
            closes_at=data["closes_at"],
            secret=data["secret"],
            place=data["place"],
            participants=data["participants"],
        )
    if action == "close":
        return services.vote_close(actor=user, motion=motion)
    if action == "publish":
        return services.motion_publish_result(actor=user, motion=motion)
    if action == "report":
        return services.motion_report(actor=user, motion=motion, completed=data["completed"], **step)
    if action == "withdraw":
        return services.motion_withdraw(actor=user, motion=motion, reason=data["reason"])
    raise NotFound("未知的操作。", code="unknown_action")


@login_required
@require_POST
def motion_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One step of the procedure, posted from the detail page's form for it."""
    user = _actor(request)
    if action not in ACTIONS:
        raise NotFound("未知的操作。", code="unknown_action")
    perm, form_class, label = ACTIONS[action]
    motion = selectors.motion_get(user, pk)
    access.require(user, perm, motion.village.code)
    form = form_class(request.POST, request.FILES) if form_class is not None else None
    if form is not None and not form.is_valid():
        error: ApplicationError = ValidationFailed(forms.first_error(form) or "输入有误。")
    else:
        try:
            _run_action(user, motion, action, form)
        except ApplicationError as exc:
            error = exc
        else:
            messages.success(request, f"已完成：{label}。")
            return redirect("voting:motion_detail", pk=motion.pk)
    motion.refresh_from_db()
    context = _detail_context(request, motion, error=error, error_action=action, **{f"form_{action}": form})
    return render(request, "voting/motion_detail.html", context, status=error.http_status)


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    user = _actor(request)
    motion = selectors.motion_get(user, pk)
    attachment = selectors.attachment_get(user, motion, attachment_pk)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)


# --- The hall: tellers, big screen ---------------------------------------------------------------------


def _hall_motion(request: HttpRequest, pk: int) -> tuple[Motion, Any]:
    user = _actor(request)
    motion = selectors.motion_get(user, pk)
    access.require(user, Perm.VOTE_TELLER, motion.village.code)
    meeting = selectors.meeting_of(motion)
    if meeting is None:
        raise ValidationFailed("该事项尚未召开票决会议。", code="no_meeting")
    return motion, meeting


@login_required
def hall(request: HttpRequest, pk: int) -> HttpResponse:
    motion, meeting = _hall_motion(request, pk)
    q = request.GET.get("q", "").strip()
    context = {
        "nav_active": "voting",
        "motion": motion,
        "meeting": meeting,
        "rows": selectors.hall_roster(motion, meeting, q),
        "q": q,
        "tally": selectors.live_tally(motion),
        "choices": Choice.choices,
    }
    if request.htmx and request.htmx.target == "roster":  # type: ignore[attr-defined]
        return render(request, "voting/hall.html#roster", context)
    return render(request, "voting/hall.html", context)


@login_required
@require_POST
def hall_enter(request: HttpRequest, pk: int, resident_pk: int) -> HttpResponse:
    """A teller's click on one person's row: 到会, or their paper ballot / hands. Answers with the
    row (htmx) so the teller keeps their place in a long list."""
    user = _actor(request)
    motion, meeting = _hall_motion(request, pk)
    voter = selectors.roster_voter(motion, meeting, resident_pk)
    choice = request.POST.get("choice", "")
    error = None
    try:
        if choice == "attend":
            services.attendance_record(actor=user, motion=motion, voter=voter)
        else:
            channel = request.POST.get("channel", Channel.PAPER)
            services.ballot_enter(actor=user, motion=motion, voter=voter, choice=choice, channel=channel)
    except ApplicationError as exc:
        error = exc
    row = selectors.roster_row(motion, voter)
    context = {
        "motion": motion,
        "meeting": meeting,
        "row": row,
        "row_error": error,
        "choices": Choice.choices,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "voting/hall.html#row", context)
    if error is not None:
        raise error
    return redirect("voting:hall", pk=motion.pk)


@login_required
def screen(request: HttpRequest, pk: int) -> HttpResponse:
    motion = selectors.motion_get(_actor(request), pk)
    return render(request, "voting/screen.html", {"motion": motion, "tally": selectors.live_tally(motion)})


@login_required
@never_cache
def tally_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    motion = selectors.motion_get(_actor(request), pk)
    return render(
        request, "voting/screen.html#tally", {"motion": motion, "tally": selectors.live_tally(motion)}
    )


# --- Bodies ------------------------------------------------------------------------------------------------


@login_required
def bodies(request: HttpRequest, code: str) -> HttpResponse:
    user = _actor(request)
    village = selectors.village_for(user, code)
    can_manage = access.has_perm(user, Perm.VOTE_MANAGE, village.code)
    q = request.GET.get("q", "").strip()
    candidates = selectors.member_candidates(village, q) if can_manage and q else []
    context = {
        "nav_active": "voting",
        "village": village,
        "seats": selectors.memberships(village),
        "can_manage": can_manage,
        "q": q,
        "candidates": candidates,
        "form": forms.MemberForm(),
        "suggestions": selectors.suggestions_for(user, village)[:20],
    }
    if request.htmx and request.htmx.target == "candidates":  # type: ignore[attr-defined]
        return render(request, "voting/bodies.html#candidates", context)
    return render(request, "voting/bodies.html", context)


@login_required
@require_POST
def body_add(request: HttpRequest, code: str, resident_pk: int) -> HttpResponse:
    user = _actor(request)
    village = selectors.village_for(user, code, Perm.VOTE_MANAGE)
    form = forms.MemberForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(forms.first_error(form) or "输入有误。", code="invalid")
    data = form.cleaned_data
    resident = Resident.objects.filter(pk=resident_pk).first()
    if resident is None:
        raise NotFound("该居民不存在。", code="not_found")
    seat = services.body_member_add(
        actor=user,
        village=village,
        kind=data["kind"],
        resident=resident,
        starts_on=data["starts_on"],
        title=data["title"],
    )
    messages.success(request, f"已将{resident.name}加入{seat.body}。")
    return redirect("voting:bodies", code=village.code)


@login_required
@require_POST
def body_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    seat = selectors.membership_get(user, pk)
    form = forms.EndForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(forms.first_error(form) or "请填写任期结束日期。", code="invalid")
    services.body_member_end(actor=user, membership=seat, ends_on=form.cleaned_data["ends_on"])
    messages.success(request, "已结束该成员的任期。")
    return redirect("voting:bodies", code=seat.body.unit.code)


# --- Summary -----------------------------------------------------------------------------------------------


@login_required
def summary(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.VOTE_VIEW)
    root = selectors.summary_root(user, request.GET.get("unit", "").strip())
    if root is None:
        raise PermissionDenied(access.denied_message(Perm.VOTE_VIEW), code="forbidden")
    return render(request, "voting/summary.html", {"nav_active": "voting", **selectors.summary(user, root)})


# --- Residents: 云票决 and suggestions ---------------------------------------------------------------------


def _resident_only(request: HttpRequest) -> User:
    user = _actor(request)
    if user.kind != UserKind.RESIDENT:
        raise PermissionDenied("此页面供村民使用：请用居民账号（手机验证码）登录。", code="not_resident")
    return user


@login_required
def my_voting(request: HttpRequest) -> HttpResponse:
    user = _resident_only(request)
    context = {"nav_active": "voting", "suggestion_form": forms.SuggestionForm(), **selectors.my_voting(user)}
    return render(request, "voting/my_voting.html", context)


@login_required
@require_POST
def suggest(request: HttpRequest) -> HttpResponse:
    user = _resident_only(request)
    form = forms.SuggestionForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(forms.first_error(form) or "请填写建议内容。", code="invalid")
    services.suggestion_submit(actor=user, text=form.cleaned_data["text"])
    messages.success(request, "您的建议已提交给村两委，谢谢！")
    return redirect("voting:my_voting")


def _ballot_motion(pk: int) -> Motion:
    motion = Motion.objects.select_related("village").filter(pk=pk).first()
    if motion is None:
        raise NotFound("该票决事项不存在。", code="not_found")
    return motion


@login_required
@never_cache
def ballot(request: HttpRequest, pk: int) -> HttpResponse:
    """云票决 on a phone: (1) confirm name and ID tail — present online; (2) vote; (3) receipt.
    The pass between (1) and (2) is signed and short-lived; the service checks identity again."""
    user = _resident_only(request)
    motion = _ballot_motion(pk)
    meeting = selectors.meeting_of(motion)
    context: dict[str, Any] = {
        "nav_active": "voting",
        "motion": motion,
        "meeting": meeting,
        "stage": "verify",
    }
    status = 200
    verify_form = forms.VerifyForm(request.POST if request.POST.get("stage") == "verify" else None)
    context["verify_form"] = verify_form
    if request.method == "POST" and request.POST.get("stage") == "verify":
        if verify_form.is_valid():
            data = verify_form.cleaned_data
            try:
                services.voter_verify(actor=user, motion=motion, name=data["name"], id_tail=data["id_tail"])
            except ApplicationError as exc:
                context["error"], status = exc, exc.http_status
            else:
                token = signing.dumps(
                    {"m": motion.pk, "u": user.pk, "n": data["name"], "t": data["id_tail"]},
                    salt=VOTE_PASS_SALT,
                )
                context.update(stage="cast", cast_form=forms.CastForm(initial={"token": token}))
        else:
            context["error"], status = ValidationFailed(forms.first_error(verify_form)), 400
    elif request.method == "POST" and request.POST.get("stage") == "cast":
        cast_form = forms.CastForm(request.POST)
        context.update(stage="cast", cast_form=cast_form)
        try:
            if not cast_form.is_valid():
                raise ValidationFailed("请选择同意、反对或弃权。", code="choice_required")
            try:
                pass_ = signing.loads(
                    cast_form.cleaned_data["token"], salt=VOTE_PASS_SALT, max_age=VOTE_PASS_SECONDS
                )
            except signing.BadSignature as exc:
                raise ValidationFailed("身份确认已过期，请重新核验。", code="verify_expired") from exc
            if pass_.get("m") != motion.pk or pass_.get("u") != user.pk:
                raise ValidationFailed("身份确认与本事项不符，请重新核验。", code="verify_expired")
            cast = services.ballot_cast_online(
                actor=user,
                motion=motion,
                choice=cast_form.cleaned_data["choice"],
                name=pass_["n"],
                id_tail=pass_["t"],
            )
        except ApplicationError as exc:
            context["error"], status = exc, exc.http_status
            if exc.code in ("verify_expired", "verify_failed", "verify_locked"):
                context["stage"] = "verify"
        else:
            context.update(stage="done", ballot=cast)
    return render(request, "voting/ballot.html", context, status=status)


# --- Public pages (no login) ----------------------------------------------------------------------------


def public_village(request: HttpRequest, code: str) -> HttpResponse:
    village = selectors.public_village(code)
    page = Paginator(selectors.public_motions(village), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "voting/public_village.html", {"village": village, "page": page})


def public_motion(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    village = selectors.public_village(code)
    motion = selectors.public_motion(village, pk)
    meeting = selectors.meeting_of(motion)
    published = motion.result_published_at is not None
    context = {
        "village": village,
        "motion": motion,
        "steps": selectors.motion_steps(motion),
        "meeting": meeting,
        "tally": selectors.live_tally(motion),
        "published": published,
        # The ballot list and tally are public once the box is closed; during voting only turnout.
        "ballots": selectors.ballot_list(motion, meeting) if meeting and meeting.closed_at else [],
        "verification": box.verify(motion) if meeting and meeting.closed_at else None,
        "receipt": request.GET.get("receipt", "").strip().lower(),
    }
    return render(request, "voting/public_motion.html", context)


def public_box(request: HttpRequest, code: str, pk: int) -> JsonResponse:
    """The ballot box's events (no names): anyone can recompute the chain and the tally."""
    village = selectors.public_village(code)
    motion = selectors.public_motion(village, pk)
    meeting = selectors.meeting_of(motion)
    if meeting is None or meeting.closed_at is None:
        raise NotFound("票箱尚未关闭，计票后公开。", code="box_not_closed")
    data = {
        "motion": motion.pk,
        "number": motion.number,
        "algorithm": (
            "hash = sha256(prev_hash + canonical_json(payload)); "
            "receipt = sha256('motion|voter_token|choice|nonce')"
        ),
        "events": box.published_events(motion),
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})


def detail_url(motion: Motion) -> str:
    return reverse("voting:motion_detail", args=[motion.pk])
