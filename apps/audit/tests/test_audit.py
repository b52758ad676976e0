"""The audit trail: what a write records, append-only guards, retention, scoping."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction
from django.utils import timezone

from apps.accounts.choices import Role
from apps.audit import selectors
from apps.audit.models import AppendOnlyError, AuditRecord, ChangeAction, Event
from apps.audit.services import snapshot
from apps.core.context import RequestContext, context_scope
from apps.territory import services as territory_services

pytestmark = pytest.mark.django_db


def test_grid_update_records_before_after_actor_and_request(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    grid = tiny_county["g11"]
    with context_scope(RequestContext(request_id="req123", ip="10.1.2.3", source="web")):
        territory_services.grid_update(actor=officer, grid=grid, name="娜姑村第一网格", households_hint=120)
    record = AuditRecord.objects.get(object_id=str(grid.pk), action=ChangeAction.UPDATE)
    assert record.actor == officer
    assert record.request_id == "req123" and record.ip == "10.1.2.3"
    assert record.changed_fields == ["households_hint", "name"]
    assert record.before == {"households_hint": 0, "name": "娜姑村网格"}
    assert record.after == {"households_hint": 120, "name": "娜姑村第一网格"}
    assert record.scope_code == "530326102201"
    assert Event.objects.filter(event_type="territory.grid_updated", object_id=str(grid.pk)).count() == 1


def test_update_that_changes_nothing_writes_no_change_record(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    territory_services.grid_update(actor=officer, grid=tiny_county["g11"], name="娜姑村网格")
    assert not AuditRecord.objects.filter(action=ChangeAction.UPDATE).exists()


def test_snapshot_leaves_out_secrets(make_staff) -> None:
    user = make_staff(None)
    assert "password" not in snapshot(user)
    assert "username" in snapshot(user)


def test_records_cannot_be_changed_or_deleted_through_the_app(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    territory_services.grid_update(actor=officer, grid=tiny_county["g11"], name="新名称")
    record = AuditRecord.objects.first()
    assert record is not None
    record.message = "tampered"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(pk=record.pk).update(message="tampered")
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.get(pk=record.pk).message == ""


def test_database_refuses_update_even_with_raw_sql(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    territory_services.grid_update(actor=officer, grid=tiny_county["g11"], name="新名称")
    with (
        pytest.raises((IntegrityError, InternalError, ProgrammingError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditrecord SET message = 'x'")


@pytest.mark.postgres
def test_postgres_refuses_delete_within_retention(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    territory_services.grid_update(actor=officer, grid=tiny_county["g11"], name="新名称")
    with (
        pytest.raises((InternalError, ProgrammingError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditrecord")
    assert AuditRecord.objects.count() == 1


def test_retention_sweep_removes_only_rows_past_the_period(tiny_county, make_staff, settings) -> None:
    from apps.core.sweeps import run_sweeps

    settings.AUDIT_RETENTION_DAYS = 200
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    old = timezone.now() - datetime.timedelta(days=201)
    AuditRecord(at=old, action=ChangeAction.CREATE, object_repr="旧记录").save()
    Event(at=old, event_type="territory.grid_created", object_repr="旧事件").save()
    territory_services.grid_update(actor=officer, grid=tiny_county["g11"], name="新名称")
    [(_, summary)] = run_sweeps(["audit_retention"])
    assert "删除 2 条" in summary
    assert AuditRecord.objects.count() == 1
    assert AuditRecord.objects.get().object_repr == "新名称"


def test_search_is_scoped_to_the_auditors_territory(tiny_county, make_staff) -> None:
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    territory_services.grid_update(actor=admin, grid=tiny_county["g11"], name="娜姑改名")
    territory_services.grid_update(actor=admin, grid=tiny_county["g21"], name="迤车改名")
    auditor_t1 = make_staff(Role.AUDITOR, tiny_county["t1"])
    county_auditor = make_staff(Role.AUDITOR, tiny_county["county"])
    assert {r.object_repr for r in selectors.audit_search(user=auditor_t1)} == {"娜姑改名"}
    assert {r.object_repr for r in selectors.audit_search(user=county_auditor)} == {"娜姑改名", "迤车改名"}
    assert list(selectors.audit_search(user=county_auditor, actor_id=auditor_t1.pk)) == []
    today = timezone.localdate()
    assert (
        selectors.audit_search(user=county_auditor, date_from=today, content_type="territory.grid").count()
        == 2
    )
    gridder = make_staff(Role.GRIDDER, grid=tiny_county["g11"])
    assert selectors.audit_search(user=gridder).count() == 0


def test_history_interleaves_changes_and_events(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    person = make_staff(None)
    territory_services.grid_update(actor=officer, grid=tiny_county["g11"], name="一号")
    territory_services.grid_assign_gridder(actor=officer, grid=tiny_county["g11"], user=person)
    entries = selectors.object_history(user=officer, obj=tiny_county["g11"])
    kinds = [(e.kind, getattr(e.item, "event_type", getattr(e.item, "action", ""))) for e in entries]
    assert ("event", "territory.gridder_assigned") in kinds
    assert ("change", "update") in kinds
    assert ("event", "territory.grid_updated") in kinds
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
