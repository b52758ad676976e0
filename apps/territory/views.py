"""Territory browser: tree, unit page, grid list, grid page with its map."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors


@login_required
def browser(request: HttpRequest) -> HttpResponse:
    return render(request, "territory/browser.html", {"roots": selectors.root_units(request.user),
                                                       "nav_active": "territory"})


@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.unit_get(request.user, code)
    return render(request, "territory/unit_detail.html", {"unit": unit, "counts": selectors.unit_counts(unit),
                                                           "nav_active": "territory"})


@login_required
def grid_list(request: HttpRequest) -> HttpResponse:
    return render(request, "territory/grid_list.html", {"grids": selectors.grid_list(request.user)[:100],
                                                         "nav_active": "grids"})


@login_required
def grid_detail(request: HttpRequest, code: str) -> HttpResponse:
    grid = selectors.grid_get(request.user, code)
    return render(request, "territory/grid_detail.html", {"grid": grid, "nav_active": "grids"})
