"""Login, logout, second factor, profile, staff list."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import access
from .models import RoleAssignment, User
from .permissions import Perm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


login_view = LoginView.as_view()


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth import logout

    logout(request)
    return redirect("accounts:login")


@login_required
def otp_view(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/otp.html", {})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    assignments = RoleAssignment.objects.filter(user=user, is_active=True).select_related("unit", "grid", "organisation")
    return render(request, "accounts/profile.html", {"assignments": assignments})


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.ACCOUNTS_VIEW)
    users = access.restrict(RoleAssignment.objects.filter(is_active=True), request.user, Perm.ACCOUNTS_VIEW)
    staff = User.objects.filter(role_assignments__in=users).distinct()[:200]
    return render(request, "accounts/staff_list.html", {"staff": staff, "nav_active": "people"})
