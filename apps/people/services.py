"""Writes to resident records. Each function checks permission through `access`, validates,
writes the audit record (masked personal data only) and a business event, in one transaction.

Concurrency: households and residents carry a `version`; an edit made from a stale form (two
gridders editing the same household) is refused with a Conflict instead of silently overwriting.
"""

from __future__ import annotations

import datetime
import decimal
import re
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F

from apps.accounts import access
from apps.accounts.choices import UserKind
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.audit.services import audit_create, audit_update, record_event, snapshot
from apps.core import crypto
from apps.core.errors import Conflict, ValidationFailed
from apps.territory.choices import Level
from apps.territory.models import Grid, Unit

from . import events, idnumber
from .choices import ColorGrade, Gender, HukouType, IncomeBand, PoliticalStatus, Relation, ResidentStatus
from .facts import clean_facts
from .models import FactDefinition, Household, PatrolVisit, Resident, SpecialGroup

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# The fixed household fields a service call may set, in form order (forms render them in this order).
HOUSEHOLD_FIELDS = (
    "number",
    "address",
    "grid",
    "hukou_type",
    "contracted_land_mu",
    "house_permit_no",
    "migrant_workers",
    "income_band",
    "color_grade",
    "is_active",
)
RESIDENT_FIELDS = {
    "name",
    "relation",
    "political_status",
    "occupation",
    "living_away",
    "away_place",
    "status",
    "notes",
    "gender",
    "birth_date",
}
PHOTO_TYPES = {b"\xff\xd8\xff": "jpeg", b"\x89PNG\r\n\x1a\n": "png", b"RIFF": "webp"}
MAX_PHOTO_BYTES = 10 * 1024 * 1024


# --- shared validation (also used by the importer) ----------------------------------------------


def _choice(value: Any, choices: Any, label: str, code: str) -> str:
    value = "" if value is None else str(value)
    if value not in choices.values:
        raise ValidationFailed(f"{label}“{value}”不是有效选项。", code=code)
    return value


