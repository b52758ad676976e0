"""Home page per role, the module menu, and the Chinese error pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from apps.accounts.choices import Role, UserKind

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return response.content.decode()


def test_home_for_gridder_links_to_their_grid(
    client: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    client.force_login(make_staff(Role.GRIDDER, grid=tiny_county["g11"]))
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    body = text(response)
    assert "我的网格：娜姑村网格" in body
    assert reverse("territory:grid_detail", args=["NG-01-01"]) in body
    assert "网格员" in body and "娜姑村" in body  # role card
    assert "审计日志" not in body


def test_home_for_township_officer_has_counts_and_shortcuts(
    client: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    make_staff(Role.GRIDDER, grid=tiny_county["g11"])
    make_staff(Role.VILLAGE_CADRE, tiny_county["v12"])
    client.force_login(officer)
    body = text(client.get(reverse("core:home")))
    assert "乡镇（街道）干部" in body
    assert "娜姑镇的网格" in body and f"{reverse('territory:grid_list')}?unit=530326102" in body
    assert f"{reverse('territory:grid_create')}?unit=530326102" in body
    assert 'data-testid="root-counts"' in body
    # 2 villages, 2 grids, 1 gridder, 1 cadre under 娜姑镇
    counts = body.split('data-testid="root-counts"')[1]
    values = [part.split("</div>")[0] for part in counts.split('class="stat-value">')[1:]]
    assert values[:5] == ["2", "0", "2", "1", "1"]


def test_home_for_county_admin_links_to_audit(
    verified_client: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    body = text(verified_client(admin).get(reverse("core:home")))
    assert "县级管理员" in body and "会泽县" in body
    assert "审计日志" in body and reverse("audit:search") in body


def test_home_for_auditor_links_to_audit_search(
    client: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    client.force_login(make_staff(Role.AUDITOR, tiny_county["t1"]))
    body = text(client.get(reverse("core:home")))
    assert "审计检索" in body and f"{reverse('audit:search')}?tab=events" in body


def test_home_for_user_without_roles_explains(
    client: Any, make_staff: Any, tiny_county: dict[str, Any]
) -> None:
    client.force_login(make_staff(None))
    body = text(client.get(reverse("core:home")))
    assert "还没有分配任何角色" in body
    assert reverse("territory:browser") not in body  # no module the user cannot use


def test_home_for_resident_is_the_welcome_page(client: Any, make_staff: Any) -> None:
    resident = make_staff(None, kind=UserKind.RESIDENT, full_name="王大妈")
    client.force_login(resident)
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    body = text(response)
    assert "欢迎，王大妈" in body and 'data-testid="resident-services"' in body


def test_menu_shows_only_permitted_modules(client: Any, tiny_county: dict[str, Any], make_staff: Any) -> None:
    client.force_login(make_staff(Role.GRIDDER, grid=tiny_county["g11"]))
    body = text(client.get(reverse("core:home")))
    assert reverse("territory:browser") in body and reverse("territory:grid_list") in body
    assert reverse("audit:search") not in body


def test_unknown_page_is_chinese_404(client: Any, make_staff: Any) -> None:
    client.force_login(make_staff(None))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'data-testid="error-page"' in text(response) and "页面不存在" in text(response)
