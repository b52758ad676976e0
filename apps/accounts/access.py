"""THE chokepoint: what a user may see and do, and where.

Every list, detail, export and API query passes through `restrict()` or `get_for()`; every
service checks `require()`. A permission comes from a role (see permissions.ROLE_PERMS) and holds
inside the unit subtree of that role assignment. A scoped model names the path of its unit code
in `scope_path` ("code" for Unit, "unit__code" for Grid, …) and exposes `scope_value`.

Read this file to audit who can reach what: nothing else decides it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet

from apps.core.errors import NotFound, PermissionDenied
from apps.territory.paths import minimal_prefixes, subtree_q

from .choices import ADMIN_ROLES
from .permissions import ROLE_PERMS, Perm

M = TypeVar("M", bound=models.Model)

_CACHE_ATTR = "_jc_role_rows"


@dataclass(frozen=True)
class Scope:
    """The unit subtrees (by code prefix) where a permission holds. `everything` for superusers."""

    prefixes: tuple[str, ...] = ()
    everything: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.prefixes

    def q(self, field: str) -> Q:
        if self.everything:
            return Q()
        if not self.prefixes:
            return Q(pk__in=[])
        condition = Q()
        for prefix in self.prefixes:
            condition |= subtree_q(prefix, field)
        return condition

    def covers(self, code: str) -> bool:
        return self.everything or any(code.startswith(p) for p in self.prefixes)


def _role_rows(user: Any) -> list[tuple[str, str]]:
    """(role, unit code) for the user's active assignments, loaded once per user object."""
    rows: list[tuple[str, str]] | None = getattr(user, _CACHE_ATTR, None)
    if rows is None:
        from .models import RoleAssignment

        rows = list(
            RoleAssignment.objects.filter(user_id=user.pk, is_active=True).values_list("role", "unit__code")
        )
        setattr(user, _CACHE_ATTR, rows)
    return rows


def forget(user: Any) -> None:
    """Drop the cached roles (after a grant or revoke in the same request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def scope_of(user: Any, perm: Perm) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(everything=True)
    prefixes = [code for role, code in _role_rows(user) if perm in ROLE_PERMS.get(role, frozenset())]
    return Scope(prefixes=minimal_prefixes(prefixes))


def roles_of(user: Any) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    return {role for role, _ in _role_rows(user)}


def is_admin(user: Any) -> bool:
    """Admin roles must use a TOTP second factor."""
    return bool(user and user.is_authenticated and (user.is_superuser or roles_of(user) & ADMIN_ROLES))


def has_perm(user: Any, perm: Perm, code: str | None = None) -> bool:
    """Whether `user` holds `perm` anywhere (code=None) or over the unit with that code."""
    scope = scope_of(user, perm)
    if code is None:
        return not scope.is_empty
    return scope.covers(code)


_DENIED = {
    Perm.TERRITORY_VIEW: "您无权查看该区域：它不在您的管辖范围内。",
    Perm.TERRITORY_MANAGE: "您无权修改该区域的区划信息。",
    Perm.GRID_MANAGE: "您无权管理该区域的网格。",
    Perm.GRID_ASSIGN: "您无权为该区域的网格指派网格员。",
    Perm.ORG_MANAGE: "您无权管理该区域的机构。",
    Perm.ACCOUNTS_VIEW: "您无权查看该区域的人员。",
    Perm.ACCOUNTS_MANAGE: "您无权管理该区域的人员和角色。",
    Perm.HISTORY_VIEW: "您无权查看该对象的变更记录。",
    Perm.AUDIT_VIEW: "您无权查看审计日志。",
    Perm.DASHBOARD_VIEW: "您无权查看该区域的统计。",
    Perm.PEOPLE_VIEW: "您无权查看该区域的居民档案。",
    Perm.PEOPLE_EDIT: "您无权修改该区域的居民档案。",
    Perm.PEOPLE_IMPORT: "您无权向该区域导入居民档案。",
    Perm.PEOPLE_EXPORT: "您无权导出该区域的居民档案。",
    Perm.PEOPLE_VIEW_MINORS: "该居民是未成年人，您的角色无权查看其档案。",
    Perm.PEOPLE_VIEW_SENSITIVE: "该居民属于敏感群体，您的角色无权查看其档案。",
    Perm.PII_REVEAL: "您的角色无权查看完整的身份证号或手机号。",
    Perm.PEOPLE_CONFIGURE: "您无权配置档案字段和特殊群体。",
    Perm.PATROL_RECORD: "您无权在该网格登记巡查走访。",
}


def denied_message(perm: Perm) -> str:
    return _DENIED.get(perm, "您没有执行该操作的权限。")


def require(user: Any, perm: Perm, code: str | None = None) -> None:
    """Raise PermissionDenied unless `user` holds `perm` (over the unit `code` when given)."""
    if not has_perm(user, perm, code):
        raise PermissionDenied(denied_message(perm), code="forbidden", extra={"permission": str(perm)})


def require_obj(user: Any, perm: Perm, obj: Any) -> None:
    require(user, perm, obj.scope_value)


def restrict(queryset: QuerySet[M], user: Any, perm: Perm) -> QuerySet[M]:
    """The queryset narrowed to what `user` may reach with `perm`."""
    field = getattr(queryset.model, "scope_path", None)
    if field is None:
        raise TypeError(f"{queryset.model.__name__} declares no scope_path and cannot be scoped")
    scope = scope_of(user, perm)
    queryset = queryset.filter(scope.q(field))
    # Restricted rows (minors, sensitive groups): visible only where the user also holds the
    # stricter permission. A model lists them as (perm, classmethod returning the rows' Q).
    for restricted_perm, q_method in getattr(queryset.model, "restricted_rows", ()):
        stricter = scope_of(user, restricted_perm)
        if stricter.everything or (scope.prefixes and all(stricter.covers(p) for p in scope.prefixes)):
            continue  # the stricter permission holds wherever the user can look: nothing to hide
        rows = getattr(queryset.model, q_method)()
        # Held nowhere: a plain anti-join with no OR, which the planner runs cheaply per row.
        queryset = queryset.exclude(rows) if stricter.is_empty else queryset.filter(~rows | stricter.q(field))
    return queryset


def get_for(user: Any, perm: Perm, queryset: QuerySet[M], **lookup: Any) -> M:
    """One object by lookup: NotFound when it doesn't exist, PermissionDenied when it exists but
    lies outside the user's scope (the 403 tells the user why; ids are not secret here)."""
    try:
        obj = queryset.get(**lookup)
    except ObjectDoesNotExist as exc:
        raise NotFound(f"{queryset.model._meta.verbose_name}不存在。", code="not_found") from exc
    require_obj(user, perm, obj)
    for restricted_perm, q_method in getattr(queryset.model, "restricted_rows", ()):
        if has_perm(user, restricted_perm, getattr(obj, "scope_value", "")):
            continue
        rows = getattr(queryset.model, q_method)()
        if queryset.model._default_manager.filter(rows, pk=obj.pk).exists():
            raise PermissionDenied(
                denied_message(restricted_perm),
                code="forbidden_restricted",
                extra={"permission": str(restricted_perm)},
            )
    return obj
