"""URL map: one include per module; the JSON API under /api/."""

from django.urls import include, path

from apps.core.api import api

urlpatterns = [
    path("", include("apps.core.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("territory/", include("apps.territory.urls")),
    path("audit/", include("apps.audit.urls")),
    path("people/", include("apps.people.urls")),
    path("calendar/", include("apps.workdays.urls")),
    path("lists/", include("apps.duties.urls")),
    path("cases/", include("apps.cases.urls")),
    path("open311/v2/", include("apps.open311.urls")),
    path("open311/clients/", include("apps.open311.urls_clients")),
    path("hotline/", include("apps.hotline.urls")),
    path("voting/", include("apps.voting.urls")),
    path("points/", include("apps.points.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
]

handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.forbidden"
handler404 = "apps.core.views.not_found"
handler500 = "apps.core.views.server_error"