def clean_household_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Validate household scalar fields in `data` (only those present). Raises ValidationFailed."""
    out: dict[str, Any] = {}
    if "number" in data:
        number = str(data["number"] or "").strip()
        if not number or len(number) > 32:
            raise ValidationFailed("户号不能为空，且不超过 32 个字符。", code="household_number")
        out["number"] = number
    if "address" in data:
        address = str(data["address"] or "").strip()
        if not address:
            raise ValidationFailed("请填写住址。", code="household_address")
        out["address"] = address[:200]
    if "hukou_type" in data:
        out["hukou_type"] = _choice(data["hukou_type"], HukouType, "户口类型", "hukou_type")
    if "income_band" in data:
        out["income_band"] = _choice(data["income_band"] or "", IncomeBand, "收入档次", "income_band")
    if "color_grade" in data:
        out["color_grade"] = _choice(data["color_grade"] or "", ColorGrade, "联户等级", "color_grade")
    if "contracted_land_mu" in data:
        raw = data["contracted_land_mu"]
        if raw in (None, ""):
            out["contracted_land_mu"] = None
        else:
            try:
                land = decimal.Decimal(str(raw)).quantize(decimal.Decimal("0.01"))
            except (decimal.InvalidOperation, ValueError) as exc:
                raise ValidationFailed(f"承包地面积“{raw}”不是数字。", code="land_not_number") from exc
            if land < 0 or land > 100000:
                raise ValidationFailed("承包地面积须在 0–100000 亩之间。", code="land_range")
            out["contracted_land_mu"] = land
    if "migrant_workers" in data:
        try:
            workers = int(data["migrant_workers"] or 0)
        except (TypeError, ValueError) as exc:
            raise ValidationFailed("外出务工人数须为整数。", code="migrant_workers") from exc
        if not 0 <= workers <= 50:
            raise ValidationFailed("外出务工人数须在 0–50 之间。", code="migrant_workers")
        out["migrant_workers"] = workers
    if "house_permit_no" in data:
        out["house_permit_no"] = str(data["house_permit_no"] or "").strip()[:40]
    if "is_active" in data:
        out["is_active"] = bool(data["is_active"])
    return out


def clean_resident_fields(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name or len(name) > 50:
            raise ValidationFailed("姓名不能为空，且不超过 50 个字符。", code="resident_name")
        out["name"] = name
    if "relation" in data:
        out["relation"] = _choice(data["relation"], Relation, "与户主关系", "relation")
    if "political_status" in data:
        out["political_status"] = _choice(
            data["political_status"], PoliticalStatus, "政治面貌", "political_status"
        )
    if "status" in data:
        out["status"] = _choice(data["status"], ResidentStatus, "状态", "resident_status")
    if "gender" in data:
        out["gender"] = _choice(data["gender"] or "", Gender, "性别", "gender") if data["gender"] else ""
    if "birth_date" in data:
        birth = data["birth_date"]
        if birth in (None, ""):
            out["birth_date"] = None
        elif isinstance(birth, datetime.date):
            out["birth_date"] = birth
        else:
            try:
                out["birth_date"] = datetime.date.fromisoformat(str(birth))
            except ValueError as exc:
                raise ValidationFailed(f"出生日期“{birth}”无效。", code="birth_date") from exc
    for key, limit in (("occupation", 40), ("away_place", 60), ("notes", 200)):
        if key in data:
            out[key] = str(data[key] or "").strip()[:limit]
    if "living_away" in data:
        out["living_away"] = bool(data["living_away"])
    return out


def personal_data_fields(*, id_number: str | None = None, phone: str | None = None) -> dict[str, Any]:
    """Encrypted/hashed columns for an ID number and a phone (None = leave as is, "" = clear).
    Also derives gender and birth date from the ID number."""
    out: dict[str, Any] = {}
    if id_number is not None:
        if id_number.strip() == "":
            out.update(id_number_enc="", id_number_hash=None, id_prefix="", id_tail="")
        else:
            try:
                info = idnumber.parse(id_number)
            except idnumber.InvalidIdNumber as err:
                raise ValidationFailed(err.message, code=err.code) from err
            out.update(
                id_number_enc=crypto.encrypt(info.number),
                id_number_hash=crypto.lookup_hash(info.number),
                id_prefix=info.number[:4],
                id_tail=info.number[-4:],
                gender=info.gender,
                birth_date=info.birth_date,
            )
    if phone is not None:
        phone = phone.strip()
        if phone == "":
            out.update(phone_enc="", phone_hash="", phone_prefix="", phone_tail="")
        else:
            if not PHONE_RE.match(phone):
                raise ValidationFailed(
                    f"手机号“{phone}”格式不正确（11 位，以 1 开头）。", code="phone_format"
                )
            out.update(
                phone_enc=crypto.encrypt(phone),
                phone_hash=crypto.lookup_hash(phone),
                phone_prefix=phone[:3],
                phone_tail=phone[-4:],
            )
    return out


def _check_unit_and_grid(unit: Unit, grid: Grid | None) -> None:
    if unit.level not in (Level.VILLAGE, Level.GROUP):
        raise ValidationFailed("户须登记在村（社区）或村民小组之下。", code="household_unit_level")
    if grid is not None and not (
        unit.code.startswith(grid.unit.code) or grid.unit.code.startswith(unit.code)
    ):
        raise ValidationFailed(f"网格“{grid.name}”不在“{unit}”范围内。", code="household_grid_outside")


def _groups(codes: list[str] | None) -> list[SpecialGroup] | None:
    if codes is None:
        return None
    wanted = sorted(set(codes))
    found = list(SpecialGroup.objects.filter(code__in=wanted, is_active=True))
    missing = sorted(set(wanted) - {g.code for g in found})
    if missing:
        raise ValidationFailed(f"未知的特殊群体：{'、'.join(missing)}。", code="special_group_unknown")
    return found


def _check_version(obj: Any, expected: int | None) -> None:
    if expected is not None and obj.version != expected:
        raise Conflict(
            "该记录已被他人修改，请刷新后重新编辑。",
            code="stale_version",
            extra={"current_version": obj.version},
        )


# --- households ------------------------------------------------------------------------------------


@transaction.atomic
def household_create(
    *,
    actor: User,
    unit: Unit,
    number: str,
    address: str,
    grid: Grid | None = None,
    facts: dict[str, Any] | None = None,
    **fields: Any,
) -> Household:
    access.require(actor, Perm.PEOPLE_EDIT, unit.code)
    unknown = set(fields) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise ValidationFailed(f"未知的字段：{', '.join(sorted(unknown))}", code="unknown_field")
    _check_unit_and_grid(unit, grid)
    cleaned = clean_household_fields({"number": number, "address": address, **fields})
    fact_values, errors = clean_facts(facts or {})
    if errors:
        raise ValidationFailed(
            errors[0].message, code="fact_invalid", extra={"facts": {e.key: e.message for e in errors}}
        )
    if Household.objects.filter(unit=unit, number=cleaned["number"]).exists():
        raise Conflict(f"“{unit}”已有户号为“{cleaned['number']}”的户。", code="duplicate_household_number")
    household = Household(unit=unit, grid=grid, facts=fact_values, updated_by=actor, **cleaned)
    try:
        with transaction.atomic():
            household.save()
    except IntegrityError as exc:
        raise Conflict(
            f"“{unit}”已有户号为“{cleaned['number']}”的户。", code="duplicate_household_number"
        ) from exc
    audit_create(actor=actor, obj=household)
    record_event(
        actor=actor, event_type=events.HOUSEHOLD_CREATED, obj=household, data={"number": household.number}
    )
    return household


@transaction.atomic
def household_update(
    *,
    actor: User,
    household: Household,
    expected_version: int | None = None,
    facts: dict[str, Any] | None = None,
    **fields: Any,
) -> Household:
    household = Household.objects.select_for_update().select_related("unit").get(pk=household.pk)
    access.require(actor, Perm.PEOPLE_EDIT, household.unit.code)
    _check_version(household, expected_version)
    unknown = set(fields) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise ValidationFailed(f"未知的字段：{', '.join(sorted(unknown))}", code="unknown_field")
    before = snapshot(household)
    grid = fields.pop("grid", household.grid)
    _check_unit_and_grid(household.unit, grid)
    cleaned = clean_household_fields(fields)
    if (
        "number" in cleaned
        and cleaned["number"] != household.number
        and Household.objects.filter(unit=household.unit, number=cleaned["number"]).exists()
    ):
        raise Conflict(f"已有户号为“{cleaned['number']}”的户。", code="duplicate_household_number")
    if facts is not None:
        fact_values, errors = clean_facts(facts, partial=True)
        if errors:
            raise ValidationFailed(
                errors[0].message, code="fact_invalid", extra={"facts": {e.key: e.message for e in errors}}
            )
        merged = {**household.facts, **fact_values}
        for key in facts:  # an emptied fact is removed
            if key not in fact_values:
                merged.pop(key, None)
        household.facts = merged
    for key, value in cleaned.items():
        setattr(household, key, value)
    household.grid = grid
    household.updated_by = actor
    household.version = F("version") + 1
    household.save()
    household.refresh_from_db()
    record = audit_update(actor=actor, obj=household, before=before)
    if record is not None:
        record_event(
            actor=actor,
            event_type=events.HOUSEHOLD_UPDATED,
            obj=household,
            data={"fields": record.changed_fields},
        )
    return household


# --- residents -------------------------------------------------------------------------------------


@transaction.atomic
def resident_create(
    *,
    actor: User,
    household: Household,
    name: str,
    id_number: str = "",
    phone: str = "",
    special_groups: list[str] | None = None,
    make_head: bool = False,
    **fields: Any,
) -> Resident:
    household = Household.objects.select_for_update().select_related("unit").get(pk=household.pk)
    access.require(actor, Perm.PEOPLE_EDIT, household.unit.code)
    unknown = set(fields) - RESIDENT_FIELDS
    if unknown:
        raise ValidationFailed(f"未知的字段：{', '.join(sorted(unknown))}", code="unknown_field")
    cleaned = clean_resident_fields({"name": name, **fields})
    pii = personal_data_fields(id_number=id_number, phone=phone)
    if pii.get("id_number_hash") and Resident.objects.filter(id_number_hash=pii["id_number_hash"]).exists():
        raise Conflict("该身份证号已登记在其他居民名下。", code="duplicate_id_number")
    groups = _groups(special_groups)
    resident = Resident(household=household, **{**cleaned, **pii})
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:
        raise Conflict("该身份证号已登记在其他居民名下。", code="duplicate_id_number") from exc
    if groups:
        resident.special_groups.set(groups)
    if make_head or cleaned.get("relation") == Relation.HEAD:
        _set_head(actor, household, resident)
    audit_create(actor=actor, obj=resident)
    record_event(
        actor=actor,
        event_type=events.RESIDENT_CREATED,
        obj=resident,
        data={"household": household.number, "groups": sorted(g.code for g in groups or [])},
    )
    return resident


def _set_head(actor: User, household: Household, resident: Resident) -> None:
    before = snapshot(household)
    household.head = resident
    household.save(update_fields=["head", "updated_at"])
    audit_update(actor=actor, obj=household, before=before, message="设定户主")


@transaction.atomic
def resident_update(
    *,
    actor: User,
    resident: Resident,
    expected_version: int | None = None,
    id_number: str | None = None,
    phone: str | None = None,
    special_groups: list[str] | None = None,
    household: Household | None = None,
    **fields: Any,
) -> Resident:
    resident = Resident.objects.select_for_update().select_related("household__unit").get(pk=resident.pk)
    access.require(actor, Perm.PEOPLE_EDIT, resident.household.unit.code)
    _check_version(resident, expected_version)
    unknown = set(fields) - RESIDENT_FIELDS
    if unknown:
        raise ValidationFailed(f"未知的字段：{', '.join(sorted(unknown))}", code="unknown_field")
    if household is not None and household.pk != resident.household_id:
        access.require(actor, Perm.PEOPLE_EDIT, household.unit.code)
    before = snapshot(resident)
    before["special_groups"] = sorted(resident.special_groups.values_list("code", flat=True))
    cleaned = clean_resident_fields(fields)
    pii = personal_data_fields(id_number=id_number, phone=phone)
    if (
        pii.get("id_number_hash")
        and Resident.objects.filter(id_number_hash=pii["id_number_hash"]).exclude(pk=resident.pk).exists()
    ):
        raise Conflict("该身份证号已登记在其他居民名下。", code="duplicate_id_number")
    groups = _groups(special_groups)
    for key, value in {**cleaned, **pii}.items():
        setattr(resident, key, value)
    if household is not None:
        resident.household = household
    resident.version = F("version") + 1
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:
        raise Conflict("该身份证号已登记在其他居民名下。", code="duplicate_id_number") from exc
    resident.refresh_from_db()
    if groups is not None:
        resident.special_groups.set(groups)
    after = snapshot(resident)
    after["special_groups"] = sorted(resident.special_groups.values_list("code", flat=True))
    from apps.audit.models import ChangeAction
    from apps.audit.services import record_change

    record = record_change(actor=actor, obj=resident, action=ChangeAction.UPDATE, before=before, after=after)
    if record is not None:
        record_event(
            actor=actor,
            event_type=events.RESIDENT_UPDATED,
            obj=resident,
            data={"fields": record.changed_fields},
        )
    if cleaned.get("relation") == Relation.HEAD and resident.household.head_id != resident.pk:
        _set_head(actor, resident.household, resident)
    return resident


@transaction.atomic
def resident_reveal(*, actor: User, resident: Resident, field: str, reason: str) -> str:
    """The full ID number or phone, for a role that needs it; the reveal and its reason are logged."""
    resident = Resident.objects.select_related("household__unit").get(pk=resident.pk)
    access.require(actor, Perm.PEOPLE_VIEW, resident.household.unit.code)
    access.require(actor, Perm.PII_REVEAL, resident.household.unit.code)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("请填写查看完整信息的事由（至少 2 个字）。", code="reveal_reason_required")
    if field == "id_number":
        value = crypto.decrypt(resident.id_number_enc)
    elif field == "phone":
        value = crypto.decrypt(resident.phone_enc)
    else:
        raise ValidationFailed(f"不能查看字段“{field}”。", code="reveal_field_unknown")
    if not value:
        raise ValidationFailed("该项未登记。", code="reveal_empty")
    record_event(
        actor=actor,
        event_type=events.PII_REVEALED,
        obj=resident,
        data={"field": field, "reason": reason[:200]},
    )
    return value


# --- patrols ---------------------------------------------------------------------------------------


def _check_photo(photo: UploadedFile | None) -> None:
    if photo is None:
        return
    if photo.size is not None and photo.size > MAX_PHOTO_BYTES:
        raise ValidationFailed("照片不能超过 10 MB。", code="photo_too_large")
    head = photo.read(12)
    photo.seek(0)
    if not any(head.startswith(magic) for magic in PHOTO_TYPES):
        raise ValidationFailed("照片须为 JPEG、PNG 或 WebP 格式。", code="photo_type")


@transaction.atomic
def patrol_record(
    *,
    actor: User,
    grid: Grid,
    place: str,
    note: str,
    household: Household | None = None,
    visited_at: datetime.datetime | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    photo: UploadedFile | None = None,
) -> PatrolVisit:
    access.require(actor, Perm.PATROL_RECORD, grid.unit.code)
    place, note = (place or "").strip(), (note or "").strip()
    if not place:
        raise ValidationFailed("请填写走访地点。", code="patrol_place")
    if not note:
        raise ValidationFailed("请填写情况记录。", code="patrol_note")
    if (latitude is None) != (longitude is None):
        raise ValidationFailed("经度和纬度须同时填写。", code="coordinates_incomplete")
    if household is not None and not household.unit.code.startswith(grid.unit.code[:12]):
        raise ValidationFailed("该户不在此网格所属村内。", code="patrol_household_outside")
    from django.utils import timezone

    if visited_at is not None and visited_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationFailed("走访时间不能晚于现在。", code="patrol_future")
    _check_photo(photo)
    visit = PatrolVisit(
        gridder=actor,
        grid=grid,
        household=household,
        place=place[:120],
        note=note[:2000],
        latitude=latitude,
        longitude=longitude,
        visited_at=visited_at or timezone.now(),
    )
    if photo is not None:
        visit.photo = photo
    visit.save()
    audit_create(actor=actor, obj=visit)
    record_event(
        actor=actor,
        event_type=events.PATROL_RECORDED,
        obj=visit,
        data={"grid": grid.code, "household": household.number if household else None},
    )
    return visit


# --- configuration -----------------------------------------------------------------------------------


@transaction.atomic
def fact_definition_save(*, actor: User, key: str, label: str, kind: str, **fields: Any) -> FactDefinition:
    access.require(actor, Perm.PEOPLE_CONFIGURE)
    if not re.match(r"^[a-z][a-z0-9_]{1,39}$", key or ""):
        raise ValidationFailed("字段键须为小写字母开头的字母、数字或下划线（2–40 位）。", code="fact_key")
    from .choices import FactKind

    if kind not in FactKind.values:
        raise ValidationFailed(f"未知的字段类型“{kind}”。", code="fact_kind")
    if kind in (FactKind.CHOICE, FactKind.MULTI_CHOICE) and not fields.get("choices"):
        raise ValidationFailed("单选/多选字段须提供选项。", code="fact_choices")
    definition = FactDefinition.objects.filter(key=key).first()
    before = snapshot(definition) if definition else None
    if definition is None:
        definition = FactDefinition(key=key)
    definition.label = label.strip()
    definition.kind = kind
    for name, value in fields.items():
        setattr(definition, name, value)
    definition.save()
    if before is None:
        audit_create(actor=actor, obj=definition)
    else:
        audit_update(actor=actor, obj=definition, before=before)
    record_event(actor=actor, event_type=events.CONFIG_CHANGED, obj=definition, data={"fact": key})
    return definition


@transaction.atomic
def special_group_save(
    *, actor: User, code: str, name: str, sensitive: bool = False, order: int = 100, color: str = "secondary"
) -> SpecialGroup:
    access.require(actor, Perm.PEOPLE_CONFIGURE)
    if not re.match(r"^[a-z][a-z0-9_]{1,31}$", code or ""):
        raise ValidationFailed("群体代码须为小写字母开头的字母、数字或下划线。", code="group_code")
    group = SpecialGroup.objects.filter(code=code).first()
    before = snapshot(group) if group else None
    group = group or SpecialGroup(code=code)
    group.name, group.sensitive, group.order, group.color = name.strip(), sensitive, order, color
    group.save()
    if before is None:
        audit_create(actor=actor, obj=group)
    else:
        audit_update(actor=actor, obj=group, before=before)
    record_event(actor=actor, event_type=events.CONFIG_CHANGED, obj=group, data={"group": code})
    return group


@transaction.atomic
def resident_link_account(*, actor: User | None, resident: Resident, account: User | None) -> Resident:
    """Tie a resident record to the resident's own login (or untie it with account=None).

    actor=None only for the demo loader and management commands (no request, no user)."""
    resident = Resident.objects.select_for_update().select_related("household__unit").get(pk=resident.pk)
    if actor is not None:
        access.require(actor, Perm.PEOPLE_EDIT, resident.household.unit.code)
    if account is not None and account.kind != UserKind.RESIDENT:
        raise ValidationFailed("只能关联居民账号。", code="not_a_resident_account")
    if account is not None and Resident.objects.filter(account=account).exclude(pk=resident.pk).exists():
        raise Conflict("该账号已关联其他居民。", code="account_already_linked")
    before = snapshot(resident)
    resident.account = account
    resident.save(update_fields=["account", "updated_at"])
    audit_update(actor=actor, obj=resident, before=before)
    return resident
