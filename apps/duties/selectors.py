"""Reads of the 责任清单 module for pages and the API.

Staff see the lists that bind their area: those published inside their territory (Perm.TERRITORY_VIEW
through the access chokepoint) and those published by the county and township above it (a
village cadre works under the county's and the township's lists). The public pages read only
current lists, which are public by definition (`published_lists`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.cases.models import Category
from apps.core.errors import NotFound, PermissionDenied, ValidationFailed
from apps.territory.choices import LEVEL_CODE_LENGTH, Level
from apps.territory.models import Unit

from . import routing
from .choices import BodyLevel, ListKind
from .models import ListItem, ResponsibilityList
from .routing import PUBLISHER_LEVELS

KIND_ORDER = {kind: i for i, kind in enumerate((ListKind.DUTY, ListKind.TERRITORIAL, ListKind.ADMISSION))}


def _ancestor_codes(prefixes: tuple[str, ...]) -> set[str]:
    lengths = [LEVEL_CODE_LENGTH[level] for level in PUBLISHER_LEVELS]
    return {p[:n] for p in prefixes for n in lengths if n < len(p)}


def lists_for(user: Any, *, current_only: bool = True) -> QuerySet[ResponsibilityList]:
    """Lists binding the user's area: inside it (the chokepoint) or published above it."""
    base = ResponsibilityList.objects.select_related("unit", "published_by")
    if current_only:
        base = base.filter(is_current=True)
    inside = access.restrict(base, user, Perm.TERRITORY_VIEW)
    scope = access.scope_of(user, Perm.TERRITORY_VIEW)
    above = _ancestor_codes(scope.prefixes)
    if scope.everything or not above:
        return inside.order_by("unit__code", "kind", "-version")
    return (inside | base.filter(unit__code__in=above)).order_by("unit__code", "kind", "-version")


def list_get(user: Any, pk: int) -> ResponsibilityList:
    """One list (any version) for a staff page: 404 when it does not exist, 403 when it binds
    neither the user's area nor anything above it."""
    lst = lists_for(user, current_only=False).filter(pk=pk).first()
    if lst is not None:
        return lst
    if ResponsibilityList.objects.filter(pk=pk).exists():
        raise PermissionDenied(access.denied_message(Perm.TERRITORY_VIEW), code="forbidden")
    raise NotFound("责任清单不存在。", code="not_found")


def list_for_manage(user: Any, pk: int) -> ResponsibilityList:
    """A list the user maintains (for withdrawal)."""
    return access.get_for(user, Perm.LISTS_MANAGE, ResponsibilityList.objects.select_related("unit"), pk=pk)


def versions_of(lst: ResponsibilityList) -> QuerySet[ResponsibilityList]:
    return ResponsibilityList.objects.filter(kind=lst.kind, unit=lst.unit_id).select_related("published_by")


def list_items(lst: ResponsibilityList, *, q: str = "", domain: str = "") -> QuerySet[ListItem]:
    items = (
        lst.items.select_related("primary_org")
        .prefetch_related("categories", "supporting_orgs")
        .order_by("number")
    )
    if domain:
        items = items.filter(domain=domain)
    q = q.strip()
    if q:
        condition = (
            Q(matter__icontains=q)
            | Q(primary_label__icontains=q)
            | Q(supporting_label__icontains=q)
            | Q(post__icontains=q)
            | Q(basis__icontains=q)
            | Q(categories__name__icontains=q)
        )
        if q.isdigit():
            condition |= Q(number=int(q))
        items = items.filter(condition).distinct()
    return items


def domains_of(lst: ResponsibilityList) -> list[tuple[str, int]]:
    """(domain, item count) in the order the list first names each domain."""
    counts: dict[str, int] = {}
    for domain in lst.items.order_by("number").values_list("domain", flat=True):
        if domain:
            counts[domain] = counts.get(domain, 0) + 1
    return list(counts.items())


def township_roles(lst: ResponsibilityList) -> dict[str, int]:
    """For a territorial list: on how many matters the township is the primary body (主体责任) and
    on how many it supports (配合责任) — the figures a 属地责任清单 is quoted by (8 and 157)."""
    items = lst.items.all()
    primary = items.filter(primary_level=BodyLevel.TOWNSHIP).count()
    supporting = sum(
        1
        for levels in items.exclude(primary_level=BodyLevel.TOWNSHIP).values_list(
            "supporting_levels", flat=True
        )
        if BodyLevel.TOWNSHIP in (levels or [])
    )
    return {"primary": primary, "supporting": supporting}


