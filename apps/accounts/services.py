"""Writes to accounts: staff users, role grants and revocations, API tokens, phone login codes."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.services import audit_create, audit_update, record_event, snapshot
from apps.core.errors import Conflict, NotFound, PermissionDenied, RateLimited, ValidationFailed
from apps.core.sms import send_sms

from . import access, events
from .choices import Role, UserKind
from .models import ApiToken, PhoneLoginCode, RoleAssignment, User
from .permissions import GRANTABLE, Perm

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed("；".join(exc.messages), code="password_policy") from exc


# --- Users and roles -----------------------------------------------------------------------------


@transaction.atomic
def user_create(*, actor: User | None, username: str, full_name: str, password: str | None = None,
                phone: str | None = None, title: str = "", kind: str = UserKind.STAFF) -> User:
    """Create a user. `actor=None` only from trusted setup code (demo loader, createsuperuser)."""
    if actor is not None:
        access.require(actor, Perm.ACCOUNTS_MANAGE)
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise ValidationFailed("用户名须为 3–64 位字母、数字或 _.@-。", code="username_format")
    if phone is not None and not PHONE_RE.match(phone):
        raise ValidationFailed("手机号格式不正确（11 位，以 1 开头）。", code="phone_format")
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"用户名“{username}”已被使用。", code="duplicate_username")
    if phone and User.objects.filter(phone=phone).exists():
        raise Conflict("该手机号已绑定其他账号。", code="duplicate_phone")
    user = User(username=username, full_name=full_name.strip(), phone=phone or None, title=title, kind=kind)
    if password:
        _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise Conflict(f"用户名“{username}”或手机号已被使用。", code="duplicate_username") from exc
    audit_create(actor=actor, obj=user)
    record_event(actor=actor, event_type=events.USER_CREATED, obj=user, data={"username": username})
    return user


@transaction.atomic
def role_grant(*, actor: User | None, user: User, role: str, unit: Any, organisation: Any = None,
               grid: Any = None) -> RoleAssignment:
    """Grant `role` over `unit`'s subtree. The grantor must manage accounts there and may only
    grant roles their own role allows (a township officer cannot make a county admin)."""
    if role not in Role.values:
        raise ValidationFailed(f"未知的角色“{role}”。", code="role_unknown")
    if actor is not None and not actor.is_superuser:
        access.require(actor, Perm.ACCOUNTS_MANAGE, unit.code)
        grantable: set[str] = set()
        for held_role, code in access._role_rows(actor):
            if unit.code.startswith(code):
                grantable |= GRANTABLE.get(held_role, frozenset())
        if role not in grantable:
            raise PermissionDenied(f"您不能授予“{Role(role).label}”角色。", code="role_not_grantable")
    if user.kind != UserKind.STAFF:
        raise ValidationFailed("居民账号不能授予工作人员角色。", code="role_for_resident")
    if role == Role.GRIDDER:
        if grid is None:
            raise ValidationFailed("网格员角色须指定网格。", code="gridder_needs_grid")
        unit = grid.unit
    if role == Role.DEPARTMENT_HANDLER:
        if organisation is None:
            raise ValidationFailed("部门办理人员须指定所属机构。", code="handler_needs_org")
        unit = organisation.service_area
    User.objects.select_for_update().get(pk=user.pk)
    existing = RoleAssignment.objects.filter(user=user, role=role, unit=unit, grid=grid,
                                             organisation=organisation, is_active=True)
    if existing.exists():
        raise Conflict(f"“{user}”已在“{unit}”担任“{Role(role).label}”。", code="role_exists")
    assignment = RoleAssignment(user=user, role=role, unit=unit, grid=grid, organisation=organisation,
                                granted_by=actor)
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError as exc:
        raise Conflict(f"“{user}”已在“{unit}”担任“{Role(role).label}”。", code="role_exists") from exc
    audit_create(actor=actor, obj=assignment)
    record_event(actor=actor, event_type=events.ROLE_GRANTED, obj=user, scope_code=unit.code,
                 data={"role": role, "unit": unit.code})
    access.forget(user)
    return assignment


@transaction.atomic
def role_revoke(*, actor: User, assignment: RoleAssignment) -> RoleAssignment:
    assignment = RoleAssignment.objects.select_for_update().select_related("unit", "user").get(pk=assignment.pk)
    access.require(actor, Perm.ACCOUNTS_MANAGE, assignment.unit.code)
    if not assignment.is_active:
        raise Conflict("该角色已被撤销。", code="already_revoked")
    if assignment.user_id == actor.pk and assignment.role == Role.COUNTY_ADMIN:
        raise ValidationFailed("不能撤销自己的县级管理员角色。", code="revoke_self_admin")
    before = snapshot(assignment)
    assignment.is_active = False
    assignment.revoked_at = timezone.now()
    assignment.save(update_fields=["is_active", "revoked_at"])
    audit_update(actor=actor, obj=assignment, before=before)
    record_event(actor=actor, event_type=events.ROLE_REVOKED, obj=assignment.user, scope_code=assignment.unit.code,
                 data={"role": assignment.role, "unit": assignment.unit.code})
    access.forget(assignment.user)
    return assignment


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str) -> User:
    if actor.pk != user.pk:
        access.require(actor, Perm.ACCOUNTS_MANAGE)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    record_event(actor=actor, event_type=events.PASSWORD_CHANGED, obj=user, data={})
    return user


# --- API tokens ----------------------------------------------------------------------------------


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: User, name: str, days: int | None = 365) -> tuple[ApiToken, str]:
    """Create a token for the actor; returns (token, plaintext). The plaintext is shown once."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写令牌用途。", code="name_required")
    if days is not None and not 1 <= days <= 3650:
        raise ValidationFailed("有效期须在 1–3650 天之间。", code="token_days_range")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(user=actor, name=name[:60], prefix=prefix, key_hash=_hash_secret(secret),
                     expires_at=timezone.now() + datetime.timedelta(days=days) if days else None)
    token.save()
    audit_create(actor=actor, obj=token)
    record_event(actor=actor, event_type=events.TOKEN_CREATED, obj=token, data={"name": name})
    return token, f"jc_{prefix}_{secret}"


