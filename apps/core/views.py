"""Home page per role, health check, and the error pages (Chinese, with the reason)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from apps.accounts.choices import UserKind
from apps.core.errors import ApplicationError


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from apps.core.dashboard import home_context
    from apps.core.navigation import resident_services_for

    user: Any = request.user
    if user.kind == UserKind.RESIDENT:
        context = {"nav_active": "home", "resident_services": resident_services_for(user)}
        return render(request, "core/home_resident.html", context)
    return render(request, "core/home.html", {"nav_active": "home", **home_context(user)})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def render_error(request: HttpRequest, status: int, message: str, code: str = "") -> HttpResponse:
    titles = {
        400: _("请求有误"),
        403: _("无权访问"),
        404: _("页面不存在"),
        409: _("操作冲突"),
        429: _("操作过于频繁"),
        500: _("服务器错误"),
    }
    context = {"status": status, "title": titles.get(status, _("出错了")), "message": message, "code": code}
    template = "errors/fragment.html" if getattr(request, "htmx", False) else "errors/error.html"
    return render(request, template, context, status=status)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else "您没有访问该页面的权限。"
    return render_error(request, 403, message, "forbidden")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, 404, "您访问的页面不存在，或已被删除。", "not_found")


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, 400, "请求有误。", "bad_request")


class ApplicationErrorMiddleware:
    """Renders an ApplicationError escaping a view as the Chinese error page with its status."""

    def __init__(self, get_response: Any):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ApplicationError) and not request.path.startswith("/api/"):
            return render_error(request, exception.http_status, exception.message, exception.code)
        return None
