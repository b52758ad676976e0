"""The JSON API root: one NinjaAPI, token or session auth, one error shape.

Every error leaves as `{"message": str, "code": str, "extra": {}}` — business refusals
(ApplicationError), malformed requests (422 `invalid_request`), missing authentication (401),
unknown paths under /api/ (404), wrong methods (405) and unexpected failures (500
`server_error`, logged, no traceback to the client). Apps contribute routers through their own
`api.py`; `config/urls.py` mounts this at /api/. The docs page (/api/docs) is ninja's Swagger UI
served from ninja's packaged static files (no CDN) with its settings in a JSON block and its init
in a static script, so it runs under the platform's CSP (scripts and styles from 'self' only).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from apps.core.errors import ApplicationError

logger = logging.getLogger("django.request")


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
    """The browser's login session; CSRF is checked on unsafe methods.

    The CSRF check runs only when a session user is present: a request with no session at all
    (a machine client whose token was refused) must get 401 "unauthenticated", not a CSRF 403.
    """

    param_name = "sessionid"

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


def _json_error(status: int, message: str, code: str, extra: dict[str, Any] | None = None) -> HttpResponse:
    body = json.dumps({"message": message, "code": code, "extra": extra or {}}, ensure_ascii=False)
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under /api/ that names no operation: JSON, never the HTML error page."""
    return _json_error(404, "接口不存在，请查阅 /api/docs。", "not_found", {"path": request.path})


def _json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an operation's URL view so that ninja's plain-text 405 leaves in the error shape."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            error = _json_error(
                405,
                f"该接口不支持 {request.method} 方法。",
                "method_not_allowed",
                {"allowed": allowed.split(", ")},
            )
            error["Allow"] = allowed
            return error
        return response

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]  # ninja's auth checks CSRF itself
    return wrapper


class PlatformAPI(NinjaAPI):
    """NinjaAPI whose URL list ends in a JSON 404 for everything else under its prefix."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls: list[URLResolver | URLPattern] = []
        for pattern in super()._get_urls():
            if isinstance(pattern, URLPattern) and pattern.name == "api-root":
                # ninja's root view raises Http404, which Django renders as HTML; the name stays,
                # ninja reverses it to find the path prefix of the OpenAPI document.
                pattern = path("", api_not_found, name="api-root")
            elif isinstance(pattern, URLPattern) and pattern.name not in {"openapi-json", "openapi-view"}:
                pattern.callback = _json_method_not_allowed(pattern.callback)
            urls.append(pattern)
        urls.append(re_path(r"^.*$", api_not_found, name="not-found"))
        return urls


DESCRIPTION = """
机器客户端使用 `Authorization: Bearer <令牌>`（令牌在“接口令牌”页面或 `POST /api/accounts/tokens`
创建）；浏览器使用登录会话，修改类请求须带 `X-CSRFToken` 头。

所有错误的返回格式为 `{"message", "code", "extra"}`：400 业务校验失败，401 未登录或令牌无效，
403 无权限（超出管辖范围），404 不存在，409 重复或状态冲突，422 请求参数格式有误，500 服务器内部错误。

列表分页：`page`（从 1 开始）、`page_size`（最多 500），
返回 `{"items", "count", "page", "page_size"}`。
"""

api = PlatformAPI(
    title="基层治理平台 API",
    version="1.0",
    description=DESCRIPTION,
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    # validatorUrl None: Swagger UI would otherwise put a badge image from validator.swagger.io on
    # the page, a request to the internet that closed government networks neither allow nor need.
    docs=Swagger(
        settings={"validatorUrl": None, "persistAuthorization": False, "displayRequestDuration": True}
    ),
)


def _error(
    request: HttpRequest, status: int, message: str, code: str, extra: dict[str, Any] | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"message": message, "code": code, "extra": extra or {}}, status=status
    )


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return _error(request, exc.http_status, exc.message, exc.code, exc.extra)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return _error(request, 422, "请求参数有误。", "invalid_request", {"errors": exc.errors})


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, "未登录或令牌无效。", "unauthenticated")
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # ninja's "Cannot parse request body": the JSON itself is broken. Same answer as a body
        # that parses but does not fit the schema, with the parser's reason.
        error = {"loc": ["body"], "type": "json_invalid", "msg": f"请求体不是有效的 JSON：{exc.__cause__}"}
        return _error(request, 422, "请求参数有误。", "invalid_request", {"errors": [error]})
    if exc.status_code == 403 and "CSRF" in exc.message:
        return _error(
            request, 403, "CSRF 校验失败：请刷新页面后重试，或在请求头中带上 X-CSRFToken。", "csrf_failed"
        )
    if isinstance(exc, Throttled):
        return _error(request, 429, "请求过于频繁，请稍后再试。", "rate_limited", {"wait": exc.wait})
    return _error(request, exc.status_code, exc.message, f"http_{exc.status_code}")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "请求的对象不存在。", "not_found")


@api.exception_handler(DjangoPermissionDenied)
def _django_forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    return _error(request, 403, "您没有执行该操作的权限。", "forbidden")


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The traceback goes to the log with the request id; the client gets the id to quote.
    request_id = getattr(request, "request_id", "")
    logger.error("API error %s %s (request %s)", request.method, request.path, request_id, exc_info=exc)
    return _error(request, 500, "服务器内部错误", "server_error", {"request_id": request_id})


def _register_routers() -> None:
    from apps.accounts.api import router as accounts_router
    from apps.audit.api import router as audit_router
    from apps.cases.api import router as cases_router
    from apps.duties.api import router as duties_router
    from apps.people.api import router as people_router
    from apps.points.api import router as points_router
    from apps.territory.api import router as territory_router
    from apps.voting.api import router as voting_router
    from apps.workdays.api import router as workdays_router

    api.add_router("/accounts/", accounts_router)
    api.add_router("/territory/", territory_router)
    api.add_router("/audit/", audit_router)
    api.add_router("/people/", people_router)
    api.add_router("/calendar/", workdays_router)
    api.add_router("/lists/", duties_router)
    api.add_router("/cases/", cases_router)
    api.add_router("/voting/", voting_router)
    api.add_router("/points/", points_router)


_register_routers()