def api_token_authenticate(raw: str) -> User | None:
    """The active user behind a bearer token, or None."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != "jc":
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    if not hmac.compare_digest(token.key_hash, _hash_secret(parts[2])):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.user_id != actor.pk and not actor.is_superuser:
        raise NotFound("令牌不存在。", code="not_found")
    if token.revoked_at:
        raise Conflict("该令牌已吊销。", code="already_revoked")
    before = snapshot(token)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_update(actor=actor, obj=token, before=before)
    record_event(actor=actor, event_type=events.TOKEN_REVOKED, obj=token, data={})
    return token


# --- Phone login (residents) ---------------------------------------------------------------------


def _hash_code(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def phone_code_request(*, phone: str) -> None:
    """Send a 6-digit login code. Says nothing about whether the phone has an account."""
    phone = (phone or "").strip()
    if not PHONE_RE.match(phone):
        raise ValidationFailed("手机号格式不正确（11 位，以 1 开头）。", code="phone_format")
    now = timezone.now()
    last = PhoneLoginCode.objects.select_for_update().filter(phone=phone).first()
    if last and (now - last.created_at).total_seconds() < settings.PHONE_CODE_RESEND_SECONDS:
        raise RateLimited("验证码已发送，请稍后再试。", code="code_too_soon")
    hour_ago = now - datetime.timedelta(hours=1)
    if PhoneLoginCode.objects.filter(phone=phone, created_at__gte=hour_ago).count() >= 5:
        raise RateLimited("验证码请求过于频繁，请一小时后再试。", code="code_hourly_limit")
    if not User.objects.filter(phone=phone, kind=UserKind.RESIDENT, is_active=True).exists():
        return  # no account: behave the same to the caller, send nothing
    code = f"{secrets.randbelow(10**6):06d}"
    PhoneLoginCode.objects.create(phone=phone, code_hash=_hash_code(phone, code),
                                  expires_at=now + datetime.timedelta(seconds=settings.PHONE_CODE_TTL_SECONDS))
    minutes = settings.PHONE_CODE_TTL_SECONDS // 60
    transaction.on_commit(lambda: send_sms(phone, f"【{settings.PLATFORM_NAME}】登录验证码 {code}，{minutes} 分钟内有效。"))


def phone_code_verify(*, phone: str, code: str) -> User:
    """Check a code; the newest unused code counts, tried at most PHONE_CODE_MAX_ATTEMPTS times.

    A wrong try is counted in its own committed transaction before the refusal is raised, so
    the attempt limit cannot be dodged by the rollback of the caller's request."""
    with transaction.atomic():
        error = _phone_code_consume(phone, (code or "").strip())
        user = None if error else User.objects.filter(phone=phone, kind=UserKind.RESIDENT, is_active=True).first()
    if error:
        raise error
    if user is None:
        raise ValidationFailed("验证码不正确。", code="code_wrong")
    return user


def _phone_code_consume(phone: str, code: str) -> ValidationFailed | None:
    now = timezone.now()
    entry = PhoneLoginCode.objects.select_for_update().filter(phone=phone, used_at__isnull=True).first()
    if entry is None or entry.expires_at <= now:
        return ValidationFailed("验证码已过期或不存在，请重新获取。", code="code_expired")
    if entry.attempts >= settings.PHONE_CODE_MAX_ATTEMPTS:
        return ValidationFailed("验证码错误次数过多，请重新获取。", code="code_locked")
    if not hmac.compare_digest(entry.code_hash, _hash_code(phone, code)):
        PhoneLoginCode.objects.filter(pk=entry.pk).update(attempts=entry.attempts + 1)
        return ValidationFailed("验证码不正确。", code="code_wrong")
    PhoneLoginCode.objects.filter(pk=entry.pk).update(used_at=now)
    return None
