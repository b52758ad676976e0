"""Template context every page needs: platform name, the navigation the user may see."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    from apps.accounts import access
    from apps.core.navigation import navigation_for

    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    # An admin who has not passed the second factor yet sees no module menu: every module would
    # only send them back to the one-time-code page.
    pending_second_factor = signed_in and access.is_admin(user) and not user.is_verified()
    return {
        "PLATFORM_NAME": settings.PLATFORM_NAME,
        "nav_items": navigation_for(user) if signed_in and not pending_second_factor else [],
    }
