"""Exports of the filtered household and resident lists: masked by default, full values only with
PII_REVEAL and a reason (logged), rows exactly as the selectors give them, facts as columns, and
an export that goes back in through the import without changing anything."""

from __future__ import annotations

import datetime
import io
from typing import Any

import openpyxl
import pytest
from django.urls import reverse

from apps.accounts.choices import Role
from apps.accounts.permissions import ROLE_PERMS, Perm
from apps.audit.models import Event
from apps.core.errors import PermissionDenied, ValidationFailed
from apps.people import events, exporter, importer, services
from apps.people.choices import ImportStatus
from apps.people.idnumber import make
from apps.people.models import Resident

pytestmark = pytest.mark.django_db

ADULT_ID = make("530326", datetime.date(1968, 3, 9), 131)
WIFE_ID = make("530326", datetime.date(1971, 4, 2), 242)
CHILD_ID = make("530326", datetime.date(2016, 7, 1), 351)
WATCHED_ID = make("530326", datetime.date(1980, 1, 5), 473)


@pytest.fixture
def cadre(tiny_county, make_staff):
    return make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])


@pytest.fixture
def records(tiny_county, cadre, make_staff):
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    household = services.household_create(
        actor=cadre,
        unit=tiny_county["v11"],
        number="001",
        address="娜姑村一组 12 号",
        grid=tiny_county["g11"],
        color_grade="yellow",
        contracted_land_mu="3.5",
        facts={"house_storeys": "2", "crops": "玉米,烤烟", "house_dangerous": "否"},
    )
    head = services.resident_create(
        actor=cadre,
        household=household,
        name="张建国",
        id_number=ADULT_ID,
        phone="13812345678",
        relation="head",
        political_status="party_member",
        special_groups=["dibao"],
    )
    services.resident_create(
        actor=cadre, household=household, name="李秀英", id_number=WIFE_ID, relation="spouse"
    )
    services.resident_create(
        actor=cadre, household=household, name="张小明", id_number=CHILD_ID, relation="child"
    )
    services.resident_create(
        actor=officer,
        household=household,
        name="王某",
        id_number=WATCHED_ID,
        relation="other",
        special_groups=["key_person"],
    )
    other = services.household_create(actor=officer, unit=tiny_county["v12"], number="777", address="白雾村")
    services.resident_create(
        actor=officer, household=other, name="外村人", id_number=make("530326", datetime.date(1990, 1, 1), 11)
    )
    return {"household": household, "head": head, "officer": officer}


def sheet_rows(file: exporter.ExportFile | Any) -> list[tuple[Any, ...]]:
    data = file.file.read() if isinstance(file, exporter.ExportFile) else b"".join(file.streaming_content)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return list(workbook.worksheets[0].iter_rows(values_only=True))


