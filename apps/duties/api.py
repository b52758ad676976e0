"""JSON API of the 责任清单 module (mounted under /api/lists/): the lists binding the caller's
area and their items, routing advice (suggest + admission check), publishing from rows and
withdrawal.

Reads start from `selectors` (the access chokepoint); writes go through `services`, which check
their own permission and write the audit trail. Row errors of a publish come back as a 400 with
every problem in `extra.errors` ({row, column, message}), nothing published.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.core.errors import PermissionDenied
from apps.core.pagination import PagePagination
from apps.core.schemas import error_responses

from . import selectors, services
from .models import ListItem, ResponsibilityList
from .schemas import (
    ItemFilterIn,
    ItemOut,
    ListFilterIn,
    ListOut,
    PublishIn,
    RouteOut,
    WithdrawIn,
    body_out,
)

router = Router(tags=["责任清单"])


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


@router.get(
    "",
    response={200: list[ListOut], **error_responses(400, 403)},
    summary="本辖区适用的清单（默认仅现行版本）",
)
@paginate(PagePagination)
def list_lists(request: HttpRequest, filters: Query[ListFilterIn]) -> QuerySet[ResponsibilityList]:
    user = _actor(request)
    access.require(user, Perm.TERRITORY_VIEW)
    lists = selectors.lists_for(user, current_only=not filters.include_history)
    if filters.kind:
        lists = lists.filter(kind=filters.kind)
    if filters.unit:
        lists = lists.filter(unit__code=filters.unit)
    return lists


@router.post(
    "",
    response={201: ListOut, **error_responses(400, 403, 404, 409)},
    summary="发布清单（新版本，逐行检查，任一行有误则不发布）",
)
def publish_list(request: HttpRequest, payload: PublishIn) -> Status:
    user = _actor(request)
    unit = selectors.publishable_unit(user, payload.unit_code)
    lst = services.responsibility_list_publish(
        actor=user,
        kind=payload.kind,
        unit=unit,
        title=payload.title,
        rows=[{**row.dict(), "_row": i} for i, row in enumerate(payload.rows, start=1)],
        source_filename="API",
    )
    return Status(201, lst)


@router.get(
    "/suggest",
    response={200: RouteOut, **error_responses(403, 404)},
    summary="派单建议：按类别和事发地给出主体、配合责任单位和村级准入结论",
)
def suggest(request: HttpRequest, category: str, unit: str) -> dict[str, Any]:
    user = _actor(request)
    if not selectors.can_route(user):
        raise PermissionDenied(selectors.ROUTE_DENIED, code="forbidden")
    found = selectors.category_by_code(category)
    place = selectors.route_place(user, unit)
    result = selectors.route_advice(found, place)
    s = result["suggestion"]
    a = result["admission"]
    return {
        "category": found.code,
        "unit": place.code,
        "suggestion": None
        if s is None
        else {
            "primary": body_out(s.primary),
            "supporting": [body_out(b) for b in s.supporting],
            "basis": s.basis,
            "item_id": s.item_id,
            "kind": s.kind,
        },
        "admission": {
            "applies": a["applies"],
            "allowed": a["allowed"],
            "message": a["message"],
            "list_id": a["list"].pk if a["list"] is not None else None,
            "item_id": a["item"].pk if a["item"] is not None else None,
        },
    }


@router.get(
    "/{list_id}", response={200: ListOut, **error_responses(403, 404)}, summary="一份清单（任一版本）"
)
def get_list(request: HttpRequest, list_id: int) -> ResponsibilityList:
    return selectors.list_get(_actor(request), list_id)


@router.get(
    "/{list_id}/items",
    response={200: list[ItemOut], **error_responses(400, 403, 404)},
    summary="清单事项",
)
@paginate(PagePagination)
def list_items(request: HttpRequest, list_id: int, filters: Query[ItemFilterIn]) -> QuerySet[ListItem]:
    lst = selectors.list_get(_actor(request), list_id)
    return selectors.list_items(lst, q=filters.q, domain=filters.domain)


@router.post(
    "/{list_id}/withdraw",
    response={200: ListOut, **error_responses(400, 403, 404, 409)},
    summary="停用现行清单（不再用于派单，保留为历史版本）",
)
def withdraw_list(request: HttpRequest, list_id: int, payload: WithdrawIn) -> ResponsibilityList:
    user = _actor(request)
    lst = selectors.list_for_manage(user, list_id)
    return services.responsibility_list_withdraw(actor=user, responsibility_list=lst, reason=payload.reason)
