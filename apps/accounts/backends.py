"""Authentication backend for residents' phone + one-time code login."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from .models import User


class PhoneCodeBackend(BaseBackend):
    def authenticate(self, request: HttpRequest | None, phone: str | None = None, code: str | None = None,
                     **kwargs: Any) -> User | None:
        if phone is None or code is None:
            return None
        from apps.core.errors import ApplicationError

        from .services import phone_code_verify

        try:
            return phone_code_verify(phone=phone, code=code)
        except ApplicationError:
            return None

    def get_user(self, user_id: int) -> User | None:
        return User.objects.filter(pk=user_id, is_active=True).first()
