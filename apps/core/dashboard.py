"""What the home page shows each role: their scope, counts under it, shortcuts."""

from __future__ import annotations

from typing import Any

from apps.accounts import access
from apps.accounts.models import RoleAssignment
from apps.accounts.permissions import Perm


def home_context(user: Any) -> dict[str, Any]:
    from apps.territory.selectors import root_units, unit_counts

    assignments = list(
        RoleAssignment.objects.filter(user=user, is_active=True).select_related("unit", "grid", "organisation")
    )
    roots = root_units(user)
    return {
        "assignments": assignments,
        "roots": [{"unit": unit, "counts": unit_counts(unit)} for unit in roots[:5]],
        "can_manage_grids": access.has_perm(user, Perm.GRID_MANAGE),
        "can_audit": access.has_perm(user, Perm.AUDIT_VIEW),
        "is_gridder": any(a.role == "gridder" for a in assignments),
    }
