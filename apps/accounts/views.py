"""Login (password, and phone code for residents), logout, lockout page, second factor, profile
(password, API tokens), staff list and detail, creating staff and granting/revoking roles."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from apps.core.errors import ApplicationError, ValidationFailed

from . import access, selectors, services
from .backends import PHONE_LOGIN_ERROR_ATTR
from .choices import Role, UserKind
from .forms import (
    LoginForm,
    OtpTokenForm,
    PasswordChangeForm,
    PasswordResetForm,
    PhoneForm,
    PhoneLoginForm,
    RoleGrantForm,
    StaffCreateForm,
    StaffFilterForm,
    TokenCreateForm,
)
from .models import User
from .permissions import Perm

STAFF_PAGE_SIZE = 30


def _next_url(request: HttpRequest, default: str = "core:home") -> str:
    """The `next` parameter when it points into this site, else the default page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(default)


# --- Password login, logout, lockout ----------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        url = super().get_success_url()
        # An admin goes straight to the second factor rather than bouncing off the middleware.
        if access.is_admin(self.request.user):
            return f"{reverse('accounts:otp')}?{urlencode({'next': url})}"
        return url


login_view = LoginView.as_view()


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "您已安全退出。")
    return redirect("accounts:login")


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """django-axes calls this (AXES_LOCKOUT_CALLABLE) when a username is locked out."""
    from axes.helpers import get_client_username, get_cool_off

    username = get_client_username(request, credentials) or ""
    cool_off = get_cool_off(request)
    context = {
        "minutes_left": selectors.login_lock_minutes_left(username),
        "minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "username": username,
    }
    return render(request, "accounts/locked_out.html", context, status=429)


# --- Second factor ----------------------------------------------------------------------------------


def _qr_svg(data: str) -> str:
    """The QR code as inline SVG, drawn here (no network, no image file, no style attribute)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=14, border=2)
    svg: str = image.to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg class="otp-qr" role="img" aria-label="动态口令二维码" ', 1)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
def otp_view(request: HttpRequest) -> HttpResponse:
    """Set up (first time) or check the admin's TOTP second factor. Others never need it."""
    user: Any = request.user
    next_url = _next_url(request)
    if not access.is_admin(user) or user.is_verified():
        return redirect(next_url)
    device = selectors.totp_confirmed_device(user)
    form = OtpTokenForm(request.POST or None)
    status = 200
    if device is None:
        pending = services.totp_device_prepare(actor=user)
        if request.method == "POST" and form.is_valid():
            try:
                confirmed = services.totp_device_confirm(
                    actor=user, device_id=pending.pk, token=form.cleaned_data["token"].strip()
                )
            except ApplicationError as exc:
                form.add_service_error(exc)
                status = exc.http_status
            else:
                otp_login(request, confirmed)
                messages.success(request, "动态口令绑定成功。以后登录时请输入验证器应用中的 6 位数字。")
                return redirect(next_url)
        secret = base64.b32encode(pending.bin_key).decode()
        context = {
            "form": form,
            "next": next_url,
            "qr_svg": mark_safe(_qr_svg(pending.config_url)),  # noqa: S308 - generated above, no user HTML
            "secret": _grouped(secret),
        }
        return render(request, "accounts/otp_setup.html", context, status=status)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_verify(actor=user, token=form.cleaned_data["token"].strip())
        except ApplicationError as exc:
            form.add_service_error(exc)
            status = exc.http_status
        else:
            otp_login(request, device)
            return redirect(next_url)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url}, status=status)


# --- Phone login (residents) ------------------------------------------------------------------------


def phone_login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = PhoneLoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, phone=form.cleaned_data["phone"], code=form.cleaned_data["code"])
        if user is not None:
            login(request, user)
            return redirect(_next_url(request))
        error = getattr(request, PHONE_LOGIN_ERROR_ATTR, None)
        form.add_error(None, error.message if error else "验证码不正确。")
        status = 400
    context = {"form": form, "next": _next_url(request)}
    return render(request, "accounts/phone_login.html", context, status=status)