def publishable_units(user: Any) -> QuerySet[Unit]:
    """Counties and townships the user may publish lists for."""
    units = Unit.objects.filter(level__in=PUBLISHER_LEVELS, is_active=True).order_by("code")
    return access.restrict(units, user, Perm.LISTS_MANAGE)


def publishable_unit(user: Any, code: str) -> Unit:
    return access.get_for(user, Perm.LISTS_MANAGE, Unit.objects.filter(level__in=PUBLISHER_LEVELS), code=code)


ROUTE_DENIED = "只有派单人员（乡镇、村干部）和清单管理员可以使用派单预览。"


def can_route(user: Any) -> bool:
    """Routing advice is for those who dispatch cases and those who keep the lists."""
    return access.has_perm(user, Perm.CASE_DISPATCH) or access.has_perm(user, Perm.LISTS_MANAGE)


def route_advice(category: Any, place: Any) -> dict[str, Any]:
    """The routing advice for the preview page and the API: the suggestion, and for a village (or a
    villager group, through its village) whether the work may be pushed down to it."""
    suggestion = routing.suggest(category, place)
    admission: dict[str, Any] = {"applies": False, "allowed": True, "message": "", "list": None, "item": None}
    village = place if place.level == Level.VILLAGE else None
    if place.level > Level.VILLAGE:
        village = routing.ancestors_of(place).get(Level.VILLAGE)
    if village is not None:
        admission["applies"] = True
        lst, item = routing.admission_item(category, village)
        admission.update(list=lst, item=item)
        try:
            routing.admission_check(category, village)
        except ValidationFailed as exc:
            admission.update(allowed=False, message=exc.message)
        else:
            if lst is None:
                admission["message"] = "本县及所在乡镇尚未发布村级工作准入清单，不作限制。"
            elif item is not None:
                admission["message"] = f"依据：{lst.reference} 第{item.number}项“{item.matter}”。"
    return {"category": category, "place": place, "suggestion": suggestion, "admission": admission}


def route_places(user: Any) -> QuerySet[Unit]:
    """Townships and villages a dispatcher may preview routing for (their territory)."""
    units = Unit.objects.filter(level__in=(Level.TOWNSHIP, Level.VILLAGE), is_active=True).order_by("code")
    return access.restrict(units, user, Perm.TERRITORY_VIEW)


def route_place(user: Any, code: str) -> Unit:
    return access.get_for(user, Perm.TERRITORY_VIEW, Unit.objects.all(), code=code)


def categories() -> list[Category]:
    """Active categories, parents followed by their children (for pickers)."""
    rows = list(Category.objects.filter(is_active=True).select_related("parent").order_by("order", "code"))
    parents = [c for c in rows if c.parent_id is None]
    children: dict[int, list[Category]] = {}
    for c in rows:
        if c.parent_id is not None:
            children.setdefault(c.parent_id, []).append(c)
    ordered: list[Category] = []
    for p in parents:
        ordered.append(p)
        ordered.extend(children.get(p.pk, []))
    return ordered


def category_by_code(code: str) -> Category:
    category = Category.objects.select_related("parent").filter(code=code).first()
    if category is None and code.isdigit():
        category = Category.objects.select_related("parent").filter(pk=int(code)).first()
    if category is None:
        raise NotFound(f"诉求类别“{code}”不存在。", code="category_not_found")
    return category


# --- public pages (no login): current lists only ---------------------------------------------


def public_unit(code: str) -> Unit:
    unit = Unit.objects.filter(code=code, level__in=PUBLISHER_LEVELS).select_related("parent").first()
    if unit is None:
        raise NotFound("该区划不存在，或不是发布清单的县（区）、乡镇（街道）。", code="not_found")
    return unit


def published_lists(unit: Unit) -> list[ResponsibilityList]:
    lists = ResponsibilityList.objects.filter(unit=unit, is_current=True).select_related("unit")
    return sorted(lists, key=lambda lst: KIND_ORDER[ListKind(lst.kind)])


def published_list(unit: Unit, pk: int) -> ResponsibilityList:
    lst = ResponsibilityList.objects.filter(unit=unit, pk=pk, is_current=True).select_related("unit").first()
    if lst is None:
        raise NotFound("该清单不存在或已不是现行版本。", code="not_found")
    return lst


def townships_publishing(county: Unit) -> list[Unit]:
    """Townships of a county that have current lists of their own (links on the public page)."""
    ids = (
        ResponsibilityList.objects.filter(is_current=True, unit__parent=county, unit__level=Level.TOWNSHIP)
        .values_list("unit_id", flat=True)
        .distinct()
    )
    return list(Unit.objects.filter(pk__in=ids).order_by("code"))
