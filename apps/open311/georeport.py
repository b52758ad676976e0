"""GeoReport v2 documents: discovery, services, service definitions and service requests, built
as plain data for `formats.render`.

What a published request holds (the feed is public, like the cases' public progress page):
the service, the status (open, or closed when the case is closed, rejected or merged) with the
status label as status_notes, the body responsible (the holder once dispatched, else the
responsibility lists' suggestion, else the body the category's default triage names), the SLA
notice, the dates (expected = the reply deadline, else the current step's), and the place by its
village and township with the village's centre point.
For requests that came in through this API, the description, address and point the client
itself sent. Never the submitter's name or phone; digit runs that look like a phone or ID number
in a description are masked. No media_url: photos would need their metadata stripped first and
no image library ships with the platform.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.conf import settings

from apps.cases.choices import CaseKind, Channel, Status, Triage
from apps.cases.models import Case, Category
from apps.territory.choices import Level
from apps.territory.models import Unit

from .formats import iso

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MIME_TYPES = ["text/xml", "application/json"]
# 7 or more digits in a row, spaces or dashes allowed between them (phones, ID numbers with their
# final X, bank cards) in published text.
_LONG_NUMBER = re.compile(r"(?<!\d)\d(?:[ \-]?\d){6,}(?:[Xx](?![A-Za-z]))?")


def mask_numbers(text: str) -> str:
    return _LONG_NUMBER.sub(lambda m: m.group(0)[:3] + "*" * (len(m.group(0)) - 3), text)


def discovery(v2_url: str, key_service: str, changeset: datetime.datetime | None) -> dict[str, Any]:
    contact = getattr(settings, "OPEN311_CONTACT", "") or f"{settings.PLATFORM_NAME}：请联系县级管理员。"
    return {
        "changeset": iso(changeset),
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": v2_url,
                "changeset": iso(changeset),
                "type": "production",
                "formats": MIME_TYPES,
            }
        ],
    }


def service_notice(category: Category) -> str:
    if category.kind == CaseKind.EMERGENCY or category.reply_days == 0:
        return "紧急类诉求当日处理。"
    return f"受理后一般在 {category.reply_days} 个工作日内办理并答复（节假日顺延）。"


def _keywords(category: Category) -> str:
    words = [category.name, CaseKind(category.kind).label]
    if category.parent_id and category.parent:
        words.insert(0, category.parent.name)
    return ", ".join(dict.fromkeys(words))


def service(category: Category) -> dict[str, Any]:
    group = category.parent.name if category.parent_id and category.parent else category.name
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or f"{category.full_name}（{CaseKind(category.kind).label}）",
        "metadata": False,
        "type": "realtime",
        "keywords": _keywords(category),
        "group": group,
    }


def service_definition(category: Category) -> dict[str, Any]:
    # No service asks for extra attributes: the definition has an empty list (the spec's shape).
    return {"service_code": category.code, "attributes": []}


def status_of(case: Case) -> str:
    return "open" if case.is_open else "closed"


def status_notes(case: Case) -> str:
    if case.status == Status.MERGED and case.merged_into_id and case.merged_into:
        return f"已与 {case.merged_into.tracking_code} 合并办理。"
    return str(case.get_status_display())


def place_label(case: Case) -> str:
    """County, township and village names of the case's place (public, as on the progress page);
    stops at the county, whose ancestors the feed query does not load."""
    names: list[str] = []
    unit: Any = case.unit
    while unit is not None:
        names.append(unit.display_name)
        if unit.level <= Level.COUNTY or not unit.parent_id:
            break
        unit = unit.parent
    return "".join(reversed(names))


SUGGESTION_BUDGET = 200  # routing look-ups per response; a 1000-request feed must stay quick


def _ancestor(unit: Any, level: int) -> Any:
    while unit is not None and unit.level > level:
        unit = unit.parent if unit.parent_id else None
    return unit if unit is not None and unit.level == level else None


class AgencyNames:
    """agency_responsible: the holder once dispatched; before that, the body the responsibility
    lists name for the category and place (`apps.duties.routing.suggest`), else the body the
    category's default triage names (三事分流: the township for 大事, the village otherwise).

    A feed repeats few (category, place) pairs and few townships: lists are looked up once per
    township (none published there: no per-case look-up at all), suggestions once per pair, and
    at most `budget` suggestions per response (the rest get the triage body)."""

    def __init__(self, budget: int = SUGGESTION_BUDGET) -> None:
        self._labels: dict[tuple[int, int], str] = {}
        self._lists: dict[str, bool] = {}
        self._budget = budget

    def __call__(self, case: Case) -> str:
        if case.holder_unit_id or case.holder_org_id:
            return case.holder_name
        if not case.is_open:
            return ""  # rejected or merged before anyone held it
        key = (case.category_id, case.unit_id)
        if key not in self._labels:
            self._labels[key] = self._suggested(case) or self._by_triage(case)
        return self._labels[key]

    def _lists_apply(self, township: Any) -> bool:
        if township.code not in self._lists:
            from apps.duties import routing
            from apps.duties.choices import ListKind

            ancestors: dict[int, Unit] = {int(Level.TOWNSHIP): township}
            county = _ancestor(township, Level.COUNTY)
            if county is not None:
                ancestors[int(Level.COUNTY)] = county
            found = routing.applicable_lists(township, [ListKind.TERRITORIAL, ListKind.DUTY], ancestors)
            self._lists[township.code] = bool(found)
        return self._lists[township.code]

    def _suggested(self, case: Case) -> str:
        township = _ancestor(case.unit, Level.TOWNSHIP)
        if township is None or self._budget <= 0 or not self._lists_apply(township):
            return ""
        from apps.duties import routing

        self._budget -= 1
        suggestion = routing.suggest(case.category, case.unit)
        primary = suggestion.primary if suggestion is not None else None
        return primary.label if primary is not None else ""

    @staticmethod
    def _by_triage(case: Case) -> str:
        township = _ancestor(case.unit, Level.TOWNSHIP)
        if case.category.default_triage == Triage.MAJOR or case.unit.level == Level.TOWNSHIP:
            return township.display_name if township is not None else ""
        village = _ancestor(case.unit, Level.VILLAGE)
        return village.display_name if village is not None else ""


def request(case: Case, agency: AgencyNames) -> dict[str, Any]:
    from_api = case.channel == Channel.API
    lat: float | None
    lng: float | None
    if from_api and case.latitude is not None and case.longitude is not None:
        lat, lng = case.latitude, case.longitude
    else:
        lat, lng = case.unit.latitude, case.unit.longitude
    address = place_label(case)
    if from_api and case.address:
        address = f"{address} {case.address}"
    return {
        "service_request_id": case.tracking_code,
        "status": status_of(case),
        "status_notes": status_notes(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": mask_numbers(case.description) if from_api else "",
        "agency_responsible": agency(case),
        "service_notice": service_notice(case.category),
        "requested_datetime": iso(case.submitted_at),
        "updated_datetime": iso(case.updated_at),
        "expected_datetime": iso(case.reply_due or case.due_at),
        "address": mask_numbers(address),
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lng,
        "media_url": None,
    }


def created(case: Case, token: str) -> dict[str, Any]:
    return {
        "service_request_id": case.tracking_code,
        "token": token,
        "service_notice": service_notice(case.category),
        "account_id": None,
    }


def queued(token: str, category: Category) -> dict[str, Any]:
    """POST answer for a queued request (the spec's token form): no service_request_id yet;
    GET tokens/{token} tells it once the case is made."""
    return {"token": token, "service_notice": service_notice(category), "account_id": None}


QUEUED_NOTICE = "诉求正在创建，请稍后再查询。"


def token(token: str, tracking_code: str | None) -> dict[str, Any]:
    """GET tokens/{token}: the spec's pair; service_request_id empty while the case is queued."""
    found: dict[str, Any] = {"service_request_id": tracking_code, "token": token}
    if tracking_code is None:
        found["service_notice"] = QUEUED_NOTICE
    return found
