"""The 12345 hotline work-order import: rows into hotline cases (place by names or address,
category by code, name, path, keyword or the default), idempotent on 工单编号, partial imports with
a reason for every refused row, refused files, permissions, the result report and the template."""

from __future__ import annotations

import datetime
import io
from typing import Any

import openpyxl
import pytest
from django.utils import timezone

from apps.accounts.choices import Role
from apps.audit.models import Event
from apps.cases.choices import Channel
from apps.cases.models import Case, Category
from apps.core.errors import PermissionDenied, ValidationFailed
from apps.hotline import events, exporter, services
from apps.hotline.choices import ImportStatus, RowOutcome
from apps.hotline.models import HotlineImportJob, HotlineImportRow
from apps.territory.choices import Level, UnitKind
from apps.territory.models import Unit

from .conftest import called, upload, xlsx

pytestmark = pytest.mark.django_db


def run(
    operator: Any, unit: Unit, data: bytes, name: str = "工单.xlsx", default: str = "consult"
) -> HotlineImportJob:
    job = services.hotline_import_create(
        actor=operator,
        unit=unit,
        upload=upload(data, name),
        default_category=Category.objects.get(code=default),
    )
    return services.hotline_import_run(job.pk)


def outcomes(job: HotlineImportJob) -> dict[int, tuple[str, str, str]]:
    return {r.row: (r.outcome, r.reason, r.warning) for r in job.rows.all()}


GOOD = [
    ["HZ2026-0001", called(3), "张先生", "138 1234 5678", "env-garbage", "村口垃圾",
     "村口垃圾池已经满了三天没人清运。", "娜姑村村口", "娜姑镇", "娜姑村", "一般"],
    ["HZ2026-0002", "2026年11月1日 9时05分", "李女士", "13912345678", "城乡建设-市容环卫-垃圾清运", "",
     "白雾村小学门口垃圾堆放，影响学生上学。", "", "", "白雾村", ""],
    ["HZ2026-0003", "2026/11/02 14:20:05", "王先生", "0874-5123456", "其他", "",
     "迤车村三组路灯不亮已经一个月。", "迤车镇迤车村三组", "", "", "紧急"],
    ["HZ2026-0004", called(1), "", "", "", "", "咨询今年医疗保险缴费标准。", "小营村", "", "", ""],
]  # fmt: skip


def test_rows_become_hotline_cases(tiny_county: dict[str, Any], operator: Any) -> None:
    job = run(operator, tiny_county["county"], xlsx(GOOD))
    assert job.status == ImportStatus.DONE, job.message
    assert (job.created_rows, job.skipped_rows, job.rejected_rows, job.total_rows) == (4, 0, 0, 4)
    assert job.message.startswith("新登记 4 条，已存在跳过 0 条，有错误 0 条")
    cases = {c.external_id: c for c in Case.objects.filter(channel=Channel.HOTLINE)}
    first = cases["HZ2026-0001"]
    assert first.unit == tiny_county["v11"] and first.category.code == "env-garbage"
    assert first.entered_by == operator and first.submitter is None
    assert first.submitter_name == "张先生" and first.submitter_phone == "13812345678"
    assert first.submitted_at == timezone.make_aware(called(3)) and first.title == "村口垃圾"
    second = cases["HZ2026-0002"]
    assert second.unit == tiny_county["v12"] and second.category.code == "env-garbage"  # by the path
    assert second.submitted_at == timezone.make_aware(datetime.datetime(2026, 11, 1, 9, 5))
    assert second.title == "白雾村小学门口垃圾堆放，影响学生上学。"
    third = cases["HZ2026-0003"]
    assert third.unit == tiny_county["v21"] and third.category.code == "road-light"  # by keyword
    assert third.description.startswith("【紧急程度：紧急】") and third.submitter_phone == ""
    fourth = cases["HZ2026-0004"]
    assert fourth.unit == tiny_county["v22"] and fourth.category.code == "social-medical"  # keyword 医疗保险
    rows = outcomes(job)
    assert rows[2] == (RowOutcome.CREATED, "", "")
    assert "按关键词“路灯”归入“道路交通／路灯损坏”" in rows[4][2]
    assert "联系电话不是 11 位手机号" in rows[4][2]
    assert job.warning_rows == 2
    finished = Event.objects.get(event_type=events.IMPORT_FINISHED)
    assert finished.data["created_rows"] == 4 and finished.source == "task"
    assert Event.objects.filter(event_type=events.IMPORT_STARTED, object_id=str(job.pk)).exists()


