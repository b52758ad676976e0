"""THE chokepoint: what a user may see and do, and where.

Every list, detail, export and API query passes through `restrict()` or `get_for()`; every
service checks `require()`. A permission comes from a role (see permissions.ROLE_PERMS) and holds
inside the unit subtree of that role assignment. A scoped model names the path of its unit code
in `scope_path` ("code" for Unit, "unit__code" for Grid, …) and exposes `scope_value`.

Organisation-bound roles (department handlers, choices.ORG_BOUND_ROLES) hold their permissions only
over rows their organisation is party to, on models that say which organisations those are: the
model declares a classmethod `org_q(org_ids) -> Q` and an instance method `organisation_ids()`.
On models without them the role's unit subtree applies as for any role.

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

from .choices import ADMIN_ROLES, ORG_BOUND_ROLES
from .permissions import ROLE_PERMS, Perm

M = TypeVar("M", bound=models.Model)

_CACHE_ATTR = "_jc_role_rows"


@dataclass(frozen=True)
class Scope:
    """The unit subtrees (by code prefix) where a permission holds. `everything` for superusers."""

    prefixes: tuple[str, ...] = ()
    everything: bool = False
    # (unit code, organisation id) of organisation-bound grants, kept apart from `prefixes`.
    org_grants: tuple[tuple[str, int], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.prefixes and not self.org_grants

    def widened(self) -> Scope:
        """The scope on a model that cannot tell organisations apart: org grants count as units."""
        if not self.org_grants:
            return self
        codes = list(self.prefixes) + [code for code, _ in self.org_grants]
        return Scope(prefixes=minimal_prefixes(codes), everything=self.everything)

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

    def org_q(self, model: type[models.Model], field: str) -> Q:
        """Rows reached through organisation-bound grants (inside each grant's subtree)."""
        condition = Q(pk__in=[])
        for code, org_id in self.org_grants:
            condition |= subtree_q(code, field) & model.org_q([org_id])  # type: ignore[attr-defined]
        return condition


def _role_rows(user: Any) -> list[tuple[str, str, int | None]]:
    """(role, unit code, organisation id) for the user's active assignments, loaded once per user."""
    rows: list[tuple[str, str, int | None]] | None = getattr(user, _CACHE_ATTR, None)
    if rows is None:
        from .models import RoleAssignment

        rows = list(
            RoleAssignment.objects.filter(user_id=user.pk, is_active=True).values_list(
                "role", "unit__code", "organisation_id"
            )
        )
        setattr(user, _CACHE_ATTR, rows)
    return rows


def forget(user: Any) -> None:
    """Drop the cached roles (after a grant or revoke in the same request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def scope_of(user: Any, perm: Perm) -> Scope:
    """Where `perm` holds, by unit subtree (organisation-bound grants counted as their units)."""
    return split_scope_of(user, perm).widened()


def split_scope_of(user: Any, perm: Perm) -> Scope:
    """Like scope_of, with organisation-bound grants kept apart in `org_grants`."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(everything=True)
    prefixes: list[str] = []
    org_grants: list[tuple[str, int]] = []
    for role, code, org_id in _role_rows(user):
        if perm not in ROLE_PERMS.get(role, frozenset()):
            continue
        if role in ORG_BOUND_ROLES and org_id is not None:
            org_grants.append((code, org_id))
        else:
            prefixes.append(code)
    kept = minimal_prefixes(prefixes)
    # An org grant inside a plain grant adds nothing.
    org = tuple(sorted({(c, o) for c, o in org_grants if not any(c.startswith(p) for p in kept)}))
    return Scope(prefixes=kept, org_grants=org)


def _org_aware(model: Any) -> bool:
    return hasattr(model, "org_q")


def organisations_of(user: Any) -> set[int]:
    """The organisations a user acts for through organisation-bound roles."""
    if user is None or not user.is_authenticated:
        return set()
    return {org for role, _, org in _role_rows(user) if role in ORG_BOUND_ROLES and org is not None}


def roles_of(user: Any) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    return {role for role, _, _ in _role_rows(user)}


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
    Perm.CASE_VIEW: "您无权查看该诉求：它不在您的管辖范围内，也未交给您所在的部门。",
    Perm.CASE_INTAKE: "您无权为该区域登记诉求。",
    Perm.CASE_DISPATCH: "您无权受理、分流或派发该区域的诉求。",
    Perm.CASE_HANDLE: "您无权办理该诉求：它未交给您或您所在的单位。",
    Perm.CASE_SUPERVISE: "您无权督办该诉求或审批其延期。",
    Perm.CASE_OWN: "只有领导可以包案。",
    Perm.CASE_IMPORT: "您无权导入12345热线工单。",
    Perm.CASE_CONFIGURE: "您无权配置诉求类别、时限和工作日历。",
    Perm.LISTS_MANAGE: "您无权维护该区域的责任清单。",
    Perm.VOTE_VIEW: "您无权查看该村的票决事项。",
    Perm.VOTE_MANAGE: "您无权办理该村的票决事项。",
    Perm.VOTE_REVIEW: "您无权审议备案该村的票决事项。",
    Perm.VOTE_TELLER: "您无权为该村录入纸质选票。",
    Perm.VOTE_SUPERVISE: "您不是该村村务监督委员会成员，无权监督该事项。",
    Perm.POINTS_VIEW: "您无权查看该村的积分。",
    Perm.POINTS_RULEBOOK: "您无权维护该村的积分细则。",
    Perm.POINTS_APPLY: "您无权代该村居民申请积分。",
    Perm.POINTS_APPROVE: "您不是该村的积分管理员，无权审核积分申请。",
    Perm.POINTS_COUNTERSIGN: "您不是该村的监督人员，无权复核积分申请。",
    Perm.STORE_OPERATE: "您不是该积分超市的管理员。",
}


