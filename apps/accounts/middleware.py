"""Admin roles must pass a TOTP second factor before anything but the login/2FA pages."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from . import access

ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/healthz")


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(ALLOWED_PREFIXES)
            and not getattr(request, "api_token_auth", False)
            and access.is_admin(user)
            and not user.is_verified()  # type: ignore[union-attr]
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"message": "管理员账号须先完成动态口令验证。", "code": "second_factor_required", "extra": {}},
                    status=403,
                )
            return redirect("accounts:otp")
        return self.get_response(request)
