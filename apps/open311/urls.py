"""GeoReport v2 under /open311/v2/: every endpoint in .json and .xml, and the spec's 404 for the rest."""

from django.urls import re_path

from . import views

app_name = "open311"

FMT = r"\.(?P<fmt>json|xml)"

urlpatterns = [
    re_path(rf"^discovery{FMT}$", views.discovery, name="discovery"),
    re_path(rf"^services{FMT}$", views.services_list, name="services"),
    re_path(rf"^services/(?P<code>[-\w]+){FMT}$", views.service_definition, name="service_definition"),
    re_path(rf"^requests{FMT}$", views.requests_view, name="requests"),
    re_path(rf"^requests/(?P<service_request_id>[0-9A-Za-z]+){FMT}$", views.request_detail, name="request"),
    re_path(rf"^tokens/(?P<token>[0-9A-Za-z]+){FMT}$", views.token_detail, name="token"),
    re_path(r"^.*$", views.not_found),
]
