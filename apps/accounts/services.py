"""Writes to accounts: staff users, role grants and revocations, passwords, API tokens, the TOTP
second factor, login unlocks and phone login codes."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import math
import re
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.services import audit_create, audit_update, record_event, snapshot
from apps.core.errors import (
    ApplicationError,
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from apps.core.sms import send_sms

from . import access, events
from .choices import Role, UserKind
from .models import ApiToken, PhoneLoginCode, RoleAssignment, User
from .permissions import Perm
from .selectors import grantable_roles, mask_phone, user_scope_code

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")

# Django's validator messages depend on the active language (an English browser would get English)
# and its "too short" message has no Chinese translation; the policy speaks Chinese by code.
_PASSWORD_MESSAGES = {
    "password_too_short": "密码太短：至少需要 {min_length} 个字符。",
    "password_too_common": "该密码过于常见，容易被猜中，请换一个。",
    "password_entirely_numeric": "密码不能全为数字。",
    "password_too_similar": "密码与用户名或姓名过于相似。",
}


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        messages = []
        for error in exc.error_list:
            template = _PASSWORD_MESSAGES.get(error.code or "")
            messages.append(template.format(**(error.params or {})) if template else str(error.message))
        raise ValidationFailed(
            "；".join(messages), code="password_policy", extra={"fields": {"password": messages}}
        ) from exc


def _require_manages_user(actor: User, user: User) -> None:
    """The actor manages accounts over every unit where `user` holds a role, and could have
    granted each of those roles. A superuser is managed by superusers only; a user without any
    active role (a resident, or staff whose roles were all revoked) by superusers only too."""
    if actor.is_superuser:
        return
    if user.is_superuser:
        raise PermissionDenied("只有系统管理员可以管理系统管理员账号。", code="forbidden")
    rows = list(RoleAssignment.objects.filter(user=user, is_active=True).values_list("role", "unit__code"))
    if not rows:
        raise PermissionDenied("该账号没有有效角色，只有系统管理员可以管理它。", code="forbidden")
    for role, code in rows:
        access.require(actor, Perm.ACCOUNTS_MANAGE, code)
        if role not in grantable_roles(actor, code):
            raise PermissionDenied(f"该账号担任“{Role(role).label}”，您无权管理。", code="role_not_grantable")


# --- Users and roles -----------------------------------------------------------------------------


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    full_name: str,
    password: str | None = None,
    phone: str | None = None,
    title: str = "",
    kind: str = UserKind.STAFF,
) -> User:
    """Create a user. `actor=None` only from trusted setup code (demo loader, createsuperuser)."""
    if actor is not None:
        access.require(actor, Perm.ACCOUNTS_MANAGE)
    if kind not in UserKind.values:
        raise ValidationFailed(f"未知的账号类型“{kind}”。", code="kind_unknown")
    username = (username or "").strip()
    phone = (phone or "").strip() or None
    if not USERNAME_RE.match(username):
        raise ValidationFailed("用户名须为 3–64 位字母、数字或 _.@-。", code="username_format")
    if phone is not None and not PHONE_RE.match(phone):
        raise ValidationFailed("手机号格式不正确（11 位，以 1 开头）。", code="phone_format")
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"用户名“{username}”已被使用。", code="duplicate_username")
    if phone and User.objects.filter(phone=phone).exists():
        raise Conflict("该手机号已绑定其他账号。", code="duplicate_phone")
    user = User(
        username=username, full_name=(full_name or "").strip(), phone=phone, title=title.strip(), kind=kind
    )
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
def staff_create(
    *,
    actor: User,
    username: str,
    full_name: str,
    password: str,
    role: str,
    unit: Any = None,
    grid: Any = None,
    organisation: Any = None,
    phone: str | None = None,
    title: str = "",
) -> tuple[User, RoleAssignment]:
    """A staff user together with their first role: both or neither, so that no account exists
    that nobody in the territory can see or manage."""
    if not password:
        raise ValidationFailed("请为新账号设置初始密码。", code="password_required")
    user = user_create(
        actor=actor, username=username, full_name=full_name, password=password, phone=phone, title=title
    )
    assignment = role_grant(
        actor=actor, user=user, role=role, unit=unit, grid=grid, organisation=organisation
    )
    return user, assignment


def _role_label(role: str) -> str:
    return str(Role(role).label)


@transaction.atomic
def role_grant(
    *,
    actor: User | None,
    user: User,
    role: str,
    unit: Any = None,
    organisation: Any = None,
    grid: Any = None,
) -> RoleAssignment:
    """Grant `role` over a unit's subtree. A gridder's unit is their grid's, a department
    handler's their organisation's service area. The grantor must manage accounts over that unit
    and may only grant roles their own role there allows (a township officer cannot make a county
    admin). `actor=None` only from trusted setup code."""
    if role not in Role.values:
        raise ValidationFailed(f"未知的角色“{role}”。", code="role_unknown")
    label = _role_label(role)
    if role == Role.GRIDDER:
        if grid is None:
            raise ValidationFailed("网格员角色须指定网格。", code="gridder_needs_grid")
        unit = grid.unit
    elif grid is not None:
        raise ValidationFailed(f"“{label}”角色不指定网格。", code="grid_not_applicable")
    if role == Role.DEPARTMENT_HANDLER:
        if organisation is None:
            raise ValidationFailed("部门办理人员须指定所属机构。", code="handler_needs_org")
        unit = organisation.service_area
    elif organisation is not None:
        raise ValidationFailed(f"“{label}”角色不指定机构。", code="org_not_applicable")
    if unit is None:
        raise ValidationFailed("请选择管辖范围。", code="unit_required")
    # The scope is checked on the unit the role will really hold (the grid's, the organisation's),
    # not on whatever unit the caller passed along.
    if actor is not None:
        access.require(actor, Perm.ACCOUNTS_MANAGE, unit.code)
        if role not in grantable_roles(actor, unit.code):
            raise PermissionDenied(f"您不能授予“{label}”角色。", code="role_not_grantable")
    if user.kind != UserKind.STAFF:
        raise ValidationFailed("居民账号不能授予工作人员角色。", code="role_for_resident")
    if not user.is_active:
        raise ValidationFailed("该账号已停用，不能授予角色。", code="user_inactive")
    if (
        not unit.is_active
        or (grid is not None and not grid.is_active)
        or (organisation is not None and not organisation.is_active)
    ):
        raise ValidationFailed("所选区域、网格或机构已停用。", code="target_inactive")
    # Grants to one user queue on the user's row, so two simultaneous identical grants end as one
    # assignment and one Conflict (the partial unique constraints are the last word).
    User.objects.select_for_update().get(pk=user.pk)
    existing = RoleAssignment.objects.filter(
        user=user, role=role, unit=unit, grid=grid, organisation=organisation, is_active=True
    )
    message = f"“{user}”已在“{unit}”担任“{label}”。"
    if existing.exists():
        raise Conflict(message, code="role_exists")
    assignment = RoleAssignment(
        user=user, role=role, unit=unit, grid=grid, organisation=organisation, granted_by=actor
    )
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError as exc:
        raise Conflict(message, code="role_exists") from exc
    audit_create(actor=actor, obj=assignment)
    record_event(
        actor=actor,
        event_type=events.ROLE_GRANTED,
        obj=user,
        scope_code=unit.code,
        data={"role": role, "unit": unit.code, "grid": grid.code if grid else None},
    )
    access.forget(user)
    return assignment


@transaction.atomic
def role_revoke(*, actor: User, assignment: RoleAssignment) -> RoleAssignment:
    assignment = (
        RoleAssignment.objects.select_for_update().select_related("unit", "user").get(pk=assignment.pk)
    )
    access.require(actor, Perm.ACCOUNTS_MANAGE, assignment.unit.code)
    if assignment.role not in grantable_roles(actor, assignment.unit.code):
        raise PermissionDenied(f"您不能撤销“{_role_label(assignment.role)}”角色。", code="role_not_grantable")
    if not assignment.is_active:
        raise Conflict("该角色已被撤销。", code="already_revoked")
    if assignment.user_id == actor.pk and assignment.role == Role.COUNTY_ADMIN:
        raise ValidationFailed("不能撤销自己的县级管理员角色。", code="revoke_self_admin")
    before = snapshot(assignment)
    assignment.is_active = False
    assignment.revoked_at = timezone.now()
    assignment.save(update_fields=["is_active", "revoked_at"])
    audit_update(actor=actor, obj=assignment, before=before)
    record_event(
        actor=actor,
        event_type=events.ROLE_REVOKED,
        obj=assignment.user,
        scope_code=assignment.unit.code,
        data={"role": assignment.role, "unit": assignment.unit.code},
    )
    access.forget(assignment.user)
    return assignment


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str, current_password: str | None = None) -> User:
    """Change one's own password (the current one is required) or reset another's (the actor must
    manage every role the user holds: a township officer cannot reset a county admin)."""
    if actor.pk == user.pk:
        if user.has_usable_password() and not user.check_password(current_password or ""):
            raise ValidationFailed(
                "当前密码不正确。",
                code="current_password_wrong",
                extra={"fields": {"current_password": ["当前密码不正确。"]}},
            )
    else:
        _require_manages_user(actor, user)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    record_event(
        actor=actor,
        event_type=events.PASSWORD_CHANGED,
        obj=user,
        scope_code=user_scope_code(user),
        data={"reset_by_other": actor.pk != user.pk},
    )
    return user


@transaction.atomic
def user_login_unlock(*, actor: User, user: User) -> int:
    """Lift a login lockout (django-axes) before the cool-off ends; returns attempts removed."""
    from axes.utils import reset

    _require_manages_user(actor, user)
    removed = int(reset(username=user.get_username()))
    record_event(
        actor=actor,
        event_type=events.LOGIN_UNLOCKED,
        obj=user,
        scope_code=user_scope_code(user),
        data={"attempts_removed": removed},
    )
    return removed


# --- Second factor (TOTP) ------------------------------------------------------------------------


@transaction.atomic
def totp_device_prepare(*, actor: User) -> TOTPDevice:
    """The actor's unconfirmed TOTP device, created on the first visit to the setup page; its key
    stays the same until confirmed, so reloading the page shows the same QR code."""
    if TOTPDevice.objects.filter(user=actor, confirmed=True).exists():
        raise Conflict("您已绑定动态口令。", code="totp_exists")
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name="动态口令", confirmed=False)
    return device


def _totp_check(device: TOTPDevice, token: str) -> ApplicationError | None:
    allowed, info = device.verify_is_allowed()
    if not allowed:
        locked_until = (info or {}).get("locked_until")
        wait = 1
        if locked_until is not None:
            wait = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
        return RateLimited(
            f"动态口令错误次数过多，请 {wait} 秒后再试。", code="otp_throttled", extra={"retry_after": wait}
        )
    if not device.verify_token((token or "").replace(" ", "")):
        return ValidationFailed("动态口令不正确，请输入验证器应用中当前显示的 6 位数字。", code="otp_wrong")
    return None


def totp_device_confirm(*, actor: User, device_id: int, token: str) -> TOTPDevice:
    """Confirm a new device with a code from it. A wrong code is counted by django-otp's
    throttling in a committed transaction before the refusal is raised."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=actor).first()
        if device is None or device.confirmed:
            raise NotFound("动态口令设备不存在或已绑定，请刷新页面。", code="not_found")
        error = _totp_check(device, token)
        if error is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            # The device itself is not written to the audit trail: its row holds the secret key.
            record_event(
                actor=actor,
                event_type=events.TOTP_ENROLLED,
                obj=actor,
                scope_code=user_scope_code(actor),
                data={"device": device.name},
            )
    if error is not None:
        raise error
    return device


