"""Accounts API: who am I, my roles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from .models import RoleAssignment

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


@router.get("/me", response=MeOut, summary="当前用户及其角色")
def me(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    roles = [
        RoleOut(role=a.role, role_label=a.get_role_display(), unit_code=a.unit.code, unit_name=str(a.unit),
                grid_code=a.grid.code if a.grid else None,
                organisation=a.organisation.name if a.organisation else None)
        for a in RoleAssignment.objects.filter(user=user, is_active=True).select_related("unit", "grid", "organisation")
    ]
    return {"id": user.pk, "username": user.username, "full_name": user.full_name, "kind": user.kind, "roles": roles}
