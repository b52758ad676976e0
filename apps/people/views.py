"""Resident-record pages (placeholders until built; each raises 404)."""

from django.http import Http404, HttpRequest, HttpResponse


def py(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def household_list(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def household_create(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def household_detail(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def household_edit(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def resident_create(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def resident_list(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def resident_detail(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def resident_edit(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def resident_reveal(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def my_grid(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def patrol_list(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def patrol_create(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def config(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
