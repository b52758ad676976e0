"""Pages of the working calendar: a year as twelve month grids, the deadline trial box, and the
county admin's editor (quick-add a period or a make-up day, paste the notice, preview, confirm).

The editor keeps its whole draft in the text box (the format of notice.py): each quick-add posts
the text along, gets it back with one more line and a fresh preview (an htmx fragment, or the
full page without JavaScript). Nothing is stored until "确认" goes through services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.accounts.models import User
from apps.core.errors import ApplicationError

from . import forms, selectors, services
from .months import WEEKDAY_LABELS, year_months
from .notice import MAKEUP_WORD, parse, to_text

EXAMPLE = """元旦 2027-01-01 至 2027-01-03
春节 2027-02-06 至 2027-02-14
调休上班 2027-02-20 春节"""


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


@login_required
@require_GET
def year_page(request: HttpRequest, year: int | None = None) -> HttpResponse:
    today = timezone.localdate()
    picked = request.GET.get("y", "")
    if year is None and picked.isdigit():  # the year picker without JavaScript
        return redirect("workdays:year", int(picked))
    view = selectors.year_view(_actor(request), year if year is not None else today.year)
    context = {
        "nav_active": "calendar",
        "view": view,
        "months": year_months(view.year, view.entries, today),
        "weekdays": WEEKDAY_LABELS,
        "is_current": view.year == today.year,
        "trial_form": forms.TrialForm(initial={"start": today, "days": 5}),
    }
    template = "workdays/year.html#year" if _htmx(request) else "workdays/year.html"
    return render(request, template, context)


@login_required
@require_GET
def trial(request: HttpRequest) -> HttpResponse:
    """时限试算: the deadline the case module computes for a start date and a number of working days."""
    user = _actor(request)
    selectors.require_viewer(user)
    form = forms.TrialForm(request.GET)
    context: dict[str, Any] = {"trial_error": "", "result": None}
    status = 200
    if form.is_valid():
        context["result"] = selectors.deadline_trial(
            user, form.cleaned_data["start"], form.cleaned_data["days"]
        )
    else:
        context["trial_error"] = forms.first_error(form) or "请填写开始日期和工作日数。"
        status = 400
    return render(request, "workdays/year.html#trial_result", context, status=status)


def _editor_context(
    view: selectors.YearView,
    *,
    text: str,
    notes: str,
    version: str,
    add_error: str = "",
    error: ApplicationError | None = None,
    holiday_form: forms.HolidayAddForm | None = None,
    makeup_form: forms.MakeupAddForm | None = None,
) -> dict[str, Any]:
    parsed = parse(text, view.year)
    plan = parsed.plan
    problems = services.plan_problems(year=view.year, holidays=plan.holidays, makeup_days=plan.makeup_days)
    entries = plan.entries()
    return {
        "nav_active": "calendar",
        "view": view,
        "text": text,
        "notes": notes,
        "version": version,
        "example": EXAMPLE,
        "parse_errors": parsed.errors,
        "problems": [p.message for p in problems],
        "plan": plan,
        "holiday_days": sum(1 for w, _ in entries.values() if not w),
        "can_confirm": bool(text.strip()) and not parsed.errors and not problems,
        "months": year_months(view.year, entries),
        "weekdays": WEEKDAY_LABELS,
        "add_error": add_error,
        "error": error,
        "holiday_form": holiday_form or forms.HolidayAddForm(),
        "makeup_form": makeup_form or forms.MakeupAddForm(),
    }


def _append(text: str, line: str) -> str:
    return f"{text.rstrip()}\n{line}" if text.strip() else line


@login_required
@require_http_methods(["GET", "POST"])
def year_edit(request: HttpRequest, year: int) -> HttpResponse:
    view = selectors.year_for_edit(_actor(request), year)
    if request.method == "GET":
        context = _editor_context(
            view,
            text=to_text(view.plan),
            notes=view.record.notes if view.record else "",
            version=view.version,
        )
        return render(request, "workdays/edit.html", context)

    text = request.POST.get("text", "")[: forms.MAX_TEXT_LENGTH]
    notes = request.POST.get("notes", "")
    version = request.POST.get("version", "")
    action = request.POST.get("action", "preview")
    add_error = ""
    holiday_form = makeup_form = None
    if action == "add_holiday":
        holiday_form = forms.HolidayAddForm(request.POST)
        if holiday_form.is_valid():
            data = holiday_form.cleaned_data
            start, end = data["h_start"], data["h_end"] or data["h_start"]
            span = start.isoformat() if start == end else f"{start.isoformat()} 至 {end.isoformat()}"
            text = _append(text, f"{data['h_name'].strip()} {span}")
            holiday_form = None
        else:
            add_error = forms.first_error(holiday_form)
    elif action == "add_makeup":
        makeup_form = forms.MakeupAddForm(request.POST)
        if makeup_form.is_valid():
            data = makeup_form.cleaned_data
            name = (data["m_name"] or "").strip()
            text = _append(text, f"{MAKEUP_WORD} {data['m_date'].isoformat()}{' ' + name if name else ''}")
            makeup_form = None
        else:
            add_error = forms.first_error(makeup_form)
    context = _editor_context(
        view,
        text=text,
        notes=notes,
        version=version,
        add_error=add_error,
        holiday_form=holiday_form,
        makeup_form=makeup_form,
    )
    template = "workdays/edit.html#editor" if _htmx(request) else "workdays/edit.html"
    return render(request, template, context, status=400 if add_error else 200)


@login_required
@require_POST
def year_confirm(request: HttpRequest, year: int) -> HttpResponse:
    user = _actor(request)
    view = selectors.year_for_edit(user, year)
    form = forms.NoticeForm(request.POST)
    text = request.POST.get("text", "")[: forms.MAX_TEXT_LENGTH]
    notes = request.POST.get("notes", "")
    version = request.POST.get("version")
    error: ApplicationError | None = None
    if not form.is_valid():
        error = ApplicationError(forms.first_error(form), code="invalid")
    else:
        parsed = parse(text, year)
        if parsed.errors:
            error = ApplicationError(parsed.errors[0].message, code="notice_unreadable")
        else:
            try:
                record = services.calendar_year_set(
                    actor=user,
                    year=year,
                    holidays=parsed.plan.holidays,
                    makeup_days=parsed.plan.makeup_days,
                    notes=notes,
                    expected_version=version,
                )
            except ApplicationError as exc:
                error = exc
    if error is not None:
        context = _editor_context(view, text=text, notes=notes, version=version or "", error=error)
        template = "workdays/edit.html#editor" if _htmx(request) else "workdays/edit.html"
        return render(request, template, context, status=error.http_status)
    entries = parsed.plan.entries()
    off = sum(1 for w, _ in entries.values() if not w)
    messages.success(
        request,
        f"{record.year} 年工作日历已确认：放假 {off} 天，调休上班 {len(entries) - off} 天。"
        "此后计算的办理时限即按新日历。",
    )
    url = reverse("workdays:year", args=[year])
    if _htmx(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)
