"""The list pages: index by area, import with per-row errors, detail with filters and versions,
withdrawal, templates, the routing preview, and the public pages (no login)."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.duties import importer
from apps.duties.choices import ListKind
from apps.duties.models import ResponsibilityList

pytestmark = pytest.mark.django_db

T, D, A = ListKind.TERRITORIAL, ListKind.DUTY, ListKind.ADMISSION
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rows(n: int = 3) -> list[dict[str, Any]]:
    domains = ["人居环境", "自然资源", "民生保障"]
    return [
        {
            "number": i,
            "domain": domains[i % 3],
            "matter": f"事项{i}{'垃圾清运' if i == 1 else ''}",
            "primary": "乡镇" if i == 1 else "县自然资源局",
            "supporting": "村" if i == 1 else "乡镇",
            "categories": "env-garbage" if i == 1 else "",
        }
        for i in range(1, n + 1)
    ]


def upload(data: list[list[Any]], name: str = "清单.xlsx") -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    for r in data:
        book.active.append(r)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=XLSX)


@pytest.fixture
def lists(world, publish) -> dict[str, ResponsibilityList]:
    return {
        "county": publish(T, world["county"], rows(), title="会泽县属地责任清单"),
        "t1": publish(A, world["t1"], [{"number": 1, "matter": "人居环境", "categories": "env"}]),
        "t2": publish(D, world["t2"], [{"number": 1, "matter": "x", "primary": "乡镇"}]),
    }


def test_index_shows_the_lists_binding_the_users_area(world, lists, client):
    client.force_login(world["cadre"])
    page = client.get("/lists/").content.decode()
    assert "会泽县属地责任清单" in page and "娜姑镇村级工作准入清单" in page
    assert "迤车镇职责任务清单" not in page
    assert "导入清单" not in page
    client.force_login(world["officer"])
    page = client.get("/lists/").content.decode()
    assert 'data-testid="import-link"' in page and "派单预览" in page


def test_index_refuses_users_without_a_role(world, client, make_staff):
    client.force_login(make_staff(None))
    assert client.get("/lists/").status_code == 403


def test_import_publishes_and_redirects_to_the_list(world, client, verified_client):
    c = verified_client(world["admin"])
    file = upload(
        [
            ["会泽县村级工作准入清单"],
            ["序号", "事项", "依据", "对应诉求类别"],
            [1, "人居环境整治", "县委办文件", "env"],
            [2, "矛盾纠纷排查", "", "矛盾纠纷"],
        ]
    )
    response = c.post("/lists/import/", {"kind": A, "unit": "530326", "title": "", "file": file})
    lst = ResponsibilityList.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/lists/{lst.pk}/"
    page = c.get(response["Location"]).content.decode()
    assert "已发布会泽县村级工作准入清单（第1版），共 2 项。" in page
    assert "人居环境整治" in page and "矛盾纠纷排查" in page


def test_import_shows_every_row_error_and_publishes_nothing(world, client):
    client.force_login(world["officer"])
    file = upload(
        [
            ["序号", "领域", "事项", "主体责任单位", "配合责任单位", "对应诉求类别", "依据"],
            [1, "a", "事项一", "县不存在局", "", "", ""],
            [1, "a", "", "乡镇", "", "飞碟", ""],
        ]
    )
    response = client.post("/lists/import/", {"kind": T, "unit": "530326102", "file": file})
    assert response.status_code == 400
    page = response.content.decode()
    assert "清单有 4 处错误，未发布" in page
    assert page.count("<td>第 2 行</td>") == 1 and page.count("<td>第 3 行</td>") == 3
    assert "找不到诉求类别“飞碟”" in page
    assert not ResponsibilityList.objects.exists()


def test_import_offers_only_units_the_user_may_publish_for(world, client):
    client.force_login(world["officer"])
    page = client.get("/lists/import/").content.decode()
    assert '<option value="530326102">娜姑镇</option>' in page
    assert "530326103" not in page and '<option value="530326">' not in page
    file = upload([["序号", "事项"], [1, "x"]])
    response = client.post("/lists/import/", {"kind": A, "unit": "530326", "file": file})
    assert response.status_code == 400  # not a choice the form offered
    assert not ResponsibilityList.objects.exists()


def test_downloaded_template_imports_as_is(world, client, verified_client):
    c = verified_client(world["admin"])
    for kind in ListKind.values:
        response = c.get(f"/lists/template/{kind}.xlsx")
        assert response.status_code == 200 and response["Content-Type"] == XLSX
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        header = [cell.value for cell in book.worksheets[0][1]]
        assert header == [importer.label_of(kind, k) for k in importer.COLUMNS[kind]]
        assert "env-garbage" in [row[0] for row in book["诉求类别"].iter_rows(values_only=True)]
        assert "县自然资源局" in [row[0] for row in book["责任单位"].iter_rows(values_only=True)]
        file = SimpleUploadedFile("t.xlsx", response.content, content_type=XLSX)
        published = c.post("/lists/import/", {"kind": kind, "unit": "530326", "file": file})
        assert published.status_code == 302, published.content.decode()[:2000]
    assert ResponsibilityList.objects.count() == 3


def test_detail_filters_by_domain_and_search_with_htmx_fragments(world, lists, client, publish):
    big = publish(T, world["county"], rows(40))
    client.force_login(world["cadre"])
    page = client.get(f"/lists/{big.pk}/").content.decode()
    assert "乡镇（街道）主体责任 <strong>1</strong> 项，配合责任 <strong>39</strong> 项" in page
    assert "共 40 条" in page and "第1版" in page and "第2版" in page
    fragment = client.get(
        f"/lists/{big.pk}/?domain=人居环境", headers={"HX-Request": "true", "HX-Target": "items"}
    )
    html = fragment.content.decode()
    assert "<html" not in html and html.count('data-testid="item"') == 13
    found = client.get(f"/lists/{big.pk}/?q=垃圾清运").content.decode()
    assert found.count('data-testid="item"') == 1
    by_number = client.get(f"/lists/{big.pk}/?q=17").content.decode()
    assert "事项17" in by_number


def test_an_old_version_is_read_only(world, lists, client, publish):
    publish(T, world["county"], rows(2))
    client.force_login(world["officer"])
    page = client.get(f"/lists/{lists['county'].pk}/").content.decode()
    assert 'data-testid="not-current"' in page and "withdraw-form" not in page


def test_withdraw_from_the_page(world, lists, client):
    client.force_login(world["officer"])
    page = client.get(f"/lists/{lists['t1'].pk}/").content.decode()
    assert 'data-testid="withdraw-form"' in page
    response = client.post(f"/lists/{lists['t1'].pk}/withdraw/", {"reason": "并入县级清单"})
    assert response.status_code == 302
    lists["t1"].refresh_from_db()
    assert not lists["t1"].is_current
    assert client.post(f"/lists/{lists['t1'].pk}/withdraw/", {"reason": "再停"}).status_code == 409
    assert client.post(f"/lists/{lists['county'].pk}/withdraw/", {"reason": "x"}).status_code == 403


def test_route_preview_shows_suggestion_and_admission(world, lists, client):
    client.force_login(world["officer"])
    page = client.get("/lists/route/?category=env-garbage&unit=530326102201").content.decode()
    assert "<strong>娜姑镇</strong>" in page
    assert "属地责任清单 · 自然资源 · 第1项：事项1垃圾清运" in page
    assert "可派给村（社区）。" in page and "娜姑镇《娜姑镇村级工作准入清单》第1版 第1项“人居环境”" in page
    refused = client.get(
        "/lists/route/?category=dispute-neighbour&unit=530326102202",
        headers={"HX-Request": "true", "HX-Target": "route-result"},
    ).content.decode()
    assert "<html" not in refused
    assert "「邻里纠纷」不在村级工作准入清单内，不能派给村（社区）。" in refused
    assert "现行清单中没有与该类别对应的事项" in refused
    township = client.get("/lists/route/?category=env-garbage&unit=530326102").content.decode()
    assert 'data-testid="admission-na"' in township
    assert client.get("/lists/route/?category=nope&unit=530326102").status_code == 404
    assert client.get("/lists/route/?category=env&unit=530326103201").status_code == 403


def test_route_preview_is_for_dispatchers(world, client):
    client.force_login(world["handler"])
    response = client.get("/lists/route/")
    assert response.status_code == 403
    assert "只有派单人员" in response.content.decode()


def test_public_pages_need_no_login_and_show_current_lists_only(world, lists, client, publish):
    page = client.get("/lists/p/530326/").content.decode()
    assert "会泽县属地责任清单" in page and "娜姑镇" in page and "迤车镇" in page  # township links
    newer = publish(T, world["county"], rows(2), title="会泽县属地责任清单（修订）")
    assert client.get(f"/lists/p/530326/{lists['county'].pk}/").status_code == 404
    detail = client.get(f"/lists/p/530326/{newer.pk}/").content.decode()
    assert "会泽县属地责任清单（修订）" in detail and "事项2" in detail
    assert client.get(f"/lists/p/530326102/{newer.pk}/").status_code == 404  # not that unit's list
    township = client.get("/lists/p/530326102/").content.decode()
    assert "娜姑镇村级工作准入清单" in township and "会泽县的清单" in township
    assert client.get("/lists/p/530326102201/").status_code == 404  # villages publish no lists
    assert client.get("/lists/p/999999/").status_code == 404
    fragment = client.get(
        f"/lists/p/530326/{newer.pk}/?q=事项1", headers={"HX-Request": "true", "HX-Target": "items"}
    )
    assert fragment.content.decode().count('data-testid="item"') == 1
