"""Spreadsheet import of households and residents: formats and encodings, idempotent re-import,
refused files, row-level problems with their exact row/column/reason, the two modes, the error
report, permissions, and the job page with its htmx progress fragment."""

from __future__ import annotations

import datetime
import io
import re
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.accounts.choices import Role
from apps.audit.models import AuditRecord, Event
from apps.audit.services import snapshot
from apps.core import crypto
from apps.core.errors import PermissionDenied, ValidationFailed
from apps.people import events, importer, services
from apps.people.choices import ImportMode, ImportStatus
from apps.people.idnumber import check_char, make
from apps.people.models import Household, ImportIssue, ImportJob, Resident
from apps.territory.choices import Level, UnitKind
from apps.territory.models import Unit

from .fixtures.sheets import csv_bytes, xlsx_excel_like, xlsx_openpyxl

pytestmark = pytest.mark.django_db

ID_HEAD = make("530326", datetime.date(1968, 3, 9), 131)
ID_WIFE = make("530326", datetime.date(1970, 5, 1), 242)
ID_CHILD = make("530326", datetime.date(2016, 7, 1), 351)
ID_OTHER = make("530326", datetime.date(1955, 11, 30), 463)
HEADER = ["姓名", "身份证号", "与户主关系", "户号", "住址", "联系电话", "政治面貌", "特殊群体", "网格编码",
          "宅基地面积（平方米）", "房屋结构", "是否危房", "备 注 列"]  # fmt: skip
GOOD_ROWS = [
    ["张建国", ID_HEAD, "户主", "001", "娜姑村一组 12 号", "13812345678", "中共党员", "低保户", "NG-01-01",
     "120.5", "砖混", "否", "x"],
    ["李秀英", ID_WIFE, "妻", "001", "", "", "群众", "", "", "", "", "", ""],
    ["张小明", ID_CHILD, "子", "001", "", "", "", "留守儿童", "", "", "", "", ""],
    ["王德成", ID_OTHER, "户主", "002", "娜姑村二组 3 号", "139 0000 1111", "", "残疾人、空巢老人", "", "",
     "", "是", ""],
]  # fmt: skip


@pytest.fixture
def cadre(tiny_county, make_staff):
    return make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])


@pytest.fixture
def officer(tiny_county, make_staff):
    return make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])


