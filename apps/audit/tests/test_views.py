"""Audit search (filters, tabs, scope) and the history page (changes and events, 403s)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.choices import Role
from apps.core.context import RequestContext, context_scope
from apps.territory import services
from apps.territory.models import Grid

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "audit-results"}


def text(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def trail(tiny_county: dict[str, Any], make_staff: Any) -> dict[str, Any]:
    """Writes in both townships by two officers; one of them inside a known request id."""
    t1_officer = make_staff(
        Role.TOWNSHIP_OFFICER, tiny_county["t1"], username="ng_officer", full_name="娜姑干部"
    )
    t2_officer = make_staff(
        Role.TOWNSHIP_OFFICER, tiny_county["t2"], username="yc_officer", full_name="迤车干部"
    )
    with context_scope(RequestContext(request_id="req0001ng", ip="10.0.0.1")):
        ng = services.grid_create(actor=t1_officer, unit=tiny_county["v12"], code="NG-02", name="白雾新网格")
    yc = services.grid_create(actor=t2_officer, unit=tiny_county["v22"], code="YC-02", name="小营新网格")
    cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v12"], username="bw_cadre", full_name="白雾村干部")
    services.grid_assign_gridder(actor=t1_officer, grid=ng, user=cadre)
    return {"ng": ng, "yc": yc, "t1_officer": t1_officer, "t2_officer": t2_officer, "cadre": cadre}


@pytest.fixture
def ng_auditor(client: Any, tiny_county: dict[str, Any], make_staff: Any) -> Any:
    client.force_login(make_staff(Role.AUDITOR, tiny_county["t1"]))
    return client


def test_search_page_renders_for_auditor(ng_auditor: Any, trail: dict[str, Any]) -> None:
    response = ng_auditor.get(reverse("audit:search"))
    assert response.status_code == 200
    body = text(response)
    assert "审计日志" in body and "白雾新网格" in body
    assert reverse("audit:history", args=["territory", "grid", "NG-02"]) in body


def test_search_is_scoped_to_the_auditors_township(ng_auditor: Any, trail: dict[str, Any]) -> None:
    body = text(ng_auditor.get(reverse("audit:search")))
    assert "小营新网格" not in body and "迤车干部" not in body
    body = text(ng_auditor.get(reverse("audit:search"), {"tab": "events"}))
    assert "新建网格" in body and "白雾新网格" in body and "小营新网格" not in body
    body = text(ng_auditor.get(reverse("audit:search"), {"actor": "yc_officer"}))
    assert "没有符合条件的记录" in body


def test_search_filters(ng_auditor: Any, trail: dict[str, Any]) -> None:
    url = reverse("audit:search")
    body = text(ng_auditor.get(url, {"object_type": "accounts.roleassignment"}, **HX))
    assert "<html" not in body and 'id="audit-results"' in body
    assert body.count('data-testid="audit-row"') == 1
    body = text(
        ng_auditor.get(url, {"object_type": "territory.grid", "object_id": str(trail["ng"].pk)}, **HX)
    )
    assert body.count('data-testid="audit-row"') == 1 and "白雾新网格" in body
    body = text(ng_auditor.get(url, {"request_id": "req0001ng"}, **HX))
    assert body.count('data-testid="audit-row"') == 1
    body = text(ng_auditor.get(url, {"actor": "ng_officer"}, **HX))
    assert body.count('data-testid="audit-row"') == 2
    today = timezone.localdate()
    body = text(ng_auditor.get(url, {"date_from": str(today + datetime.timedelta(days=1))}, **HX))
    assert 'data-testid="audit-row"' not in body
    body = text(ng_auditor.get(url, {"date_from": str(today), "date_to": str(today)}, **HX))
    assert body.count('data-testid="audit-row"') == 2


def test_search_filter_errors_are_chinese(ng_auditor: Any, trail: dict[str, Any]) -> None:
    url = reverse("audit:search")
    body = text(ng_auditor.get(url, {"actor": "nobody"}, **HX))
    assert "找不到用户名为“nobody”的用户。" in body
    body = text(ng_auditor.get(url, {"object_type": "grid"}, **HX))
    assert "对象类型的格式为“应用.模型”" in body
    body = text(ng_auditor.get(url, {"date_from": "2026-02-02", "date_to": "2026-01-01"}, **HX))
    assert "起始日期不能晚于截止日期。" in body


def test_events_tab_filters_by_type(ng_auditor: Any, trail: dict[str, Any]) -> None:
    url = reverse("audit:search")
    body = text(ng_auditor.get(url, {"tab": "events", "event_type": "territory.gridder_assigned"}, **HX))
    assert body.count('data-testid="audit-row"') == 1 and "指派网格员" in body
    assert "人员：</span>白雾村干部" in body
    body = text(ng_auditor.get(url, {"tab": "events", "event_type": "territory.grid_created"}, **HX))
    assert body.count('data-testid="audit-row"') == 1 and "新建网格" in body
    page = text(ng_auditor.get(url, {"tab": "events"}))
    assert "territory.gridder_assigned" in page  # the event type select lists registered types


def test_search_needs_audit_view(client: Any, tiny_county: dict[str, Any], make_staff: Any) -> None:
    client.force_login(make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"]))
    response = client.get(reverse("audit:search"))
    assert response.status_code == 403
    assert 'data-testid="error-page"' in text(response) and "您无权查看审计日志。" in text(response)


def test_county_admin_sees_everything(
    verified_client: Any, tiny_county: dict[str, Any], make_staff: Any, trail: dict[str, Any]
) -> None:
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    body = text(verified_client(admin).get(reverse("audit:search")))
    assert "白雾新网格" in body and "小营新网格" in body


def test_history_interleaves_changes_and_events(ng_auditor: Any, trail: dict[str, Any]) -> None:
    ng = trail["ng"]
    services.grid_update(actor=trail["t1_officer"], grid=ng, name="白雾一网格")
    response = ng_auditor.get(reverse("audit:history", args=["territory", "grid", "NG-02"]))
    assert response.status_code == 200
    body = text(response)
    assert "变更记录" in body and "白雾一网格" in body
    assert body.count('data-testid="history-entry"') == 5  # create+created, assigned, update+updated
    # Newest first: the rename precedes the creation.
    assert body.index("修改网格") < body.index("新建网格")
    # The rename shows before and after for the changed field, labelled in Chinese.
    assert "白雾新网格" in body and "名称" in body
    assert "指派网格员" in body and "白雾村干部" in body
    assert reverse("territory:grid_detail", args=["NG-02"]) in body
    # Foreign keys read as names, not ids; the primary key itself is left out.
    assert 'json-diff">白雾村</td>' in body
    assert ">ID<" not in body


def test_unit_history(ng_auditor: Any, trail: dict[str, Any]) -> None:
    response = ng_auditor.get(reverse("audit:history", args=["territory", "unit", "530326102"]))
    assert response.status_code == 200 and "暂无变更记录" in text(response)


def test_history_needs_history_view(
    client: Any, tiny_county: dict[str, Any], make_staff: Any, trail: dict[str, Any]
) -> None:
    client.force_login(make_staff(Role.GRIDDER, grid=trail["ng"]))
    response = client.get(reverse("audit:history", args=["territory", "grid", "NG-02"]))
    assert response.status_code == 403
    assert "您无权查看该对象的变更记录。" in text(response)


def test_history_out_of_scope_is_403(ng_auditor: Any, trail: dict[str, Any]) -> None:
    response = ng_auditor.get(reverse("audit:history", args=["territory", "grid", "YC-02"]))
    assert response.status_code == 403
    assert "不在您的管辖范围内" in text(response)
    assert Grid.objects.filter(code="YC-02").exists()


def test_history_of_unregistered_type_is_404(ng_auditor: Any, trail: dict[str, Any]) -> None:
    response = ng_auditor.get(reverse("audit:history", args=["accounts", "user", "1"]))
    assert response.status_code == 404
    assert "该类对象没有变更记录页面。" in text(response)
