"""JSON API of the working calendar (mounted under /api/calendar/): read a year's schedule and its
coverage; county admins set a year's schedule (replacing it, through services)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from apps.core.schemas import error_responses

from . import selectors, services
from .notice import HolidayRange, MakeupDay, makeup_name
from .schemas import YearOut, YearSetIn

router = Router(tags=["工作日历"])


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _out(view: selectors.YearView) -> dict[str, Any]:
    record = view.record
    return {
        "year": view.year,
        "coverage": {
            "year": view.year,
            "covered": view.covered,
            "source": {"chinese_calendar": "chinese-calendar", "admin": "admin"}.get(record.source, "none")
            if record is not None
            else "none",
            "holidays": view.holidays,
            "makeup_days": view.makeup_days,
        },
        "workdays": view.workdays,
        "version": view.version,
        "confirmed_by": record.confirmed_by.display_name
        if record is not None and record.confirmed_by
        else None,
        "confirmed_at": record.confirmed_at if record is not None else None,
        "notes": record.notes if record is not None else "",
        "holidays": [{"name": h.name, "start": h.start, "end": h.end} for h in view.plan.holidays],
        "makeup_days": [{"date": m.date, "name": m.name} for m in view.plan.makeup_days],
        "days": [
            {"date": day, "is_workday": workday, "name": name}
            for day, (workday, name) in sorted(view.entries.items())
        ],
    }


@router.get(
    "/{year}", response={200: YearOut, **error_responses(403, 404)}, summary="某年的工作日历与录入情况"
)
def year_get(request: HttpRequest, year: int) -> dict[str, Any]:
    return _out(selectors.year_view(_actor(request), year))


@router.post(
    "/{year}",
    response={200: YearOut, **error_responses(400, 403, 404, 409)},
    summary="录入或整体替换某年的节假日安排并确认（县级管理员）",
)
def year_set(request: HttpRequest, year: int, payload: YearSetIn) -> dict[str, Any]:
    user = _actor(request)
    selectors.require_editor(user)
    selectors.check_year(year)
    services.calendar_year_set(
        actor=user,
        year=year,
        holidays=[HolidayRange(h.name, h.start, h.end) for h in payload.holidays],
        makeup_days=[MakeupDay(m.date, makeup_name(m.name)) for m in payload.makeup_days],
        notes=payload.notes,
        expected_version=payload.expected_version,
    )
    return _out(selectors.year_view(user, year))