@require_POST
def phone_code_send(request: HttpRequest) -> HttpResponse:
    """The "获取验证码" button: an htmx post that answers with the status line only."""
    form = PhoneForm(request.POST)
    status = 200
    ok = False
    if not form.is_valid():
        message = form.errors["phone"][0]
        status = 400
    else:
        try:
            services.phone_code_request(phone=form.cleaned_data["phone"])
        except ApplicationError as exc:
            message = exc.message
            status = exc.http_status
        else:
            ok = True
            minutes = settings.PHONE_CODE_TTL_SECONDS // 60
            message = f"如该手机号已登记为居民账号，验证码已通过短信发送，{minutes} 分钟内有效。"
    context = {"code_message": message, "code_ok": ok}
    if request.htmx:  # type: ignore[attr-defined]
        # htmx swaps only 2xx answers; the refusal is in the text, the status in a header.
        response = render(request, "accounts/phone_login.html#code_status", context)
        response["X-Code-Status"] = str(status)
        return response
    page = {"form": PhoneLoginForm(initial={"phone": request.POST.get("phone", "")}), **context}
    return render(request, "accounts/phone_login.html", page, status=status)


# --- Profile: my roles, password, API tokens --------------------------------------------------------


def _profile_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user: Any = request.user
    context = {
        "assignments": selectors.my_roles(user),
        "password_form": PasswordChangeForm(),
        "token_form": TokenCreateForm(),
        "tokens": selectors.my_api_tokens(user),
        "is_staff_user": user.kind == UserKind.STAFF,
        "nav_active": "profile",
    }
    context.update(extra)
    return context


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html", _profile_context(request))


