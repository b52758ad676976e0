"""Template context every page needs: platform name, the navigation the user may see."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    from apps.core.navigation import navigation_for

    user = getattr(request, "user", None)
    return {
        "PLATFORM_NAME": settings.PLATFORM_NAME,
        "nav_items": navigation_for(user) if user is not None and user.is_authenticated else [],
    }
