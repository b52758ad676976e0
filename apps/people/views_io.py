"""Import and export pages (placeholders until built; each raises 404)."""

from django.http import Http404, HttpRequest, HttpResponse


def py(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def import_start(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def import_detail(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def import_progress(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def import_report(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def import_template(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def export_residents(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def export_households(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
