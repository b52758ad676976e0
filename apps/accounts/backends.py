"""Authentication backend for residents' phone + one-time code login."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from .models import User

# Where the backend leaves the reason of a refusal for the login view: authenticate() itself can
# only answer "no", and the resident should learn whether the code was wrong, expired or used up.
PHONE_LOGIN_ERROR_ATTR = "phone_login_error"


class PhoneCodeBackend(BaseBackend):
    """Accepts `phone` + `code` for active resident accounts only; staff log in with a password
    (and admins with a second factor), never with an SMS code."""

    def authenticate(
        self, request: HttpRequest | None, phone: str | None = None, code: str | None = None, **kwargs: Any
    ) -> User | None:
        if phone is None or code is None:
            return None
        from apps.core.errors import ApplicationError

        from .services import phone_code_verify

        try:
            user = phone_code_verify(phone=phone, code=code)
        except ApplicationError as exc:
            if request is not None:
                setattr(request, PHONE_LOGIN_ERROR_ATTR, exc)
            return None
        return user if user.is_active else None

    def get_user(self, user_id: int) -> User | None:
        return User.objects.filter(pk=user_id, is_active=True).first()


def axes_exempt(request: HttpRequest | None, credentials: dict[str, Any] | None) -> bool:
    """AXES_WHITELIST_CALLABLE: phone-code logins are not counted by django-axes. Its lock is per
    username and a phone login has none; the codes carry their own limits (attempts per code,
    resend interval, hourly cap) in the service."""
    credentials = credentials or {}
    return not credentials.get("username") and bool(credentials.get("phone"))