@login_required
@require_POST
def password_change(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            services.user_set_password(
                actor=user,
                user=user,
                password=form.cleaned_data["password"],
                current_password=form.cleaned_data["current_password"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            # Other sessions of this user end (their hash no longer matches); this one stays.
            update_session_auth_hash(request, user)
            messages.success(request, "密码已修改。其他设备上的登录已失效。")
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", _profile_context(request, password_form=form), status=400)


def _tokens_response(request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    context = _profile_context(request, **extra)
    template = "accounts/profile.html#tokens" if request.htmx else "accounts/profile.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=status)


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        try:
            token, plaintext = services.api_token_create(
                actor=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            # Rendered into this response only: never stored in the session or a message cookie.
            return _tokens_response(request, new_token=token, plaintext=plaintext)
    return _tokens_response(request, status=200 if request.htmx else 400, token_form=form)  # type: ignore[attr-defined]


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = selectors.my_api_token(request.user, token_id)
    try:
        services.api_token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]
    except ApplicationError as exc:
        return _tokens_response(request, token_error=exc.message)
    return _tokens_response(request, token_notice=f"令牌“{token.name}”已吊销。")


# --- Staff ------------------------------------------------------------------------------------------


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.ACCOUNTS_VIEW)
    form = StaffFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "role": form.cleaned_data["role"] or None,
            "unit_code": form.cleaned_data["unit"] or None,
            "q": form.cleaned_data["q"],
        }
    page = Paginator(selectors.staff_search(request.user, **filters), STAFF_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_manage": access.has_perm(request.user, Perm.ACCOUNTS_MANAGE),
        "nav_active": "people",
    }
    template = "accounts/staff_list.html#results" if request.htmx else "accounts/staff_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _grant_form(request: HttpRequest, data: Any = None, form_class: Any = RoleGrantForm) -> Any:
    viewer = request.user
    return form_class(
        data,
        roles=selectors.grantable_roles(viewer),
        units=selectors.units_for_grant(viewer),
        organisations=selectors.organisations_for_grant(viewer),
    )


def _resolve_grant_targets(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Unit, grid and organisation objects from the codes in the form, each through the
    chokepoint (a code outside the viewer's scope is refused here, in Chinese)."""
    viewer = request.user
    role = data["role"]
    targets: dict[str, Any] = {"unit": None, "grid": None, "organisation": None}
    if role == Role.GRIDDER:
        targets["grid"] = selectors.grid_for_grant(viewer, data["grid"].strip())
    elif role == Role.DEPARTMENT_HANDLER:
        targets["organisation"] = selectors.organisation_for_grant(viewer, data["organisation"])
    else:
        targets["unit"] = selectors.unit_for_grant(viewer, data["unit"])
    return targets


def _detail_context(request: HttpRequest, user: User, **extra: Any) -> dict[str, Any]:
    from apps.audit.resolve import history_url

    viewer: Any = request.user
    can_manage = access.has_perm(viewer, Perm.ACCOUNTS_MANAGE)
    assignments = list(selectors.staff_assignments(viewer, user))
    for a in assignments:
        a.can_revoke = (  # type: ignore[attr-defined]
            can_manage and a.is_active and a.role in selectors.grantable_roles(viewer, a.unit.code)
        )
    context = {
        "person": user,
        "assignments": assignments,
        "can_manage": can_manage,
        "grant_form": _grant_form(request) if can_manage else None,
        "reset_form": PasswordResetForm() if can_manage else None,
        "events": selectors.staff_events(viewer, user),
        # Empty until "accounts.user" is registered in apps/audit/resolve.HISTORY_MODELS.
        "history_url": history_url(user),
        "nav_active": "people",
    }
    context.update(extra)
    return context


@login_required
def staff_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    user = selectors.staff_get(request.user, user_id)
    return render(request, "accounts/staff_detail.html", _detail_context(request, user))


@login_required
def staff_create(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.ACCOUNTS_MANAGE)
    form = _grant_form(request, request.POST or None, StaffCreateForm)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                user, _ = services.staff_create(
                    actor=request.user,  # type: ignore[arg-type]
                    username=data["username"],
                    full_name=data["full_name"],
                    password=data["password"],
                    phone=data["phone"] or None,
                    title=data["title"],
                    role=data["role"],
                    **_resolve_grant_targets(request, data),
                )
            except ApplicationError as exc:
                form.add_service_error(exc)
                status = exc.http_status
            else:
                messages.success(request, f"已创建账号“{user}”。请将初始密码告知本人。")
                return redirect("accounts:staff_detail", user_id=user.pk)
    return render(
        request, "accounts/staff_create.html", {"form": form, "nav_active": "people"}, status=status
    )


@login_required
@require_POST
def role_grant(request: HttpRequest, user_id: int) -> HttpResponse:
    user = selectors.staff_get(request.user, user_id)
    access.require(request.user, Perm.ACCOUNTS_MANAGE)
    form = _grant_form(request, request.POST)
    status = 400
    if form.is_valid():
        try:
            assignment = services.role_grant(
                actor=request.user,  # type: ignore[arg-type]
                user=user,
                role=form.cleaned_data["role"],
                **_resolve_grant_targets(request, form.cleaned_data),
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
            status = exc.http_status
        else:
            messages.success(request, f"已授予“{assignment.get_role_display()}”角色（{assignment.unit}）。")
            return redirect("accounts:staff_detail", user_id=user.pk)
    context = _detail_context(request, user, grant_form=form)
    return render(request, "accounts/staff_detail.html", context, status=status)


@login_required
@require_POST
def role_revoke(request: HttpRequest, user_id: int, assignment_id: int) -> HttpResponse:
    user = selectors.staff_get(request.user, user_id)
    assignment = selectors.assignment_get(request.user, user, assignment_id)
    services.role_revoke(actor=request.user, assignment=assignment)  # type: ignore[arg-type]
    messages.success(request, f"已撤销“{assignment.get_role_display()}”角色（{assignment.unit}）。")
    return redirect("accounts:staff_detail", user_id=user.pk)


@login_required
@require_POST
def staff_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    user = selectors.staff_get(request.user, user_id)
    services.user_login_unlock(actor=request.user, user=user)  # type: ignore[arg-type]
    messages.success(request, f"已解除“{user}”的登录锁定。")
    return redirect("accounts:staff_detail", user_id=user.pk)


@login_required
@require_POST
def staff_password_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    user = selectors.staff_get(request.user, user_id)
    form = PasswordResetForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.user_set_password(
                actor=request.user,  # type: ignore[arg-type]
                user=user,
                password=form.cleaned_data["password"],
            )
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f"已为“{user}”设置新密码，请告知本人登录后修改。")
            return redirect("accounts:staff_detail", user_id=user.pk)
    context = _detail_context(request, user, reset_form=form)
    return render(request, "accounts/staff_detail.html", context, status=status)
