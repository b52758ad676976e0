"""Routing advice from the published lists: which body a case of a category at a place belongs to
(`suggest`) and whether work of a category may be pushed down to a village (`admission_check`).

This is the room the case module calls. Everything here is a pure read of *published* lists, with
no permission check: the lists are public (/lists/p/…), and routing is advice the dispatcher sees,
not an action. Whoever acts on the advice goes through their own service and its checks.

Which lists apply to a place: the current lists published by the place's county and by its
township (ancestors by division code). Which item wins in `suggest`, in this order of precedence:

1. the territorial list 属地责任清单 before the duty list 职责任务清单;
2. the most specific category match (the case's own category before its parent, and so on);
3. the township's list before the county's (a township's list overrides the county's where it has
   a matching item; where it has none the county's still applies);
4. the lower item number (the order the list itself gives).

Level words (乡镇 / 村) in a list resolve to the place's own township or village. A body that cannot
be resolved (the place lies above that level, e.g. a county-wide case and a "村" body) is left out:
`primary` is then None and the dispatcher chooses, with the basis still shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from apps.cases.models import Category
from apps.core.errors import ValidationFailed
from apps.territory.choices import LEVEL_CODE_LENGTH, Level
from apps.territory.models import Organisation, Unit

from .choices import BodyLevel, ListKind
from .models import ListItem, ResponsibilityList

PUBLISHER_LEVELS = (Level.COUNTY, Level.TOWNSHIP)
_KIND_RANK = {ListKind.TERRITORIAL: 0, ListKind.DUTY: 1}
_MAX_CATEGORY_DEPTH = 10  # the tree is two levels deep; a guard against a cycle made by hand


@dataclass(frozen=True)
class Body:
    """A body that can hold a case: a department (`organisation`) or a territorial body (`unit`)."""

    organisation: Organisation | None
    unit: Unit | None

    @property
    def label(self) -> str:
        if self.organisation is not None:
            return self.organisation.name
        if self.unit is not None:
            return self.unit.name
        return ""

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Suggestion:
    primary: Body | None
    supporting: list[Body]
    basis: str  # "属地责任清单 · 生态环境 · 第12项：河道垃圾清理（主体责任：乡镇）"
    item_id: int | None  # a ListItem id (ids are unique across the list kinds)
    kind: str = field(default="")  # ListKind of the list the item belongs to


def ancestors_of(place: Unit) -> dict[int, Unit]:
    """The place and its ancestors by level (one query: ancestors' codes are prefixes of its code)."""
    codes = [place.code[:n] for n in LEVEL_CODE_LENGTH.values() if n < len(place.code)]
    found = {u.level: u for u in Unit.objects.filter(code__in=codes)}
    found[place.level] = place
    return found


def category_chain(category: Category) -> list[Category]:
    """The category and its ancestors, most specific first."""
    chain = [category]
    node = category
    while node.parent_id is not None and len(chain) < _MAX_CATEGORY_DEPTH:
        parent = node.parent
        if parent is None or any(c.pk == parent.pk for c in chain):
            break
        chain.append(parent)
        node = parent
    return chain


def applicable_lists(
    place: Unit, kinds: list[str], ancestors: dict[int, Unit] | None = None
) -> list[ResponsibilityList]:
    """The current lists of these kinds published by the place's county or township (or by the
    place itself when it is one), township lists first."""
    ancestors = ancestors if ancestors is not None else ancestors_of(place)
    publishers = [ancestors[level] for level in PUBLISHER_LEVELS if level in ancestors]
    if not publishers:
        return []
    lists = ResponsibilityList.objects.filter(
        is_current=True, kind__in=kinds, unit__in=publishers
    ).select_related("unit")
    return sorted(lists, key=lambda lst: (-lst.unit.level, lst.kind))


def resolve_body(
    organisation: Organisation | None, level: int | None, ancestors: dict[int, Unit]
) -> Body | None:
    if organisation is not None:
        return Body(organisation=organisation, unit=None)
    if level is not None and level in ancestors:
        return Body(organisation=None, unit=ancestors[level])
    return None


def _basis(item: ListItem, lst: ResponsibilityList) -> str:
    kind_label = ListKind(lst.kind).label
    source = kind_label if lst.unit.level == Level.COUNTY else f"{lst.unit.name}{kind_label}"
    parts = [source]
    if item.domain:
        parts.append(item.domain)
    parts.append(f"第{item.number}项：{item.matter}")
    if lst.kind == ListKind.TERRITORIAL:
        detail = f"主体责任：{item.primary_label}"
        if item.supporting_label:
            detail += f"；配合责任：{item.supporting_label}"
    else:
        detail = f"责任单位：{item.primary_label}"
        if item.post:
            detail += f"；责任岗位：{item.post}"
        if item.person:
            detail += f"；责任人：{item.person}"
    return " · ".join(parts) + f"（{detail}）"


def suggestion_for(item: ListItem, lst: ResponsibilityList, ancestors: dict[int, Unit]) -> Suggestion:
    primary = resolve_body(item.primary_org, item.primary_level, ancestors)
    supporting: list[Body] = []
    seen = {primary} if primary is not None else set()
    candidates = [resolve_body(None, level, ancestors) for level in sorted(item.supporting_levels or [])]
    candidates += [resolve_body(org, None, ancestors) for org in item.supporting_orgs.all()]
    for body in candidates:
        if body is not None and body not in seen:
            seen.add(body)
            supporting.append(body)
    return Suggestion(
        primary=primary, supporting=supporting, basis=_basis(item, lst), item_id=item.pk, kind=lst.kind
    )


def suggest(category: Category, place: Unit) -> Suggestion | None:
    """The body the lists name for a case of `category` at `place` (see the module docstring for
    which item wins), or None when no applicable list has an item for the category or its ancestors."""
    ancestors = ancestors_of(place)
    lists = applicable_lists(place, [ListKind.TERRITORIAL, ListKind.DUTY], ancestors)
    if not lists:
        return None
    chain = category_chain(category)
    category_rank = {c.pk: i for i, c in enumerate(chain)}
    by_id = {lst.pk: lst for lst in lists}
    # Rank the matches from the link table alone and load only the winning item.
    through = ListItem.categories.through
    best_key: tuple[int, int, int, int] | None = None
    best_id = 0
    for item_id, category_id, list_id, number in through.objects.filter(
        category_id__in=list(category_rank), listitem__responsibility_list__in=list(by_id)
    ).values_list("listitem_id", "category_id", "listitem__responsibility_list_id", "listitem__number"):
        lst = by_id[list_id]
        key = (_KIND_RANK[ListKind(lst.kind)], category_rank[category_id], -lst.unit.level, number)
        if best_key is None or key < best_key:
            best_key, best_id = key, item_id
    if best_key is None:
        return None
    best = ListItem.objects.select_related("primary_org").get(pk=best_id)
    return suggestion_for(best, by_id[best.responsibility_list_id], ancestors)


def admission_list_for(village: Unit, ancestors: dict[int, Unit] | None = None) -> ResponsibilityList | None:
    """The admission list that binds a village: its township's current one if the township has
    published one, else its county's; None when neither has."""
    lists = applicable_lists(village, [ListKind.ADMISSION], ancestors)
    return lists[0] if lists else None


def admission_item(category: Category, village: Unit) -> tuple[ResponsibilityList | None, ListItem | None]:
    """(the binding admission list, the item admitting the category or an ancestor of it)."""
    lst = admission_list_for(village)
    if lst is None:
        return None, None
    ids = [c.pk for c in category_chain(category)]
    item = ListItem.objects.filter(responsibility_list=lst, categories__in=ids).order_by("number").first()
    return lst, item


def admission_check(category: Category, village: Unit) -> None:
    """Refuse to push work of `category` down to `village` unless the binding admission list (the
    township's if it has published one, else the county's) holds the category or one of its
    ancestors.

    A county (and township) that has published NO admission list has not adopted the practice:
    then everything is allowed, as it was before the platform, rather than blocking every dispatch
    to a village.
    """
    lst, item = admission_item(category, village)
    if lst is None or item is not None:
        return
    raise ValidationFailed(
        f"「{category.name}」不在村级工作准入清单内，不能派给村（社区）。"
        f"依据：{lst.reference}（{timezone.localtime(lst.published_at):%Y年%m月%d日}发布，"
        f"共{lst.item_count}项准入事项）。",
        code="not_on_admission_list",
        extra={"list_id": lst.pk, "category": category.code, "unit": village.code},
    )


__all__ = [
    "Body",
    "BodyLevel",
    "Suggestion",
    "admission_check",
    "admission_item",
    "admission_list_for",
    "suggest",
]
