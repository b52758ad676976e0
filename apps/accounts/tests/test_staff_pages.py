"""Staff pages: the list within the viewer's scope (filters, pages), detail, creating staff,
granting and revoking roles from the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.choices import Role
from apps.accounts.models import RoleAssignment, User

pytestmark = pytest.mark.django_db

LIST = "/accounts/staff/"


@pytest.fixture
def people(tiny_county, make_staff):
    return {
        "officer": make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"], username="nagu", full_name="李娜姑"),
        "gridder": make_staff(Role.GRIDDER, grid=tiny_county["g11"], username="grid11", full_name="张网格"),
        "cadre": make_staff(Role.VILLAGE_CADRE, tiny_county["v12"], username="baiwu", full_name="赵白雾"),
        "far": make_staff(Role.VILLAGE_CADRE, tiny_county["v21"], username="yiche", full_name="钱迤车"),
        "admin": make_staff(
            Role.COUNTY_ADMIN, tiny_county["county"], username="countyadmin", full_name="孙县管"
        ),
    }


def test_list_shows_only_staff_within_the_viewers_scope(client, people) -> None:
    client.force_login(people["officer"])
    body = client.get(LIST).content.decode()
    assert "张网格" in body and "赵白雾" in body and "李娜姑" in body
    assert "钱迤车" not in body and "孙县管" not in body


def test_list_filters_by_role_and_unit(client, people) -> None:
    client.force_login(people["officer"])
    body = client.get(LIST, {"role": Role.GRIDDER}).content.decode()
    assert "张网格" in body and "赵白雾" not in body
    body = client.get(LIST, {"unit": "530326102202"}).content.decode()
    assert "赵白雾" in body and "张网格" not in body
    response = client.get(LIST, {"q": "张"}, HTTP_HX_REQUEST="true")
    assert "<html" not in response.content.decode() and "张网格" in response.content.decode()


def test_list_pages(client, tiny_county, make_staff, people) -> None:
    for n in range(35):
        make_staff(Role.GRIDDER, grid=tiny_county["g11"], username=f"g{n:03d}")
    client.force_login(people["officer"])
    first = client.get(LIST).content.decode()
    assert "共 38 人" in first and "第 1 / 2 页" in first
    second = client.get(LIST, {"page": 2}).content.decode()
    assert "第 2 / 2 页" in second


def test_county_admin_sees_the_whole_county(verified_client, people) -> None:
    body = verified_client(people["admin"]).get(LIST).content.decode()
    assert "钱迤车" in body and "张网格" in body


def test_gridder_may_not_see_the_staff_list(client, people) -> None:
    client.force_login(people["gridder"])
    response = client.get(LIST)
    assert response.status_code == 403 and "您无权查看该区域的人员" in response.content.decode()


def test_detail_inside_and_outside_scope(client, people) -> None:
    client.force_login(people["officer"])
    response = client.get(reverse("accounts:staff_detail", args=[people["gridder"].pk]))
    body = response.content.decode()
    assert response.status_code == 200 and "张网格" in body and "网格员" in body and "娜姑村网格" in body
    assert "授予角色" in body
    response = client.get(reverse("accounts:staff_detail", args=[people["far"].pk]))
    assert response.status_code == 403 and "不在您的管辖范围内" in response.content.decode()
    assert client.get(reverse("accounts:staff_detail", args=[999999])).status_code == 404


def test_detail_shows_the_persons_events_in_scope(client, people) -> None:
    client.post("/accounts/login/", {"username": "grid11", "password": "wrong-pass-1"})
    client.force_login(people["officer"])
    body = client.get(reverse("accounts:staff_detail", args=[people["gridder"].pk])).content.decode()
    assert "登录失败" in body


def test_create_staff_from_the_page(client, tiny_county, people) -> None:
    client.force_login(people["officer"])
    page = client.get(reverse("accounts:staff_create")).content.decode()
    assert "县级管理员" not in page  # not offered to a township officer
    assert "迤车" not in page  # nor units of another township
    data = {
        "username": "newgrid",
        "full_name": "周新格",
        "password": "Grid-pass-001",
        "role": Role.GRIDDER,
        "grid": "NG-01-01",
    }
    response = client.post(reverse("accounts:staff_create"), data)
    assert response.status_code == 302
    user = User.objects.get(username="newgrid")
    assert response["Location"] == reverse("accounts:staff_detail", args=[user.pk])
    assert user.role_assignments.get().grid == tiny_county["g11"]


def test_create_staff_refusals_are_shown_in_chinese(client, people) -> None:
    client.force_login(people["officer"])
    url = reverse("accounts:staff_create")
    base = {"username": "x1y2z3", "full_name": "某人", "password": "Grid-pass-001"}
    response = client.post(url, {**base, "role": Role.GRIDDER, "grid": "YC-01-01"})
    assert response.status_code == 403 and "无权管理该区域" in response.content.decode()
    response = client.post(url, {**base, "role": Role.COUNTY_ADMIN, "unit": "530326102"})
    assert response.status_code == 400 and "选择一个有效的选项" in response.content.decode()
    response = client.post(
        url, {**base, "password": "12345", "role": Role.VILLAGE_CADRE, "unit": "530326102201"}
    )
    assert "密码太短" in response.content.decode()
    response = client.post(
        url, {**base, "username": "grid11", "role": Role.VILLAGE_CADRE, "unit": "530326102201"}
    )
    assert response.status_code == 409 and "已被使用" in response.content.decode()
    assert not User.objects.filter(username="x1y2z3").exists()


def test_grant_and_revoke_from_the_detail_page(client, tiny_county, people) -> None:
    gridder = people["gridder"]
    client.force_login(people["officer"])
    url = reverse("accounts:role_grant", args=[gridder.pk])
    response = client.post(url, {"role": Role.SUPERVISOR, "unit": "530326102201"})
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=gridder, role=Role.SUPERVISOR)
    response = client.post(url, {"role": Role.SUPERVISOR, "unit": "530326102201"})
    assert response.status_code == 409 and "已在" in response.content.decode()
    response = client.post(url, {"role": Role.VILLAGE_CADRE, "unit": "530326103201"})
    assert response.status_code == 400 and "选择一个有效的选项" in response.content.decode()

    response = client.post(reverse("accounts:role_revoke", args=[gridder.pk, assignment.pk]))
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert not assignment.is_active


def test_viewer_without_manage_cannot_grant(client, tiny_county, make_staff, people) -> None:
    leader = make_staff(Role.LEADER, tiny_county["county"])
    client.force_login(leader)
    body = client.get(reverse("accounts:staff_detail", args=[people["gridder"].pk])).content.decode()
    assert "授予角色" not in body
    response = client.post(
        reverse("accounts:role_grant", args=[people["gridder"].pk]), {"role": Role.GRIDDER}
    )
    assert response.status_code == 403