def totp_verify(*, actor: User, token: str) -> TOTPDevice:
    """Check a code against the actor's confirmed device; the device is locked while checking so
    that one code cannot be used twice by two simultaneous requests."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=True).order_by("id").first()
        )
        if device is None:
            raise NotFound("您尚未绑定动态口令。", code="totp_missing")
        error = _totp_check(device, token)
    if error is not None:
        raise error
    return device


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
    token = ApiToken(
        user=actor,
        name=name[:60],
        prefix=prefix,
        key_hash=_hash_secret(secret),
        expires_at=timezone.now() + datetime.timedelta(days=days) if days else None,
    )
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
    """Send a 6-digit login code to a resident's phone.

    Says nothing about whether the phone has a resident account: for an unknown phone (or a
    staff phone, which may not log in this way) a code row that no one can know is stored and
    nothing is sent, so the resend and hourly limits answer exactly as for a real account."""
    phone = (phone or "").strip()
    if not PHONE_RE.match(phone):
        raise ValidationFailed("手机号格式不正确（11 位，以 1 开头）。", code="phone_format")
    now = timezone.now()
    last = PhoneLoginCode.objects.select_for_update().filter(phone=phone).first()
    if last is not None:
        elapsed = (now - last.created_at).total_seconds()
        if elapsed < settings.PHONE_CODE_RESEND_SECONDS:
            wait = max(1, math.ceil(settings.PHONE_CODE_RESEND_SECONDS - elapsed))
            raise RateLimited(
                f"验证码已发送，请 {wait} 秒后再重新获取。", code="code_too_soon", extra={"retry_after": wait}
            )
    hour_ago = now - datetime.timedelta(hours=1)
    if PhoneLoginCode.objects.filter(phone=phone, created_at__gte=hour_ago).count() >= 5:
        raise RateLimited("验证码请求过于频繁，请一小时后再试。", code="code_hourly_limit")
    has_account = User.objects.filter(phone=phone, kind=UserKind.RESIDENT, is_active=True).exists()
    code = f"{secrets.randbelow(10**6):06d}"
    stored = code if has_account else secrets.token_hex(16)
    PhoneLoginCode.objects.create(
        phone=phone,
        code_hash=_hash_code(phone, stored),
        created_at=now,
        expires_at=now + datetime.timedelta(seconds=settings.PHONE_CODE_TTL_SECONDS),
    )
    if not has_account:
        return
    record_event(actor=None, event_type=events.PHONE_CODE_SENT, data={"phone": mask_phone(phone)})
    minutes = settings.PHONE_CODE_TTL_SECONDS // 60
    text = f"【{settings.PLATFORM_NAME}】登录验证码 {code}，{minutes} 分钟内有效。请勿告诉他人。"
    transaction.on_commit(lambda: send_sms(phone, text))


def phone_code_verify(*, phone: str, code: str) -> User:
    """Check a code; only the newest code of the phone counts, tried at most
    PHONE_CODE_MAX_ATTEMPTS times.

    A wrong try is counted in its own transaction before the refusal is raised, so the attempt
    limit cannot be dodged by a caller whose transaction rolls back on the error."""
    phone = (phone or "").strip()
    if not PHONE_RE.match(phone):
        raise ValidationFailed("手机号格式不正确（11 位，以 1 开头）。", code="phone_format")
    with transaction.atomic():
        error = _phone_code_consume(phone, (code or "").strip())
        user = (
            None
            if error
            else User.objects.filter(phone=phone, kind=UserKind.RESIDENT, is_active=True).first()
        )
    if error:
        raise error
    if user is None:
        raise ValidationFailed("验证码不正确。", code="code_wrong")
    return user


def _phone_code_consume(phone: str, code: str) -> ValidationFailed | None:
    now = timezone.now()
    # The newest code only: asking for a new code retires the older ones.
    entry = PhoneLoginCode.objects.select_for_update().filter(phone=phone).first()
    if entry is None or entry.used_at is not None or entry.expires_at <= now:
        return ValidationFailed("验证码已过期或不存在，请重新获取。", code="code_expired")
    if entry.attempts >= settings.PHONE_CODE_MAX_ATTEMPTS:
        return ValidationFailed("验证码错误次数过多，请重新获取。", code="code_locked")
    if not hmac.compare_digest(entry.code_hash, _hash_code(phone, code)):
        PhoneLoginCode.objects.filter(pk=entry.pk).update(attempts=F("attempts") + 1)
        left = settings.PHONE_CODE_MAX_ATTEMPTS - entry.attempts - 1
        if left <= 0:
            return ValidationFailed("验证码错误次数过多，请重新获取。", code="code_locked")
        return ValidationFailed(f"验证码不正确，还可尝试 {left} 次。", code="code_wrong")
    PhoneLoginCode.objects.filter(pk=entry.pk).update(used_at=now)
    return None