def test_reimport_skips_what_is_there_and_reports_it(tiny_county: dict[str, Any], operator: Any) -> None:
    run(operator, tiny_county["county"], xlsx(GOOD))
    extra = ["HZ2026-0009", called(1), "", "", "", "", "娜姑村自来水停了两天。", "", "娜姑镇", "娜姑村", ""]
    again = run(operator, tiny_county["county"], xlsx([*GOOD, extra]))
    assert again.status == ImportStatus.DONE
    assert (again.created_rows, again.skipped_rows, again.rejected_rows) == (1, 4, 0)
    assert Case.objects.filter(channel=Channel.HOTLINE).count() == 5
    skipped = HotlineImportRow.objects.get(job=again, external_id="HZ2026-0001")
    original = Case.objects.get(external_id="HZ2026-0001")
    assert skipped.outcome == RowOutcome.SKIPPED and skipped.case == original
    assert skipped.reason == f"该工单已导入（查询码 {original.tracking_code}），未重复登记。"


def test_a_work_order_twice_in_one_file_is_imported_once(tiny_county: dict[str, Any], operator: Any) -> None:
    job = run(operator, tiny_county["county"], xlsx([GOOD[0], GOOD[1], GOOD[0]]))
    assert (job.created_rows, job.skipped_rows) == (2, 1)
    assert outcomes(job)[4][0] == RowOutcome.SKIPPED


def test_bad_rows_are_reported_and_the_rest_imported(tiny_county: dict[str, Any], operator: Any) -> None:
    t = tiny_county
    for township, code in ((t["t1"], "530326102203"), (t["t2"], "530326103203")):
        Unit.objects.create(
            code=code, name="新村", level=Level.VILLAGE, kind=UnitKind.VILLAGE, parent=township
        )
    future = timezone.localtime() + datetime.timedelta(days=2)
    rows = [
        GOOD[0],
        ["", called(), "", "", "", "", "没有编号的工单内容。", "", "娜姑镇", "娜姑村", ""],
        ["X-2", "昨天上午", "", "", "", "", "来电时间写错的工单。", "", "娜姑镇", "娜姑村", ""],
        [
            "X-3",
            future.replace(tzinfo=None),
            "",
            "",
            "",
            "",
            "来电时间在将来的工单。",
            "",
            "娜姑镇",
            "娜姑村",
            "",
        ],
        ["X-4", called(), "", "", "", "", "太短", "", "娜姑镇", "娜姑村", ""],
        ["X-5", called(), "", "", "", "", "村子不在本县的工单。", "", "", "大坪村", ""],
        ["X-6", called(), "", "", "", "", "重名村子没写乡镇的工单。", "", "", "新村", ""],
        ["X-7", called(), "", "", "", "", "重名村子写了乡镇的工单。", "", "迤车镇", "新村", ""],
        ["X-8", called(), "", "", "", "", "乡镇名写错了的工单。", "", "娜姑乡", "娜姑村", ""],
        ["X-9", called(), "", "", "", "", "没有任何地点的工单。", "", "", "", ""],
        ["X-10", called(), "", "", "", "", "地址里没有村名的工单。", "某某路 12 号", "", "", ""],
        [],
        ["X-12", called(), "", "", "", "", "村子不在所填乡镇的工单。", "", "迤车镇", "娜姑村", ""],
    ]
    job = run(operator, t["county"], xlsx(rows))
    assert job.status == ImportStatus.DONE
    assert (job.created_rows, job.rejected_rows) == (2, 10)
    got = outcomes(job)
    assert got[2][0] == RowOutcome.CREATED and got[9][0] == RowOutcome.CREATED
    assert Case.objects.get(external_id="X-7").unit.code == "530326103203"
    expected = {
        3: "工单编号为空。",
        4: "来电时间无法识别（应为 2026-11-20 09:30 这样的日期时间）。",
        5: "来电时间晚于现在。",
        6: "诉求内容为空或少于 5 个字。",
        7: "村（社区）“大坪村”不在会泽县。",
        8: "村（社区）“新村”有重名，请同时写明所属乡镇（街道）。",
        10: "乡镇（街道）“娜姑乡”不在会泽县。",
        11: "未填写所属乡镇（街道）、所属村（社区）或事发地址。",
        12: "无法从地址中确定会泽县的乡镇（街道）或村（社区）。",
        14: "村（社区）“娜姑村”不在所填乡镇（街道）内。",
    }
    assert {row: got[row][1] for row in expected} == expected
    assert all(got[row][0] == RowOutcome.REJECTED for row in expected)
    assert 13 not in got  # a blank row is no work order
    columns = {r.row: r.column for r in job.rows.filter(outcome=RowOutcome.REJECTED)}
    assert columns[3] == "工单编号" and columns[6] == "诉求内容" and columns[7] == "所属村（社区）"


