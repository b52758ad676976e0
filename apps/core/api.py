"""The JSON API root: one NinjaAPI, token or session auth, one error shape.

Every error leaves as `{"message": str, "code": str, "extra": {}}`. Apps contribute routers
through their own `api.py`; `config/urls.py` mounts this at /api/.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from apps.core.errors import ApplicationError


class TokenAuth(HttpBearer):
    """`Authorization: Bearer jc_<prefix>_<secret>` for machine clients."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from apps.accounts.services import api_token_authenticate

        user = api_token_authenticate(token)
        if user is None:
            return None
        request.user = user
        request.api_token_auth = True  # type: ignore[attr-defined]
        return user


class SessionAuth(APIKeyCookie):
    """The browser's login session (CSRF checked on unsafe methods)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


api = NinjaAPI(
    title="基层治理平台 API",
    version="1.0",
    description=(
        "机器客户端使用 `Authorization: Bearer <令牌>`（在“接口令牌”页面创建）。"
        "所有错误的返回格式为 `{\"message\", \"code\", \"extra\"}`。列表分页：`page`、`page_size`。"
    ),
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request: HttpRequest, status: int, message: str, code: str, extra: dict[str, Any] | None = None) -> HttpResponse:
    return api.create_response(request, {"message": message, "code": code, "extra": extra or {}}, status=status)


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return _error(request, exc.http_status, exc.message, exc.code, exc.extra)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return _error(request, 422, "请求参数有误。", "invalid_request", {"errors": exc.errors})


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "未登录或令牌无效。", "unauthenticated")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc), f"http_{exc.status_code}")


def _register_routers() -> None:
    from apps.accounts.api import router as accounts_router
    from apps.audit.api import router as audit_router
    from apps.territory.api import router as territory_router

    api.add_router("/accounts/", accounts_router)
    api.add_router("/territory/", territory_router)
    api.add_router("/audit/", audit_router)


_register_routers()
