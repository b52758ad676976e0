"""Admin roles must pass a TOTP second factor before anything but login, logout and the second
factor page itself.

Only those three pages are exempt, not all of /accounts/: the profile page creates API tokens,
and a token made before the second factor would let a stolen password skip it for good.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from . import access

EXEMPT_PREFIXES = ("/static/", "/i18n/", "/healthz")
EXEMPT_URL_NAMES = ("accounts:login", "accounts:logout", "accounts:otp")


@cache
def _exempt_paths() -> frozenset[str]:
    return frozenset(reverse(name) for name in EXEMPT_URL_NAMES)


def needs_second_factor(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(
        user is not None
        and user.is_authenticated
        and not getattr(request, "api_token_auth", False)
        and access.is_admin(user)
        and not user.is_verified()  # type: ignore[union-attr]
    )


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith(EXEMPT_PREFIXES) or path in _exempt_paths() or not needs_second_factor(request):
            return self.get_response(request)
        if path.startswith("/api/"):
            return JsonResponse(
                {
                    "message": "管理员账号须先完成动态口令验证。",
                    "code": "second_factor_required",
                    "extra": {},
                },
                status=403,
            )
        url = reverse("accounts:otp")
        if request.headers.get("HX-Request") == "true":
            # A redirect would be followed inside the XHR and the 2FA page swapped into a fragment;
            # htmx navigates the whole page instead, and comes back to the page the user was on.
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            back = current.path + (f"?{current.query}" if current.query else "")
            response = HttpResponse(status=204)
            response["HX-Redirect"] = f"{url}?{urlencode({'next': back})}" if back else url
            return response
        if request.method == "GET":
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        return redirect(url)
