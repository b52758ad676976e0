"""URL map of the API-submission benchmark's server: the platform's URLs plus the baseline, a bare
Django view doing one INSERT (bench/cases_api_submit.py creates its table). Only the benchmark's
settings (bench/_baseline_settings.py) load this module; production URLs never include it."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as platform_urlpatterns

TABLE = "bench_insert"


@csrf_exempt
def bare_insert(request: HttpRequest) -> JsonResponse:
    """Read the same form body the API reads, write one row, answer with its id."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (body, created_at) VALUES (%s, now()) RETURNING id",  # noqa: S608 - constant
            [request.POST.get("description", "")],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [path("bench/insert/", bare_insert), *platform_urlpatterns]
