"""Business events for logins: success and failure, from Django's auth signals.

Connected in AccountsConfig.ready(). A failure records the username (or the masked phone) that was
tried, never the password or code. The event's scope is the user's work area, so the officers
overseeing that area see the attempts against their staff.
"""

from __future__ import annotations

from typing import Any

from apps.audit.events import USER_LOGGED_IN, USER_LOGIN_FAILED
from apps.audit.services import record_event

from .models import User
from .selectors import mask_phone, user_scope_code


def _method(user: Any) -> str:
    backend = str(getattr(user, "backend", "") or "")
    return "phone" if backend.endswith("PhoneCodeBackend") else "password"


def on_user_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_event(
        actor=user,
        event_type=USER_LOGGED_IN,
        obj=user,
        scope_code=user_scope_code(user),
        data={"method": _method(user)},
    )


def on_user_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username") or "")[:64]
    phone = str(credentials.get("phone") or "")[:11]
    if not username and not phone:
        return
    if username:
        data: dict[str, Any] = {"username": username, "method": "password"}
        target = User.objects.filter(username=username).first()
    else:
        data = {"phone": mask_phone(phone), "method": "phone"}
        target = User.objects.filter(phone=phone).first()
    if request is not None and getattr(request, "axes_locked_out", False):
        data["locked_out"] = True
    record_event(
        actor=None,
        event_type=USER_LOGIN_FAILED,
        obj=target,
        scope_code=user_scope_code(target),
        data=data,
    )