def test_scope_of_a_township_job(tiny_county: dict[str, Any], make_staff: Any) -> None:
    # A county admin importing for one township only: villages elsewhere are not found.
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    job = run(admin, tiny_county["t1"], xlsx(GOOD))
    assert (job.created_rows, job.rejected_rows) == (2, 2)
    assert outcomes(job)[4][1] == "无法从地址中确定娜姑镇的乡镇（街道）或村（社区）。"


def test_header_aliases_and_title_rows(tiny_county: dict[str, Any], operator: Any) -> None:
    header = [
        "序号",
        "工单号",
        "受理时间",
        "问题分类",
        "工单内容",
        "所属乡镇（街道）",
        "所属社区",
        "办理单位",
    ]
    rows = [[1, "A-1", called(), "路灯损坏", "娜姑村路口路灯不亮。", "娜姑镇", "娜姑村", "县住建局"]]
    above = [["会泽县12345政务服务便民热线工单明细"], ["导出时间：2026-11-21"]]
    job = run(operator, tiny_county["county"], xlsx(rows, header=header, above=above))
    assert job.status == ImportStatus.DONE and job.created_rows == 1
    assert "已忽略的列：序号、办理单位" in job.message
    case = Case.objects.get(external_id="A-1")
    assert case.category.code == "road-light" and case.title == "娜姑村路口路灯不亮。"


def test_unknown_type_goes_to_the_chosen_default(tiny_county: dict[str, Any], operator: Any) -> None:
    rows = [["D-1", called(), "", "", "其他类", "", "反映一件说不清的事情。", "", "娜姑镇", "", ""]]
    job = run(operator, tiny_county["county"], xlsx(rows), default="suggestion")
    case = Case.objects.get(external_id="D-1")
    assert case.category.code == "suggestion" and case.unit == tiny_county["t1"]
    assert outcomes(job)[2][2] == "诉求类型“其他类”未对应类别，归入默认类别“意见建议”"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["工单编号", "诉求内容", "所属村"], "缺少必需的列：来电时间。"),
        (
            ["工单编号", "来电时间", "诉求内容"],
            "缺少表示地点的列：所属乡镇、所属村（社区）或事发地址至少要有一列。",
        ),
        (["姓名", "电话"], "没有找到表头：前 10 行中须有一行包含“工单编号”和“诉求内容”两列。"),
    ],
)
def test_files_that_cannot_be_imported(
    tiny_county: dict[str, Any], operator: Any, header: list[str], message: str
) -> None:
    job = run(operator, tiny_county["county"], xlsx([["1", called(), "内容内容内容"]], header=header))
    assert job.status == ImportStatus.REJECTED and job.message.startswith(message)
    assert not Case.objects.exists() and not job.rows.exists()


