"""Publishing lists: who may, what a row must hold, all-or-nothing, versions, the trail, .xlsx."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from apps.audit.models import AuditRecord, Event
from apps.core.errors import Conflict, PermissionDenied, ValidationFailed
from apps.duties import events, services
from apps.duties.choices import BodyLevel, ListKind
from apps.duties.models import ListItem, ResponsibilityList

pytestmark = pytest.mark.django_db

T, D, A = ListKind.TERRITORIAL, ListKind.DUTY, ListKind.ADMISSION


def xlsx(rows: list[list[Any]], title: str | None = "会泽县属地责任清单") -> io.BytesIO:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


TERRITORIAL_HEADER = ["序号", "领域", "事项", "主体责任单位", "配合责任单位", "对应诉求类别", "依据"]


def test_county_admin_publishes_a_territorial_list_with_bodies_and_categories(world, publish):
    lst = publish(
        T,
        world["county"],
        [
            {
                "number": 1,
                "domain": "生态环境",
                "matter": "河道垃圾清理",
                "primary": "乡镇人民政府",
                "supporting": "生态环境局，村(社区)；县自然资源局",
                "categories": "env-garbage、污水排放",
                "basis": "《云南省河道管理条例》",
            }
        ],
        title="会泽县属地责任清单（2026年版）",
    )
    assert (lst.kind, lst.unit, lst.version, lst.is_current, lst.item_count) == (
        T,
        world["county"],
        1,
        True,
        1,
    )
    assert lst.published_by == world["admin"]
    item = lst.items.get()
    assert item.primary_level == BodyLevel.TOWNSHIP and item.primary_org is None
    assert item.primary_label == "乡镇人民政府"
    assert set(item.supporting_orgs.all()) == {world["env"], world["dept"]}
    assert item.supporting_levels == [BodyLevel.VILLAGE]
    assert item.supporting_label == "生态环境局、村(社区)、县自然资源局"
    assert sorted(c.code for c in item.categories.all()) == ["env-garbage", "env-sewage"]
    audit = AuditRecord.objects.filter(object_id=str(lst.pk), content_type__model="responsibilitylist")
    assert audit.count() == 1 and audit.get().scope_code == "530326"
    event = Event.objects.get(event_type=events.LIST_PUBLISHED)
    assert event.data["items"] == 1 and event.data["kind"] == T


def test_title_defaults_to_unit_and_kind(world, publish):
    lst = publish(A, world["t1"], [{"number": 1, "matter": "人居环境"}], actor=world["officer"])
    assert lst.title == "娜姑镇村级工作准入清单"


@pytest.mark.parametrize(
    ("who", "unit", "allowed"),
    [
        ("admin", "county", True),
        ("admin", "t1", True),
        ("officer", "t1", True),
        ("officer", "county", False),
        ("officer", "t2", False),
        ("officer2", "t1", False),
        ("cadre", "t1", False),
        ("handler", "county", False),
    ],
)
def test_only_list_managers_over_the_publishing_unit_may_publish(world, who, unit, allowed):
    def run() -> ResponsibilityList:
        return services.responsibility_list_publish(
            actor=world[who],
            kind=D,
            unit=world[unit],
            title="",
            rows=[{"number": 1, "matter": "x", "primary": "乡镇"}],
        )

    if allowed:
        assert run().pk
    else:
        with pytest.raises(PermissionDenied, match="您无权维护该区域的责任清单"):
            run()
        assert not ResponsibilityList.objects.exists()


def test_a_village_does_not_publish_lists(world):
    with pytest.raises(ValidationFailed) as refused:
        services.responsibility_list_publish(
            actor=world["admin"], kind=A, unit=world["v11"], title="", rows=[{"number": 1, "matter": "x"}]
        )
    assert refused.value.code == "list_unit_level"


def test_unknown_kind_is_refused(world):
    with pytest.raises(ValidationFailed) as refused:
        services.responsibility_list_publish(
            actor=world["admin"],
            kind="micro",
            unit=world["county"],
            title="",
            rows=[{"number": 1, "matter": "x"}],
        )
    assert refused.value.code == "list_kind_unknown"


def test_every_row_error_is_reported_and_nothing_is_published(world, publish):
    rows = [
        {"_row": 3, "number": 1, "matter": "好的一行", "primary": "乡镇", "categories": "env"},
        {"_row": 4, "number": 1, "matter": "重复序号", "primary": "乡镇"},
        {"_row": 5, "number": "二", "matter": "", "primary": "县气象局"},
        {"_row": 6, "number": 3, "matter": "未知类别", "primary": "", "categories": "env、飞碟"},
        {"_row": 7, "number": 4, "matter": "配合单位未知", "primary": "村", "supporting": "乡镇、县不存在局"},
        {"_row": 8, "number": 5, "matter": "x" * 301, "primary": "村"},
    ]
    with pytest.raises(ValidationFailed) as refused:
        publish(T, world["county"], rows)
    error = refused.value
    assert error.code == "list_rows_invalid"
    assert error.message == "清单有 8 处错误，未发布。请按提示修改后重新导入。"
    found = {(e["row"], e["column"]) for e in error.extra["errors"]}
    assert found == {
        (4, "序号"),
        (5, "序号"),
        (5, "事项"),
        (5, "主体责任单位"),
        (6, "主体责任单位"),
        (6, "对应诉求类别"),
        (7, "配合责任单位"),
        (8, "事项"),
    }
    messages = {(e["row"], e["column"]): e["message"] for e in error.extra["errors"]}
    assert messages[(4, "序号")] == "序号 1 与第 3 行重复。"
    assert "找不到单位“县气象局”" in messages[(5, "主体责任单位")]
    assert "找不到诉求类别“飞碟”" in messages[(6, "对应诉求类别")]
    assert not ResponsibilityList.objects.exists() and not ListItem.objects.exists()
    assert not Event.objects.filter(event_type=events.LIST_PUBLISHED).exists()


def test_short_names_resolve_by_tail_unless_ambiguous(world, publish):
    with pytest.raises(ValidationFailed) as refused:
        publish(D, world["county"], [{"number": 1, "matter": "x", "primary": "县局"}])
    assert "找不到单位“县局”" in refused.value.extra["errors"][0]["message"]
    lst = publish(D, world["county"], [{"number": 1, "matter": "x", "primary": "环境局"}])
    assert lst.items.get().primary_org == world["env"]
    from apps.territory.models import Organisation

    Organisation.objects.create(code="HZ-HJ2", name="会泽县人居环境局", service_area=world["county"])
    with pytest.raises(ValidationFailed) as refused:
        publish(D, world["county"], [{"number": 1, "matter": "x", "primary": "环境局"}])
    assert "可指多个单位" in refused.value.extra["errors"][0]["message"]


def test_organisations_resolve_by_code_and_inside_the_county_only(world, publish):
    lst = publish(D, world["county"], [{"number": 1, "matter": "x", "primary": "hz-sthj"}])
    assert lst.items.get().primary_org == world["env"]
    lst = publish(
        D, world["t1"], [{"number": 1, "matter": "x", "primary": "娜姑镇便民服务中心", "post": "主任"}]
    )
    assert lst.items.get().primary_org == world["centre"]


def test_an_empty_list_is_not_published(world, publish):
    with pytest.raises(ValidationFailed) as refused:
        publish(A, world["county"], [])
    assert refused.value.code == "list_empty"


def test_versions_count_up_and_old_versions_stay(world, publish):
    v1 = publish(A, world["county"], [{"number": 1, "matter": "一"}])
    v2 = publish(A, world["county"], [{"number": 1, "matter": "一"}, {"number": 2, "matter": "二"}])
    v3 = publish(A, world["county"], [{"number": 1, "matter": "三"}])
    assert [x.version for x in (v1, v2, v3)] == [1, 2, 3]
    assert list(ResponsibilityList.objects.filter(is_current=True)) == [v3]
    assert v1.items.count() == 1 and v2.items.count() == 2
    replaced = AuditRecord.objects.filter(object_id=str(v2.pk), action="update").get()
    assert replaced.after == {"is_current": False} and replaced.message == "被第3版取代"


def test_withdraw_needs_a_reason_and_a_current_list(world, publish):
    lst = publish(A, world["t1"], [{"number": 1, "matter": "一"}], actor=world["officer"])
    with pytest.raises(PermissionDenied):
        services.responsibility_list_withdraw(actor=world["officer2"], responsibility_list=lst, reason="x")
    with pytest.raises(ValidationFailed):
        services.responsibility_list_withdraw(actor=world["officer"], responsibility_list=lst, reason=" ")
    services.responsibility_list_withdraw(
        actor=world["officer"], responsibility_list=lst, reason="合并到县清单"
    )
    lst.refresh_from_db()
    assert not lst.is_current and lst.withdrawn_at is not None
    assert Event.objects.get(event_type=events.LIST_WITHDRAWN).data["reason"] == "合并到县清单"
    with pytest.raises(Conflict):
        services.responsibility_list_withdraw(actor=world["officer"], responsibility_list=lst, reason="再次")


def test_import_reads_the_xlsx_below_a_title_row(world):
    upload = xlsx(
        [
            TERRITORIAL_HEADER,
            [1, "生态环境", "河道垃圾清理", "乡镇", "生态环境局、村", "env-garbage", "条例"],
            [None, None, None, None, None, None, None],
            [2.0, "民生保障", "低保入户核查", "会泽县住房和城乡建设局", "", "低保与救助", ""],
        ]
    )
    lst = services.responsibility_list_import(
        actor=world["admin"], kind=T, unit=world["county"], title="", upload=upload, filename="属地清单.xlsx"
    )
    assert lst.source_filename == "属地清单.xlsx"
    assert list(lst.items.values_list("number", "matter")) == [(1, "河道垃圾清理"), (2, "低保入户核查")]


def test_import_row_errors_carry_the_sheet_row_numbers(world):
    upload = xlsx([TERRITORIAL_HEADER, [1, "", "事项", "乡镇", "", "无此类别", ""]])
    with pytest.raises(ValidationFailed) as refused:
        services.responsibility_list_import(
            actor=world["admin"], kind=T, unit=world["county"], title="", upload=upload, filename="a.xlsx"
        )
    assert refused.value.extra["errors"][0]["row"] == 3


def test_import_header_aliases_and_notes_in_brackets(world):
    upload = xlsx(
        [
            ["编号", "事项名称", "准入依据", "对应诉求类别（代码或名称，多个用、分隔）"],
            [1, "人居环境", "文件", "env"],
        ],
        title=None,
    )
    lst = services.responsibility_list_import(
        actor=world["admin"], kind=A, unit=world["county"], title="", upload=upload, filename="b.XLSX"
    )
    assert lst.items.get().basis == "文件"


@pytest.mark.parametrize(
    ("content", "filename", "code"),
    [
        (b"not a spreadsheet", "a.xlsx", "file_not_xlsx"),
        (b"PK\x03\x04broken", "a.xlsx", "file_unreadable"),
        (b"anything", "a.csv", "file_not_xlsx"),
    ],
)
def test_import_refuses_what_is_not_an_xlsx(world, content, filename, code):
    with pytest.raises(ValidationFailed) as refused:
        services.responsibility_list_import(
            actor=world["admin"],
            kind=A,
            unit=world["county"],
            title="",
            upload=io.BytesIO(content),
            filename=filename,
        )
    assert refused.value.code == code


def test_import_names_missing_columns(world):
    upload = xlsx([["序号", "领域", "事项", "配合责任单位"], [1, "a", "b", "乡镇"]])
    with pytest.raises(ValidationFailed) as refused:
        services.responsibility_list_import(
            actor=world["admin"], kind=T, unit=world["county"], title="", upload=upload, filename="a.xlsx"
        )
    assert refused.value.code == "missing_columns"
    assert "主体责任单位" in refused.value.message
    with pytest.raises(ValidationFailed) as refused:
        services.responsibility_list_import(
            actor=world["admin"],
            kind=T,
            unit=world["county"],
            title="",
            upload=xlsx([["a", "b"]]),
            filename="a.xlsx",
        )
    assert refused.value.code == "no_header"


def test_import_checks_permission_before_reading_the_file(world):
    with pytest.raises(PermissionDenied):
        services.responsibility_list_import(
            actor=world["cadre"],
            kind=A,
            unit=world["t1"],
            title="",
            upload=io.BytesIO(b"x"),
            filename="a.xlsx",
        )
