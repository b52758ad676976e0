"""Reads of accounts: staff and their roles within the viewer's scope, what a viewer may grant,
one's own tokens and second-factor device. Everything a user triggers passes the chokepoint."""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Max, Prefetch, Q, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.core.errors import NotFound, PermissionDenied
from apps.territory.models import Grid, Organisation, Unit
from apps.territory.paths import subtree_q

from . import access
from .choices import Role
from .models import ApiToken, RoleAssignment, User
from .permissions import GRANTABLE, ROLE_PERMS, Perm


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise a number in a log, not enough to call it."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else "****"


def user_scope_code(user: Any) -> str:
    """The unit code prefix shared by all the user's active roles: events about the user are
    visible to whoever oversees every unit where the user works ("" for no roles: superusers)."""
    if user is None or getattr(user, "pk", None) is None:
        return ""
    codes = list(
        RoleAssignment.objects.filter(user_id=user.pk, is_active=True).values_list("unit__code", flat=True)
    )
    if not codes:
        return ""
    # The common prefix of the smallest and largest code is the common prefix of them all.
    low, high = min(codes), max(codes)
    n = 0
    while n < len(low) and low[n] == high[n]:
        n += 1
    return low[:n]


def grantable_roles(user: Any, unit_code: str | None = None) -> list[str]:
    """Roles `user` may grant over the unit with `unit_code` (anywhere when None), in Role order."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return list(Role.values)
    allowed: set[str] = set()
    for held, code, _org in access._role_rows(user):
        if Perm.ACCOUNTS_MANAGE not in ROLE_PERMS.get(held, frozenset()):
            continue
        if unit_code is None or unit_code.startswith(code):
            allowed |= GRANTABLE.get(held, frozenset())
    return [role for role in Role.values if role in allowed]


# --- One's own account ----------------------------------------------------------------------------


def my_roles(user: Any) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(user_id=user.pk, is_active=True).select_related(
        "unit", "grid", "organisation"
    )


def my_api_tokens(user: Any) -> QuerySet[ApiToken]:
    # Owner-filtered, not scope-filtered: a token is personal, like a password.
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def my_api_token(user: Any, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id, user_id=user.pk).first()
    if token is None:
        raise NotFound("令牌不存在。", code="not_found")
    return token


def login_lock_minutes_left(username: str) -> int | None:
    """Minutes until a django-axes lockout of `username` ends (None: not locked or no cool-off)."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    cool_off = get_cool_off()
    last = AccessAttempt.objects.filter(username=username).aggregate(last=Max("attempt_time"))["last"]
    if cool_off is None or last is None:
        return None
    left = (last + cool_off - timezone.now()).total_seconds()
    return max(1, math.ceil(left / 60)) if left > 0 else None


def totp_confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).order_by("id").first()


# --- Staff within the viewer's scope ---------------------------------------------------------------


def _visible_assignments(viewer: Any, perm: Perm = Perm.ACCOUNTS_VIEW) -> QuerySet[RoleAssignment]:
    return access.restrict(RoleAssignment.objects.all(), viewer, perm)


def staff_search(
    viewer: Any, *, role: str | None = None, unit_code: str | None = None, q: str = ""
) -> QuerySet[User]:
    """Users holding an active role inside the viewer's ACCOUNTS_VIEW scope, optionally only
    those with `role` inside the unit subtree `unit_code`; each carries `visible_roles`."""
    visible = _visible_assignments(viewer).filter(is_active=True)
    matching = visible
    if role:
        matching = matching.filter(role=role)
    if unit_code:
        matching = matching.filter(subtree_q(unit_code, "unit__code"))
    users = User.objects.filter(pk__in=matching.values("user_id"))
    q = q.strip()
    if q:
        users = users.filter(Q(username__icontains=q) | Q(full_name__contains=q) | Q(phone__startswith=q))
    roles = visible.select_related("unit", "grid", "organisation").order_by("unit__code", "role")
    return users.prefetch_related(
        Prefetch("role_assignments", queryset=roles, to_attr="visible_roles")
    ).order_by("username")


def staff_get(viewer: Any, user_id: int) -> User:
    """One user the viewer may see: one with a role (current or past) inside the viewer's scope."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("用户不存在。", code="not_found")
    if viewer.is_superuser:
        return user
    access.require(viewer, Perm.ACCOUNTS_VIEW)
    if not _visible_assignments(viewer).filter(user_id=user.pk).exists():
        raise PermissionDenied("您无权查看该人员：其任职不在您的管辖范围内。", code="forbidden")
    return user


def staff_assignments(viewer: Any, user: User) -> QuerySet[RoleAssignment]:
    """The user's role assignments that the viewer may see, current ones first."""
    return (
        _visible_assignments(viewer)
        .filter(user_id=user.pk)
        .select_related("unit", "grid", "organisation", "granted_by")
        .order_by("-is_active", "unit__code", "role", "-granted_at")
    )


def staff_events(viewer: Any, user: User, limit: int = 30) -> list[Any]:
    """Recent business events about the user (logins, grants, password changes), narrowed to
    what the viewer's history permission covers."""
    from django.contrib.contenttypes.models import ContentType

    from apps.audit.models import Event

    ct = ContentType.objects.get_for_model(User)
    events = access.restrict(Event.objects.all(), viewer, Perm.HISTORY_VIEW)
    return list(events.filter(content_type=ct, object_id=str(user.pk)).select_related("actor")[:limit])


def assignment_get(viewer: Any, user: User, assignment_id: int) -> RoleAssignment:
    return access.get_for(
        viewer,
        Perm.ACCOUNTS_MANAGE,
        RoleAssignment.objects.filter(user_id=user.pk).select_related("unit"),
        pk=assignment_id,
    )


# --- What a manager may pick when granting ----------------------------------------------------------


def units_for_grant(viewer: Any) -> QuerySet[Unit]:
    """Units (county down to village) where the viewer manages accounts."""
    return access.restrict(
        Unit.objects.filter(is_active=True, level__gte=3, level__lte=5), viewer, Perm.ACCOUNTS_MANAGE
    ).order_by("code")


def organisations_for_grant(viewer: Any) -> QuerySet[Organisation]:
    return access.restrict(
        Organisation.objects.filter(is_active=True).select_related("service_area"),
        viewer,
        Perm.ACCOUNTS_MANAGE,
    ).order_by("service_area__code", "name")


def unit_for_grant(viewer: Any, code: str) -> Unit:
    return access.get_for(viewer, Perm.ACCOUNTS_MANAGE, Unit.objects.all(), code=code)


def grid_for_grant(viewer: Any, code: str) -> Grid:
    return access.get_for(viewer, Perm.ACCOUNTS_MANAGE, Grid.objects.select_related("unit"), code=code)


def organisation_for_grant(viewer: Any, code: str) -> Organisation:
    return access.get_for(
        viewer, Perm.ACCOUNTS_MANAGE, Organisation.objects.select_related("service_area"), code=code
    )