def as_dicts(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def test_resident_export_is_masked_and_has_the_visible_rows_only(records, cadre) -> None:
    file = exporter.export_residents(actor=cadre, unit_code="530326102201")
    rows = as_dicts(sheet_rows(file))
    # The cadre sees minors but not the sensitive group (重点人员), nor the other village.
    assert [r["姓名"] for r in rows] == ["张建国", "李秀英", "张小明"]
    head = rows[0]
    assert head["身份证号"] == ADULT_ID[:4] + "*" * 10 + ADULT_ID[-4:]
    assert head["联系电话"] == "138****5678"
    assert ADULT_ID not in str(rows) and "13812345678" not in str(rows)
    assert (
        head["村（社区）"] == "娜姑村"
        and head["乡镇（街道）"] == "娜姑镇"
        and head["区划代码"] == "530326102201"
    )
    assert head["与户主关系"] == "户主" and head["政治面貌"] == "中共党员" and head["特殊群体"] == "低保户"
    assert head["联户等级"] == "黄色" and head["承包地面积（亩）"] == 3.5 and head["网格编码"] == "NG-01-01"
    assert head["房屋层数（层）"] == 2 and head["主要种植作物"] == "玉米、烤烟" and head["是否危房"] == "否"
    assert file.rows == 3 and "_完整" not in file.filename
    exported = Event.objects.get(event_type=events.EXPORTED)
    assert (
        exported.data["rows"] == 3
        and exported.data["full"] is False
        and exported.scope_code == "530326102201"
    )
    assert not Event.objects.filter(event_type=events.PII_REVEALED).exists()


def test_full_export_needs_reveal_permission_and_a_reason_and_is_logged(
    records, cadre, make_staff, tiny_county, monkeypatch
) -> None:
    with pytest.raises(ValidationFailed) as err:
        exporter.export_residents(actor=cadre, unit_code="530326102201", full=True, reason=" ")
    assert err.value.code == "reveal_reason_required"
    file = exporter.export_residents(actor=cadre, unit_code="530326102201", full=True, reason="低保年审核对")
    rows = as_dicts(sheet_rows(file))
    assert rows[0]["身份证号"] == ADULT_ID and rows[0]["联系电话"] == "13812345678"
    assert file.filename.endswith("_完整.xlsx")
    revealed = Event.objects.get(event_type=events.PII_REVEALED)
    assert revealed.data == {
        "field": "id_number,phone",
        "export": "residents",
        "count": 3,
        "reason": "低保年审核对",
    }
    assert Event.objects.get(event_type=events.EXPORTED).data["full"] is True
    # A user whose reveal scope is narrower than the export scope cannot export full values.
    monkeypatch.setitem(
        ROLE_PERMS, Role.TOWNSHIP_OFFICER, ROLE_PERMS[Role.TOWNSHIP_OFFICER] - {Perm.PII_REVEAL}
    )
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    with pytest.raises(PermissionDenied):
        exporter.export_residents(actor=officer, full=True, reason="核对")
    masked = exporter.export_residents(actor=officer)
    assert masked.rows == 5  # both villages of the township, the sensitive person included


def test_export_permission_and_scope(records, make_staff, tiny_county) -> None:
    gridder = make_staff(Role.GRIDDER, grid=tiny_county["g11"])
    with pytest.raises(PermissionDenied):
        exporter.export_residents(actor=gridder, unit_code="530326102201")
    other = make_staff(Role.VILLAGE_CADRE, tiny_county["v21"])
    with pytest.raises(PermissionDenied):
        exporter.export_residents(actor=other, unit_code="530326102201")
    assert exporter.export_residents(actor=other).rows == 0


def test_minors_are_absent_for_a_role_without_the_minors_permission(records, cadre, monkeypatch) -> None:
    monkeypatch.setitem(
        ROLE_PERMS, Role.VILLAGE_CADRE, ROLE_PERMS[Role.VILLAGE_CADRE] - {Perm.PEOPLE_VIEW_MINORS}
    )
    rows = as_dicts(sheet_rows(exporter.export_residents(actor=cadre, unit_code="530326102201")))
    assert [r["姓名"] for r in rows] == ["张建国", "李秀英"]
    assert exporter.export_residents(actor=cadre, minors=True).rows == 0


def test_filters_are_those_of_the_list(records, cadre) -> None:
    assert exporter.export_residents(actor=cadre, group="dibao").rows == 1
    assert exporter.export_residents(actor=cadre, minors=True).rows == 1
    assert exporter.export_residents(actor=cadre, q="李秀英").rows == 1
    assert exporter.export_residents(actor=cadre, grid_code="YC-01-01").rows == 0


def test_household_export(records, cadre) -> None:
    rows = as_dicts(sheet_rows(exporter.export_households(actor=cadre, unit_code="530326102201")))
    assert len(rows) == 1
    row = rows[0]
    assert row["户号"] == "001" and row["户主"] == "张建国" and row["在册人数"] == 4
    assert row["住址"] == "娜姑村一组 12 号" and row["房屋层数（层）"] == 2
    assert "身份证号" not in row
    assert Event.objects.get(event_type=events.EXPORTED).data["kind"] == "households"


def test_export_views(records, cadre, client, make_staff, tiny_county) -> None:
    client.force_login(cadre)
    response = client.get(reverse("people:export_residents"), {"unit": "530326102201"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in response["Cache-Control"]
    assert len(sheet_rows(response)) == 4
    # Full values: a form asks for the reason first, and keeps the filters.
    page = client.get(reverse("people:export_residents"), {"unit": "530326102201", "full": "1"})
    assert page.status_code == 200 and 'name="unit" value="530326102201"' in page.content.decode()
    short = client.get(
        reverse("people:export_residents"), {"unit": "530326102201", "full": "1", "reason": "x"}
    )
    assert short.status_code == 400 and "至少 2 个字" in short.content.decode()
    full = client.get(
        reverse("people:export_residents"), {"unit": "530326102201", "full": "1", "reason": "核对身份"}
    )
    assert as_dicts(sheet_rows(full))[0]["身份证号"] == ADULT_ID
    assert client.get(reverse("people:export_households")).status_code == 200
    gridder = make_staff(Role.GRIDDER, grid=tiny_county["g11"])
    client.force_login(gridder)
    assert client.get(reverse("people:export_residents")).status_code == 403
    assert client.get(reverse("people:export_residents"), {"full": "1"}).status_code == 403


def test_an_export_imports_back_without_changes(records, cadre) -> None:
    file = exporter.export_residents(actor=cadre, unit_code="530326102201")
    versions = dict(Resident.objects.values_list("pk", "version"))
    job = importer.import_job_create(
        actor=cadre, unit=records["household"].unit, upload=_upload(file.file.read(), "导出.xlsx")
    )
    job = importer.import_run(job.pk)
    assert job.status == ImportStatus.DONE, job.message
    assert (job.residents_created, job.residents_updated, job.rejected_rows) == (0, 0, 0), job.message
    assert dict(Resident.objects.values_list("pk", "version")) == versions
    # The full export too (it matches on the ID numbers).
    file = exporter.export_residents(actor=cadre, unit_code="530326102201", full=True, reason="核对身份")
    job = importer.import_job_create(
        actor=cadre, unit=records["household"].unit, upload=_upload(file.file.read(), "完整.xlsx")
    )
    job = importer.import_run(job.pk)
    assert (job.residents_created, job.residents_updated, job.rejected_rows) == (0, 0, 0), job.message
    assert Resident.objects.get(name="王某").special_groups.get().code == "key_person"  # kept, though unseen


def _upload(data: bytes, name: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)