def upload(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def run(
    user: Any, unit: Unit, data: bytes, name: str = "档案.csv", mode: str = ImportMode.PARTIAL
) -> ImportJob:
    job = importer.import_job_create(actor=user, unit=unit, upload=upload(data, name), mode=mode)
    return importer.import_run(job.pk)


def issues(job: ImportJob) -> list[tuple[int, str, str]]:
    return [(i.row, i.column, i.reason) for i in ImportIssue.objects.filter(job=job).order_by("row", "id")]


def snapshot_counts() -> tuple[int, int, int, int]:
    return (
        Household.objects.count(),
        Resident.objects.count(),
        AuditRecord.objects.count(),
        Resident.special_groups.through.objects.count(),
    )


# --- good files -----------------------------------------------------------------------------------------


def assert_good_import(job: ImportJob) -> None:
    assert job.status == ImportStatus.DONE, job.message
    assert (job.households_created, job.residents_created, job.residents_updated, job.rejected_rows) == (
        2,
        4,
        0,
        0,
    )
    assert job.total_rows == job.processed_rows == 4
    first = Household.objects.get(number="001")
    assert first.address == "娜姑村一组 12 号" and first.grid.code == "NG-01-01"
    assert first.facts == {"homestead_area": "120.5", "house_structure": "砖混", "house_dangerous": False}
    assert first.head.name == "张建国"
    head = first.head
    assert crypto.decrypt(head.id_number_enc) == ID_HEAD and head.id_number_hash == crypto.lookup_hash(
        ID_HEAD
    )
    assert crypto.decrypt(head.phone_enc) == "13812345678"
    assert head.political_status == "party_member" and head.gender == "male"
    assert head.birth_date == datetime.date(1968, 3, 9)
    assert [g.code for g in head.special_groups.all()] == ["dibao"]
    wife = Resident.objects.get(name="李秀英")
    assert wife.relation == "spouse" and wife.gender == "female" and wife.household_id == first.pk
    second = Household.objects.get(number="002")
    assert second.facts == {"house_dangerous": True}
    other = second.head
    assert crypto.decrypt(other.phone_enc) == "13900001111"
    assert sorted(g.code for g in other.special_groups.all()) == ["disabled", "kongchao_elder"]
    # One audit record per created household and resident, with masked personal data only.
    records = AuditRecord.objects.filter(content_type__model__in=["household", "resident"])
    assert records.count() == 6
    record = records.get(content_type__model="resident", object_id=str(head.pk))
    assert record.after["id_number"] == head.id_number_masked and ID_HEAD not in str(record.after)
    assert record.after["special_groups"] == ["dibao"] and record.scope_code == first.unit.code
    # The importer's fast snapshot is the audit trail's own, field for field.
    assert record.after == {**snapshot(head), "special_groups": ["dibao"]}
    assert importer.fast_snapshot(head) == snapshot(head)
    household_record = records.get(content_type__model="household", object_id=str(first.pk))
    assert household_record.after == snapshot(first) and household_record.after["head_id"] == head.pk
    assert "13812345678" not in str(record.after)
    assert "已忽略的列：备 注 列" in job.message
    finished = Event.objects.get(event_type=events.IMPORT_FINISHED)
    assert finished.data["residents_created"] == 4 and finished.data["households_created"] == 2
    assert Event.objects.filter(event_type=events.IMPORT_STARTED).count() == 1


@pytest.mark.parametrize(
    ("encoding", "bom", "shown"),
    [("utf-8", False, "UTF-8"), ("utf-8", True, "UTF-8（带 BOM）"), ("gbk", False, "GBK（GB18030）")],
)
def test_csv_in_each_encoding(tiny_county, cadre, encoding, bom, shown) -> None:
    job = run(cadre, tiny_county["v11"], csv_bytes([HEADER, *GOOD_ROWS], encoding=encoding, bom=bom))
    assert_good_import(job)
    assert f"文件编码：{shown}" in job.message
    assert set(Resident.objects.values_list("name", flat=True)) == {"张建国", "李秀英", "张小明", "王德成"}


def test_excel_workbook_with_title_row_shared_strings_and_dates(tiny_county, cadre) -> None:
    rows = [["娜姑村民情档案登记表"], [], [*HEADER, "出生日期"]]
    rows += [[*row, datetime.date(1968, 3, 9) if row[0] == "张建国" else None] for row in GOOD_ROWS]
    job = run(cadre, tiny_county["v11"], xlsx_excel_like(rows), "档案.xlsx")
    assert_good_import(job)
    # Row numbers are the sheet's own (title on row 1, header on row 3).
    bad = [*rows, ["赵六", ID_HEAD[:-1] + ("0" if ID_HEAD[-1] != "0" else "1"), "户主", "003", "三号"]]
    job = run(cadre, tiny_county["v11"], xlsx_excel_like(bad), "档案.xlsx")
    assert issues(job) == [(8, "身份证号", "身份证号校验位不正确，请核对是否输错。")]


def test_openpyxl_workbook_and_the_openpyxl_fallback_read_the_same(tiny_county, cadre, monkeypatch) -> None:
    job = run(cadre, tiny_county["v11"], xlsx_openpyxl([HEADER, *GOOD_ROWS]), "档案.xlsx")
    assert_good_import(job)

    def unsupported(*args: Any) -> None:
        raise importer.Unsupported("test")

    data = xlsx_excel_like([HEADER, *GOOD_ROWS])
    fast = [
        (n, [importer.cell_text(v) for v in row])
        for n, row in importer.open_table(io.BytesIO(data), "a.xlsx").rows
    ]
    monkeypatch.setattr(importer._FastXlsx, "__init__", unsupported)
    slow = [
        (n, [importer.cell_text(v) for v in row])
        for n, row in importer.open_table(io.BytesIO(data), "a.xlsx").rows
    ]
    strip = [(n, [c for c in row if c]) for n, row in fast]
    assert strip == [(n, [c for c in row if c]) for n, row in slow if any(row)]


def test_reimport_is_idempotent_and_updates_only_what_changed(tiny_county, cadre) -> None:
    data = csv_bytes([HEADER, *GOOD_ROWS])
    run(cadre, tiny_county["v11"], data)
    before = snapshot_counts()
    versions = dict(Resident.objects.values_list("pk", "version"))
    again = run(cadre, tiny_county["v11"], data)
    assert again.status == ImportStatus.DONE
    assert (again.households_created, again.residents_created, again.residents_updated) == (0, 0, 0)
    assert snapshot_counts() == (before[0], before[1], before[2] + 1, before[3])  # +1: the new job's record
    assert dict(Resident.objects.values_list("pk", "version")) == versions

    changed = [row[:] for row in GOOD_ROWS]
    changed[1][5] = "13700000002"  # the wife's phone is new
    changed[3][7] = "残疾人"  # one group less
    changed[3][4] = "娜姑村二组 5 号"  # the second household moved
    job = run(cadre, tiny_county["v11"], csv_bytes([HEADER, *changed]))
    assert (job.residents_created, job.residents_updated, job.households_created) == (0, 2, 0)
    assert "更新 1 户" in job.message
    wife = Resident.objects.get(name="李秀英")
    assert wife.phone_masked == "137****0002" and wife.version == 2
    record = AuditRecord.objects.filter(content_type__model="resident", object_id=str(wife.pk)).first()
    assert record.changed_fields == ["phone", "phone_prefix", "phone_tail"]
    assert record.before["phone"] == "" and record.after["phone"] == "137****0002"
    other = Resident.objects.get(name="王德成")
    assert [g.code for g in other.special_groups.all()] == ["disabled"]
    second = Household.objects.get(number="002")
    assert second.address == "娜姑村二组 5 号" and second.version == 2
    record = AuditRecord.objects.filter(content_type__model="household", object_id=str(second.pk)).first()
    assert record.action == "update" and record.changed_fields == ["address"]
    assert record.before == {"address": "娜姑村二组 3 号"} and record.after == {"address": "娜姑村二组 5 号"}


def test_blank_cells_never_erase_and_rows_without_id_match_by_household_and_name(tiny_county, cadre) -> None:
    run(cadre, tiny_county["v11"], csv_bytes([HEADER, *GOOD_ROWS]))
    # A later sheet without ID numbers or phones: the same people, nothing erased, nothing added.
    thin = [["姓名", "户号", "住址", "职业"], ["张建国", "001", "", "务农"], ["李秀英", "001", "", ""]]
    job = run(cadre, tiny_county["v11"], csv_bytes(thin))
    assert (job.residents_created, job.residents_updated) == (0, 1)
    head = Resident.objects.get(name="张建国")
    assert head.occupation == "务农" and crypto.decrypt(head.id_number_enc) == ID_HEAD
    assert head.phone_tail == "5678"
    # A resident registered without an ID number gets it from a later row with the number.
    household = Household.objects.get(number="002")
    services.resident_create(actor=cadre, household=household, name="王小芳")
    new_id = make("530326", datetime.date(1990, 1, 2), 462)
    job = run(
        cadre,
        tiny_county["v11"],
        csv_bytes([["姓名", "身份证号", "户号", "住址"], ["王小芳", new_id, "002", ""]]),
    )
    assert (job.residents_created, job.residents_updated) == (0, 1)
    assert Resident.objects.get(name="王小芳").id_number_hash == crypto.lookup_hash(new_id)


def test_template_headers_import_and_its_example_row_is_skipped(tiny_county, cadre, client) -> None:
    client.force_login(cadre)
    response = client.get(reverse("people:import_template"))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["居民档案"]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["区划代码", "乡镇（街道）", "村（社区）"] and "宅基地面积（平方米）" in headers
    assert sheet.cell(row=2, column=headers.index("备注") + 1).value == importer.EXAMPLE_MARK
    assert "填写说明" in workbook.sheetnames
    given = {"姓名": "赵大", "户号": "009", "住址": "九号", "联系电话": "13811112222"}
    sheet.append({headers.index(header) + 1: value for header, value in given.items()})
    out = io.BytesIO()
    workbook.save(out)
    job = run(cadre, tiny_county["v11"], out.getvalue(), "模板.xlsx")
    assert job.status == ImportStatus.DONE, job.message
    assert list(Resident.objects.values_list("name", flat=True)) == ["赵大"]
    assert job.total_rows == 1 and "已忽略" not in job.message


def test_county_import_finds_villages_by_name_code_and_group(tiny_county, make_staff) -> None:
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    group = Unit.objects.create(
        code="530326102201001", name="一组", short_name="一组", level=Level.GROUP, kind=UnitKind.GROUP,
        parent=tiny_county["v11"],
    )  # fmt: skip
    Unit.objects.create(code="530326103203", name="娜姑村", short_name="娜姑村", level=Level.VILLAGE,
                        kind=UnitKind.VILLAGE, parent=tiny_county["t2"])  # fmt: skip
    rows = [
        ["姓名", "户号", "住址", "乡镇（街道）", "村", "组", "区划代码"],
        ["甲", "1", "一号", "娜姑镇", "娜姑村", "一组", ""],
        ["乙", "2", "二号", "", "", "", "530326103201"],
        ["丙", "3", "三号", "", "娜姑村", "", ""],
        ["丁", "4", "四号", "", "白雾村", "三组", ""],
        ["戊", "5", "五号", "", "", "", "530326999999"],
        ["己", "6", "六号", "", "", "", ""],
    ]
    job = run(admin, tiny_county["county"], csv_bytes(rows))
    assert Household.objects.get(number="1").unit == group
    assert Household.objects.get(number="2").unit == tiny_county["v21"]
    assert issues(job) == [
        (4, "村", "导入范围内有 2 个名为“娜姑村”的村，请填写“区划代码”或“乡镇（街道）”列加以区分。"),
        (5, "组", "“白雾村”下没有名为“三组”的村民小组（请先在区划中添加，或删除“村民小组”列）。"),
        (6, "区划代码", "区划代码“530326999999”不是导入范围“会泽县”内的村（社区）或村民小组。"),
        (7, "村", "请填写所属村（社区）。"),
    ]


# --- refused files -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("档案.txt", "姓名,户号\n张三,1\n".encode(), "import_file_type"),
        ("档案.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "import_xls"),
        ("档案.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "import_xls"),
        ("档案.xlsx", "姓名,户号,住址\n张三,1,一号\n".encode(), "import_not_xlsx"),
        ("档案.csv", xlsx_openpyxl([["姓名"]]), "import_not_csv"),
        ("档案.csv", b"", "import_empty"),
    ],
)
def test_wrong_kind_of_file_is_refused_on_upload(tiny_county, cadre, name, data, code) -> None:
    with pytest.raises(ValidationFailed) as err:
        importer.import_job_create(actor=cadre, unit=tiny_county["v11"], upload=upload(data, name))
    assert err.value.code == code
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            csv_bytes([["户号", "住址", "备注"], ["1", "一号", ""]]),
            "a.csv",
            "没有找到表头：前 10 行中没有“姓名”列",
        ),
        (
            csv_bytes([["姓名", "住址", "手机"], ["张三", "一号", "1"]]),
            "a.csv",
            "缺少必需的列：户号。整个文件未导入",
        ),
        (csv_bytes([["姓名", "手机号", "联系电话", "户号", "住址"]]), "a.csv", "“手机号”与“联系电话”"),
        (csv_bytes([HEADER]), "a.csv", "文件只有表头，没有数据行。"),
        (xlsx_excel_like([HEADER]), "a.xlsx", "文件只有表头，没有数据行。"),
        (b"\n\n,,\n", "a.csv", "文件是空的，没有任何内容。"),
        (xlsx_excel_like([]), "a.xlsx", "文件是空的，没有任何内容。"),
        ("姓名,户号".encode("utf-16"), "a.csv", "编码不受支持"),
        (b"PK\x03\x04broken", "a.xlsx", "Excel 文件已损坏"),
    ],
)
def test_file_level_problems_refuse_the_whole_file(tiny_county, cadre, data, name, message) -> None:
    before = snapshot_counts()
    job = run(cadre, tiny_county["v11"], data, name)
    assert job.status == ImportStatus.REJECTED
    assert message in job.message
    assert snapshot_counts()[:2] == before[:2] and snapshot_counts()[3] == before[3]
    finished = Event.objects.get(event_type=events.IMPORT_FINISHED)
    assert finished.data["status"] == ImportStatus.REJECTED


