"""Accounts API: who am I, my roles, my API tokens.

Tokens belong to their user and have no territorial scope: the list shows only the caller's own,
and revoking someone else's answers 404 (the service decides). A new token can only be made from
a browser session, never with another token, so a leaked token cannot mint successors that would
outlive its revocation.
"""

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from apps.core.errors import NotFound, PermissionDenied
from apps.core.pagination import PagePagination
from apps.core.schemas import error_responses

from . import services
from .models import ApiToken, RoleAssignment

router = Router(tags=["账号"])


class RoleOut(Schema):
    role: str
    role_label: str
    unit_code: str
    unit_name: str
    grid_code: str | None = None
    organisation: str | None = None


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    kind: str
    roles: list[RoleOut]


class TokenOut(Schema):
    id: int
    name: str = Field(description="用途")
    prefix: str = Field(description="令牌前缀（jc_<前缀>_…），用于辨认")
    created_at: datetime.datetime
    expires_at: datetime.datetime | None = Field(description="到期时间；空表示长期有效")
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None
    is_usable: bool = Field(description="未吊销且未过期")


class TokenCreateIn(Schema):
    name: str = Field(max_length=60, description="用途，如“12345 热线对接”")
    days: int | None = Field(365, description="有效天数（1–3650）；null 表示长期有效")


class TokenCreatedOut(Schema):
    token: TokenOut
    plaintext: str = Field(description="令牌明文，只显示这一次，请妥善保存")


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


@router.get("/me", response={200: MeOut, **error_responses()}, summary="当前用户及其角色")
def me(request: HttpRequest) -> dict[str, Any]:
    user: Any = _actor(request)
    roles = [
        RoleOut(
            role=a.role,
            role_label=a.get_role_display(),
            unit_code=a.unit.code,
            unit_name=str(a.unit),
            grid_code=a.grid.code if a.grid else None,
            organisation=a.organisation.name if a.organisation else None,
        )
        for a in RoleAssignment.objects.filter(user=user, is_active=True).select_related(
            "unit", "grid", "organisation"
        )
    ]
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "kind": user.kind,
        "roles": roles,
    }


@router.get("/tokens", response={200: list[TokenOut], **error_responses(400)}, summary="我的接口令牌")
@paginate(PagePagination)
def token_list(request: HttpRequest) -> Any:
    # Owner-filtered, not scope-filtered: a token is personal, like a password.
    return ApiToken.objects.filter(user=_actor(request)).order_by("-created_at", "-id")


def _session_only(request: HttpRequest) -> None:
    if getattr(request, "api_token_auth", False):
        raise PermissionDenied(
            "接口令牌只能在登录后的浏览器会话中创建，不能用令牌创建令牌。", code="session_required"
        )


@router.post(
    "/tokens",
    response={201: TokenCreatedOut, **error_responses(400, 403)},
    summary="创建接口令牌（明文只返回一次）",
)
def token_create(request: HttpRequest, payload: TokenCreateIn) -> Any:
    _session_only(request)
    token, plaintext = services.api_token_create(actor=_actor(request), name=payload.name, days=payload.days)
    return Status(201, {"token": token, "plaintext": plaintext})


@router.delete(
    "/tokens/{token_id}", response={200: TokenOut, **error_responses(404, 409)}, summary="吊销接口令牌"
)
def token_revoke(request: HttpRequest, token_id: int) -> Any:
    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None:
        raise NotFound("令牌不存在。", code="not_found")
    return services.api_token_revoke(actor=_actor(request), token=token)