def denied_message(perm: Perm) -> str:
    return _DENIED.get(perm, "您没有执行该操作的权限。")


def require(user: Any, perm: Perm, code: str | None = None) -> None:
    """Raise PermissionDenied unless `user` holds `perm` (over the unit `code` when given)."""
    if not has_perm(user, perm, code):
        raise PermissionDenied(denied_message(perm), code="forbidden", extra={"permission": str(perm)})


def obj_allowed(user: Any, perm: Perm, obj: Any) -> bool:
    """Whether `perm` holds over this object (organisation-bound grants count only for rows their
    organisation is party to, on models that can tell)."""
    scope = split_scope_of(user, perm)
    if not _org_aware(type(obj)):
        return scope.widened().covers(obj.scope_value)
    if scope.covers(obj.scope_value):
        return True
    if not scope.org_grants:
        return False
    party = set(obj.organisation_ids())
    return any(org in party and obj.scope_value.startswith(code) for code, org in scope.org_grants)


def acts_for_unit(user: Any, perm: Perm, code: str) -> bool:
    """Whether `user` may act with `perm` for the territorial body with this unit code (a township
    or village holding a case): plain grants only, an organisation-bound role never acts for a unit."""
    return split_scope_of(user, perm).covers(code)


def acts_for_org(user: Any, perm: Perm, org: Any) -> bool:
    """Whether `user` may act with `perm` for an organisation: its own members (org-bound grants) or
    holders of the permission over the organisation's whole service area (a county admin)."""
    scope = split_scope_of(user, perm)
    if scope.covers(org.service_area.code):
        return True
    return any(
        org_id == org.pk and org.service_area.code.startswith(code) for code, org_id in scope.org_grants
    )


def require_obj(user: Any, perm: Perm, obj: Any) -> None:
    if not obj_allowed(user, perm, obj):
        raise PermissionDenied(denied_message(perm), code="forbidden", extra={"permission": str(perm)})


def restrict(queryset: QuerySet[M], user: Any, perm: Perm) -> QuerySet[M]:
    """The queryset narrowed to what `user` may reach with `perm`."""
    field = getattr(queryset.model, "scope_path", None)
    if field is None:
        raise TypeError(f"{queryset.model.__name__} declares no scope_path and cannot be scoped")
    scope = split_scope_of(user, perm)
    if _org_aware(queryset.model) and scope.org_grants:
        queryset = queryset.filter(scope.q(field) | scope.org_q(queryset.model, field))
    else:
        scope = scope.widened()
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