def test_refused_uploads_and_permissions(tiny_county: dict[str, Any], operator: Any, make_staff: Any) -> None:
    consult = Category.objects.get(code="consult")
    with pytest.raises(ValidationFailed, match="旧版 Excel 97-2003"):
        services.hotline_import_create(
            actor=operator,
            unit=tiny_county["county"],
            upload=upload(b"\xd0\xcf\x11\xe0", "a.xls"),
            default_category=consult,
        )
    with pytest.raises(ValidationFailed, match="县（区）或乡镇"):
        services.hotline_import_create(
            actor=operator, unit=tiny_county["v11"], upload=upload(xlsx(GOOD)), default_category=consult
        )
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    with pytest.raises(PermissionDenied, match="您无权导入12345热线工单"):
        services.hotline_import_create(
            actor=officer, unit=tiny_county["t1"], upload=upload(xlsx(GOOD)), default_category=consult
        )
    # A role revoked before the worker runs: nothing is imported.
    job = services.hotline_import_create(
        actor=operator, unit=tiny_county["county"], upload=upload(xlsx(GOOD)), default_category=consult
    )
    operator.role_assignments.update(is_active=False)
    done = services.hotline_import_run(job.pk)
    assert done.status == ImportStatus.REJECTED and "无权" in done.message
    assert not Case.objects.exists()
    # A job runs once.
    assert services.hotline_import_run(job.pk).finished_at == done.finished_at


def test_report_workbook(tiny_county: dict[str, Any], operator: Any) -> None:
    run(operator, tiny_county["county"], xlsx(GOOD[:1]))
    bad = ["B-1", called(), "赵某", "13700000000", "", "", "短", "", "娜姑镇", "娜姑村", ""]
    job = run(operator, tiny_county["county"], xlsx([GOOD[0], bad, GOOD[1]]), name="十一月工单.xlsx")
    report = exporter.import_report(job)
    assert report.filename == "十一月工单_导入结果.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(report.file.read()))
    fix = list(book["待修正的行"].iter_rows(values_only=True))
    assert fix[0][:4] == ("原行号", "问题", "工单编号", "来电时间")
    assert fix[1][:3] == (3, "诉求内容：诉求内容为空或少于 5 个字。", "B-1") and fix[1][8] == "短"
    every = list(book["全部结果"].iter_rows(values_only=True))
    original = Case.objects.get(external_id="HZ2026-0001")
    assert every[1][:4] == (2, "HZ2026-0001", "已存在，跳过", original.tracking_code)
    assert every[2][:3] == (3, "B-1", "有错误，未导入")
    assert (
        every[3][2] == "已登记" and every[3][3] == Case.objects.get(external_id="HZ2026-0002").tracking_code
    )
    about = dict(row[:2] for row in book["说明"].iter_rows(values_only=True))
    assert about["新登记"] == 1 and about["已存在，跳过"] == 1 and about["有错误"] == 1
    # Once the file is gone (retention sweep), the report still lists the problems.
    job.file.delete(save=False)
    HotlineImportJob.objects.filter(pk=job.pk).update(file="")
    job.refresh_from_db()
    book = openpyxl.load_workbook(io.BytesIO(exporter.import_report(job).file.read()))
    assert list(book["待修正的行"].iter_rows(values_only=True))[1][:2] == (
        3,
        "诉求内容：诉求内容为空或少于 5 个字。",
    )


def test_template_is_importable_and_its_example_is_skipped(
    tiny_county: dict[str, Any], operator: Any
) -> None:
    template = exporter.import_template()
    data = template.file.read()
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["12345工单", "填写说明", "诉求类别"]
    header = next(book["12345工单"].iter_rows(values_only=True))
    assert header[:3] == ("工单编号", "来电时间", "来电人") and "所属村（社区）" in header
    codes = {row[0] for row in book["诉求类别"].iter_rows(min_row=2, values_only=True)}
    assert "env-garbage" in codes
    job = run(operator, tiny_county["county"], data)
    assert job.status == ImportStatus.DONE and job.rows.count() == 0 and not Case.objects.exists()