def test_county_import_without_a_village_column_is_refused(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    job = run(officer, tiny_county["t1"], csv_bytes([["姓名", "户号", "住址"], ["张三", "1", "一号"]]))
    assert job.status == ImportStatus.REJECTED and "村（社区）或区划代码" in job.message


def test_too_many_rows_and_too_large_files_are_refused(tiny_county, cadre, settings) -> None:
    settings.PEOPLE_IMPORT_MAX_ROWS = 3
    job = run(cadre, tiny_county["v11"], csv_bytes([HEADER, *GOOD_ROWS]))
    assert job.status == ImportStatus.REJECTED and "超过单次导入 3 行的上限" in job.message
    job = run(cadre, tiny_county["v11"], xlsx_excel_like([HEADER, *GOOD_ROWS]), "a.xlsx")
    assert job.status == ImportStatus.REJECTED and "3 行的上限" in job.message
    assert not Resident.objects.exists()
    settings.PEOPLE_IMPORT_MAX_BYTES = 100
    with pytest.raises(ValidationFailed) as err:
        run(cadre, tiny_county["v11"], csv_bytes([HEADER, *GOOD_ROWS]))
    assert err.value.code == "import_too_large"


# --- row problems --------------------------------------------------------------------------------------

BAD_CHECKSUM = ID_HEAD[:-1] + ("0" if ID_HEAD[-1] != "0" else "1")
BAD_DATE = "53032619681332131"  # month 13; the check character is added below
BAD_REGION = make("990326", datetime.date(1968, 3, 9), 131)


def bad_rows() -> list[list[str]]:
    return [
        HEADER,
        ["甲", BAD_CHECKSUM, "户主", "101", "一号", "", "", "", "", "", "", "", ""],  # row 2
        [
            "乙",
            BAD_DATE + check_char(BAD_DATE),
            "户主",
            "102",
            "二号",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],  # row 3
        ["丙", BAD_REGION, "户主", "103", "三号", "", "", "", "", "", "", "", ""],  # row 4
        ["丁", ID_HEAD, "户主", "104", "四号", "", "", "", "", "", "", "", ""],  # row 5: fine
        ["戊", ID_HEAD.lower(), "子", "104", "", "", "", "", "", "", "", "", ""],  # row 6: duplicate of row 5
        [
            "",
            ID_WIFE,
            "叔叔",
            "105",
            "五号",
            "12345",
            "党",
            "贫困户",
            "XX-99",
            "-3",
            "草房",
            "也许",
            "",
        ],  # row 7
        ["己", "5.30326196803091E+17", "户主", "106", "六号", "", "", "", "", "", "", "", ""],  # row 8
        [
            "庚",
            ID_OTHER,
            "户主",
            "107",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],  # row 9: new household, no address
        ["辛", "", "户主", "104", "", "", "", "", "", "", "", "", ""],  # row 10: second head of 104
        ["壬", "", "子", "104", "另一个地址", "", "", "", "", "", "", "", ""],  # row 11: contradicts row 5
        ["", "", "", "", "", "", "", "", "", "", "", "", ""],  # row 12: blank, skipped
        ["癸", "", "子", "", "七号", "", "", "", "", "", "", "", ""],  # row 13: no household number
    ]


def test_partial_imports_valid_rows_and_reports_each_problem_exactly(tiny_county, cadre) -> None:
    job = run(cadre, tiny_county["v11"], csv_bytes(bad_rows()))
    assert job.status == ImportStatus.DONE
    assert (job.residents_created, job.households_created) == (1, 1)
    assert job.rejected_rows == 10
    assert list(Resident.objects.values_list("name", flat=True)) == ["丁"]
    found = issues(job)
    row7 = [(column, reason) for row, column, reason in found if row == 7]
    assert row7 == [
        ("网格编码", "网格“XX-99”不存在或不在导入范围内。"),
        ("宅基地面积（平方米）", "“宅基地面积”不能小于 0。"),
        ("房屋结构", "“房屋结构”应为以下之一：砖混、框架、砖木、土木、其他；收到“草房”。"),
        ("是否危房", "“是否危房”应填“是”或“否”，收到“也许”。"),
        ("姓名", "姓名不能为空，且不超过 50 个字符。"),
        ("与户主关系", "“叔叔”不是有效的与户主关系，可填："
                       "户主、配偶、子女、儿媳/女婿、孙子女、父母、祖父母、兄弟姐妹、其他。"),
        ("政治面貌", "“党”不是有效的政治面貌，可填：群众、中共党员、中共预备党员、共青团员、民主党派。"),
        ("联系电话", "手机号“12345”格式不正确（11 位，以 1 开头）。"),
        ("特殊群体", "未知的特殊群体：贫困户。可填："
                     "低保户、特困供养、留守儿童、空巢老人、独居老人、残疾人、防返贫监测户、退役军人。"),
    ]  # fmt: skip
    others = [item for item in found if item[0] != 7]
    assert others == [
        (2, "身份证号", "身份证号校验位不正确，请核对是否输错。"),
        (3, "身份证号", "身份证号中的出生日期 19681332 不是有效日期。"),
        (4, "身份证号", "身份证号的地区码 990326 不存在。"),
        (6, "身份证号", "身份证号与第 5 行重复。"),
        (8, "身份证号", "身份证号被保存成了数字（科学计数法），末几位已丢失。"
                        "请把该列设为“文本”格式后重新填写。"),
        (9, "住址", "新登记的户须有住址（同户填写了住址的行未能导入，或各行均未填写）。"),
        (10, "与户主关系", "同一户只能有一名户主（第 5 行已是户主）。"),
        (11, "住址", "与同户第 5 行的“四号”不一致。"),
        (13, "户号", "户号不能为空，且不超过 32 个字符。"),
    ]  # fmt: skip
    value = ImportIssue.objects.get(job=job, row=6).value
    assert value == ID_HEAD.lower()


def test_all_or_nothing_leaves_the_database_unchanged(tiny_county, cadre) -> None:
    run(cadre, tiny_county["v11"], csv_bytes([["姓名", "户号", "住址"], ["某甲", "900", "九百号"]]))
    job = importer.import_job_create(
        actor=cadre, unit=tiny_county["v11"], upload=upload(csv_bytes(bad_rows()), "a.csv"),
        mode=ImportMode.ALL_OR_NOTHING,
    )  # fmt: skip
    before = snapshot_counts()
    job = importer.import_run(job.pk)
    assert job.status == ImportStatus.REJECTED and "未导入任何数据" in job.message
    assert snapshot_counts() == before
    assert (job.residents_created, job.households_created, job.rejected_rows) == (0, 0, 10)
    assert ImportIssue.objects.filter(job=job).count() == 18
    # The same mode with a clean file imports everything.
    job = run(cadre, tiny_county["v11"], csv_bytes([HEADER, *GOOD_ROWS]), mode=ImportMode.ALL_OR_NOTHING)
    assert job.status == ImportStatus.DONE and job.residents_created == 4


def test_id_number_already_in_another_household(tiny_county, cadre, officer) -> None:
    household = services.household_create(
        actor=officer, unit=tiny_county["v12"], number="9", address="白雾村"
    )
    services.resident_create(actor=officer, household=household, name="张建国", id_number=ID_HEAD)
    job = run(cadre, tiny_county["v11"], csv_bytes([HEADER, *GOOD_ROWS]))
    masked = Resident.objects.get(name="张建国").id_number_masked
    # The refused head row carried the new household's address, so its members wait for it too.
    no_address = "新登记的户须有住址（同户填写了住址的行未能导入，或各行均未填写）。"
    assert issues(job) == [
        (2, "身份证号", "该身份证号已登记在您管辖范围以外的一户，不能再登记到本户；"
                        "如确已迁入，请先在原户办理迁出。"),
        (3, "住址", no_address),
        (4, "住址", no_address),
    ]  # fmt: skip
    assert ImportIssue.objects.filter(job=job, row=2).get().value == masked  # never the full number
    assert job.residents_created == 1
    job = run(officer, tiny_county["v11"], csv_bytes([HEADER, GOOD_ROWS[0]]))
    assert issues(job)[0][2].startswith("该身份证号已登记在“白雾村”9号户（张建国）")


def test_an_edit_made_during_the_import_stops_the_write(tiny_county, cadre, monkeypatch) -> None:
    run(cadre, tiny_county["v11"], csv_bytes([HEADER, *GOOD_ROWS]))
    changed = [row[:] for row in GOOD_ROWS]
    changed[0][5] = "13700000009"
    original = importer.Importer._finish_new_households

    def meanwhile(self: Any, households: Any) -> None:
        original(self, households)
        Resident.objects.filter(name="张建国").update(version=7)

    monkeypatch.setattr(importer.Importer, "_finish_new_households", meanwhile)
    before = snapshot_counts()
    job = run(cadre, tiny_county["v11"], csv_bytes([HEADER, *changed]))
    assert job.status == ImportStatus.FAILED and "导入期间有档案被他人修改" in job.message
    assert snapshot_counts()[:2] == before[:2]
    assert Resident.objects.get(name="张建国").phone_tail == "5678"


def test_progress_is_reported_while_checking(tiny_county, cadre) -> None:
    rows = [["姓名", "户号", "住址"]] + [[f"居民{i}", str(i // 3), f"{i // 3} 号"] for i in range(2500)]
    job = importer.import_job_create(
        actor=cadre, unit=tiny_county["v11"], upload=upload(csv_bytes(rows), "a.csv")
    )
    seen: list[tuple[int, int]] = []
    with job.file.open("rb") as fh:
        outcome = importer.Importer(job, progress=lambda done, total: seen.append((done, total))).run(fh)
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]
    assert outcome.residents_created == 2500 and outcome.households_created == 834


# --- report, permissions, pages --------------------------------------------------------------------------


def test_error_report_lists_rows_with_their_original_values(tiny_county, cadre, client) -> None:
    data = xlsx_excel_like(bad_rows())
    job = run(cadre, tiny_county["v11"], data, "村档案.xlsx")
    client.force_login(cadre)
    response = client.get(reverse("people:import_report", args=[job.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    fix = list(workbook["待修正的行"].iter_rows(values_only=True))
    assert fix[0][:4] == ("原行号", "问题", "姓名", "身份证号")
    assert [r[0] for r in fix[1:]] == [2, 3, 4, 6, 7, 8, 9, 10, 11, 13]
    row2 = fix[1]
    assert row2[1] == "身份证号：身份证号校验位不正确，请核对是否输错。"
    assert row2[2:6] == ("甲", BAD_CHECKSUM, "户主", "101")
    listing = list(workbook["问题清单"].iter_rows(values_only=True))
    assert listing[0] == ("行号", "列", "值", "原因") and len(listing) == 19
    # The fixed sheet goes back in as it is: the two extra columns are ignored.
    sheet = workbook["待修正的行"]
    sheet.cell(row=2, column=4).value = make("530326", datetime.date(1980, 1, 1), 11)
    out = io.BytesIO()
    workbook.save(out)
    again = run(cadre, tiny_county["v11"], out.getvalue(), "改正.xlsx")
    assert "已忽略的列：原行号、问题" in again.message
    assert Resident.objects.filter(name="甲").exists()


def test_permissions(tiny_county, cadre, make_staff, client) -> None:
    with pytest.raises(PermissionDenied):
        importer.import_job_create(
            actor=cadre, unit=tiny_county["v12"], upload=upload(csv_bytes([HEADER, *GOOD_ROWS]), "a.csv")
        )
    # A row naming another village is refused, the rest imported.
    rows = [["姓名", "户号", "住址", "村"], ["甲", "1", "一号", "娜姑村"], ["乙", "2", "二号", "白雾村"]]
    job = run(cadre, tiny_county["v11"], csv_bytes(rows))
    assert issues(job) == [(3, "村", "村（社区）“白雾村”不在导入范围“娜姑村”内。")]
    gridder = make_staff(Role.GRIDDER, grid=tiny_county["g11"])
    with pytest.raises(PermissionDenied):
        importer.import_job_create(actor=gridder, unit=tiny_county["v11"], upload=upload(b"x", "a.csv"))
    client.force_login(gridder)
    assert client.get(reverse("people:import_start")).status_code == 403
    assert client.get(reverse("people:import_template")).status_code == 403
    assert client.get(reverse("people:import_detail", args=[job.pk])).status_code == 403
    other = make_staff(Role.VILLAGE_CADRE, tiny_county["v12"])
    client.force_login(other)
    assert client.get(reverse("people:import_report", args=[job.pk])).status_code == 403
    # A role revoked before the worker runs: the job fails on the permission, nothing written.
    pending = importer.import_job_create(
        actor=other, unit=tiny_county["v12"], upload=upload(csv_bytes([HEADER, *GOOD_ROWS]), "a.csv")
    )
    other.role_assignments.update(is_active=False)
    done = importer.import_run(pending.pk)
    assert done.status == ImportStatus.REJECTED and "无权" in done.message


def test_upload_page_runs_the_task_and_the_job_page_polls_until_done(
    tiny_county, cadre, client, django_capture_on_commit_callbacks
) -> None:
    client.force_login(cadre)
    page = client.get(reverse("people:import_start"))
    assert page.status_code == 200
    assert page.context["unit_choices"][0]["code"] == tiny_county["v11"].code
    assert len(page.context["unit_choices"]) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("people:import_start"),
            {"unit": tiny_county["v11"].code, "mode": ImportMode.PARTIAL,
             "file": upload(csv_bytes([HEADER, *GOOD_ROWS], encoding="gbk"), "娜姑村.csv")},
        )  # fmt: skip
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("people:import_detail", args=[job.pk])
    assert job.status == ImportStatus.DONE and job.task_id
    detail = client.get(response.url)
    html = detail.content.decode()
    assert detail.status_code == 200 and "已完成" in html and "every 1s" not in html
    fragment = client.get(reverse("people:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode() and 'data-status="done"' in fragment.content.decode()

    # A pending job: the fragment keeps polling and shows the progress.
    with django_capture_on_commit_callbacks(execute=False):
        client.post(
            reverse("people:import_start"),
            {"unit": tiny_county["v11"].code, "mode": ImportMode.ALL_OR_NOTHING,
             "file": upload(csv_bytes([HEADER, *bad_rows()[1:]]), "坏.csv")},
        )  # fmt: skip
    pending = ImportJob.objects.exclude(pk=job.pk).get()
    ImportJob.objects.filter(pk=pending.pk).update(
        status=ImportStatus.RUNNING, processed_rows=5, total_rows=12
    )
    fragment = client.get(
        reverse("people:import_progress", args=[pending.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "已检查 5 / 12 行" in fragment
    ImportJob.objects.filter(pk=pending.pk).update(status=ImportStatus.PENDING)
    importer.import_run(pending.pk)
    html = client.get(reverse("people:import_detail", args=[pending.pk])).content.decode()
    assert "未导入（有错误）" in html and "下载错误报告 (.xlsx)" in html and "身份证号校验位不正确" in html
    assert "hx-trigger" not in html


def test_upload_form_shows_refusals(tiny_county, cadre, client) -> None:
    client.force_login(cadre)
    response = client.post(
        reverse("people:import_start"),
        {"unit": tiny_county["v11"].code, "mode": ImportMode.PARTIAL, "file": upload(b"abc", "a.xls")},
    )
    assert response.status_code == 400 and "旧版 Excel 97-2003" in response.content.decode()
    response = client.post(
        reverse("people:import_start"), {"unit": tiny_county["v12"].code, "file": upload(b"a", "a.csv")}
    )
    assert response.status_code == 403
    response = client.post(reverse("people:import_start"), {"unit": tiny_county["v11"].code})
    assert response.status_code == 400 and "请选择要导入的文件" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_new_rows_never_reuse_the_id_of_a_deleted_resident(tiny_county, cadre) -> None:
    household = services.household_create(
        actor=cadre, unit=tiny_county["v11"], number="900", address="九百号"
    )
    gone = services.resident_create(actor=cadre, household=household, name="已删除")
    Resident.objects.filter(pk=gone.pk).delete()
    run(cadre, tiny_county["v11"], csv_bytes([HEADER, *GOOD_ROWS]))
    assert min(Resident.objects.values_list("pk", flat=True)) > gone.pk
    # The ids allocated ahead are in the database's own counter afterwards.
    later = services.resident_create(actor=cadre, household=household, name="后来者")
    assert later.pk > max(Resident.objects.exclude(pk=later.pk).values_list("pk", flat=True))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_upload_and_live_progress_in_a_phone_browser(
    live_server, phone_page, tiny_county, make_staff
) -> None:
    """Headless Chromium at 390×844 under the CSP: upload a GBK CSV, see the result and the issue
    table; then a job that starts while its page is open turns from 排队中 to 已完成 by htmx polling."""
    from pathlib import Path

    from playwright.sync_api import expect

    make_staff(Role.VILLAGE_CADRE, tiny_county["v11"], username="cadre_ng")
    page = phone_page
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    shots = Path(__file__).resolve().parents[3] / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "cadre_ng")
    page.fill("#id_password", "Passw0rd-Test")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}{reverse('people:import_start')}")
    rows = [HEADER, *GOOD_ROWS, ["坏行", BAD_CHECKSUM, "子", "002", "", "", "", "", "", "", "", "", ""]]
    page.set_input_files(
        "#id_file",
        files=[{"name": "娜姑村.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows, encoding="gbk")}],
    )
    page.screenshot(path=str(shots / "people-import-form.png"), full_page=True)
    page.click("[data-testid=import-form] button[type=submit]")
    page.wait_for_url(re.compile(r"/people/import/\d+/$"))
    expect(page.locator("[data-testid=job-status]")).to_have_text("已完成")
    expect(page.locator("[data-testid=issues]")).to_contain_text("身份证号校验位不正确")
    expect(page.locator("[data-testid=report-link]")).to_be_visible()
    assert "GBK" in page.inner_text("[data-testid=job-message]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "people-import-result.png"), full_page=True)

    cadre = ImportJob.objects.get().created_by
    pending = importer.import_job_create(
        actor=cadre, unit=tiny_county["v11"], upload=upload(csv_bytes([HEADER, *GOOD_ROWS]), "再次.csv")
    )
    page.goto(f"{live_server.url}{reverse('people:import_detail', args=[pending.pk])}")
    expect(page.locator("[data-testid=job-status]")).to_have_text("排队中")
    importer.import_run(pending.pk)  # the worker runs while the page is open
    expect(page.locator("[data-testid=job-status]")).to_have_text("已完成", timeout=5000)
    expect(page.locator("[data-testid=job-counts]")).to_contain_text("更新居民")
    assert problems == []
