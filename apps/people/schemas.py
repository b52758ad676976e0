"""Input and output schemas of the resident-records API: one input schema per write operation,
output schemas shaped for the client (unit and grid by code, labels next to enum values).

Personal data leaves only masked (`id_number_masked`, `phone_masked`, built from the stored
prefix and tail, never by decrypting); the full value only through the logged reveal operation.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from ninja import Field, Schema

from apps.accounts import access
from apps.accounts.permissions import Perm

from .models import FactDefinition, Household, PatrolVisit, Resident, SpecialGroup


def _user(context: Any) -> Any:
    request = (context or {}).get("request")
    return getattr(request, "auth", None) or getattr(request, "user", None)


# --- Configuration ---------------------------------------------------------------------------------


class SpecialGroupOut(Schema):
    code: str
    name: str
    sensitive: bool = Field(description="敏感群体：只有具备相应权限的角色可见")
    color: str
    order: int
    is_active: bool


class FactDefinitionOut(Schema):
    key: str = Field(description="写入 facts 时使用的键")
    label: str
    kind: str = Field(description="text、integer、decimal、boolean、date、choice、multi_choice")
    kind_label: str
    choices: list[str] = Field(description="单选/多选的可选项")
    unit_label: str
    min_value: decimal.Decimal | None
    max_value: decimal.Decimal | None
    required: bool
    section: str
    order: int
    help_text: str

    @staticmethod
    def resolve_kind_label(obj: FactDefinition) -> str:
        return str(obj.get_kind_display())


class GroupTagOut(Schema):
    code: str
    name: str
    sensitive: bool


# --- Residents -------------------------------------------------------------------------------------


class ResidentOut(Schema):
    id: int
    household_id: int
    household_number: str
    address: str
    unit_code: str = Field(description="户所属村（社区）或村民小组的区划代码")
    unit_name: str
    name: str
    gender: str
    gender_label: str
    birth_date: datetime.date | None
    age: int | None
    is_minor: bool
    id_number_masked: str = Field(description="身份证号（脱敏，如 5303**********123X）")
    phone_masked: str = Field(description="手机号（脱敏，如 138****0001）")
    relation: str
    relation_label: str
    political_status: str
    political_status_label: str
    occupation: str
    living_away: bool
    away_place: str
    status: str
    status_label: str
    notes: str
    special_groups: list[GroupTagOut]
    can_reveal: bool = Field(description="调用者能否查看完整身份证号/手机号（须说明事由，留痕）")
    version: int = Field(description="修改时作为 expected_version 传回，防止覆盖他人的修改")
    updated_at: datetime.datetime

    @staticmethod
    def resolve_household_number(obj: Resident) -> str:
        return obj.household.number

    @staticmethod
    def resolve_address(obj: Resident) -> str:
        return obj.household.address

    @staticmethod
    def resolve_unit_code(obj: Resident) -> str:
        return obj.household.unit.code

    @staticmethod
    def resolve_unit_name(obj: Resident) -> str:
        return str(obj.household.unit)

    @staticmethod
    def resolve_gender_label(obj: Resident) -> str:
        return str(obj.get_gender_display()) if obj.gender else ""

    @staticmethod
    def resolve_relation_label(obj: Resident) -> str:
        return str(obj.get_relation_display())

    @staticmethod
    def resolve_political_status_label(obj: Resident) -> str:
        return str(obj.get_political_status_display())

    @staticmethod
    def resolve_status_label(obj: Resident) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_special_groups(obj: Resident) -> list[SpecialGroup]:
        # Prefetched by the endpoints (ordered there); a visible resident's tags are all visible
        # to the caller: a sensitive tag hides the whole row from a role without that access.
        return list(obj.special_groups.all())

    @staticmethod
    def resolve_can_reveal(obj: Resident, context: Any) -> bool:
        return access.has_perm(_user(context), Perm.PII_REVEAL, obj.household.unit.code)


class ResidentFilterIn(Schema):
    unit: str | None = Field(None, description="单位代码：列出该单位及其下级的居民")
    grid: str | None = Field(None, description="网格编码")
    q: str = Field("", max_length=50, description="姓名或住址关键字；完整身份证号、手机号；身份证/手机后四位")
    group: str | None = Field(None, description="特殊群体代码，如 dibao、liushou_child")
    minors: bool | None = Field(None, description="true 只列未成年人，false 只列成年人")
    status: str = Field("active", description="active 在册（默认）、moved_out、deceased；空字符串表示全部")


class _ResidentFields(Schema):
    relation: str | None = Field(None, description="与户主关系：head、spouse、child …")
    political_status: str | None = Field(None, description="masses、party_member …")
    occupation: str | None = Field(None, max_length=40)
    living_away: bool | None = None
    away_place: str | None = Field(None, max_length=60)
    status: str | None = Field(None, description="active、moved_out、deceased")
    notes: str | None = Field(None, max_length=200)
    gender: str | None = Field(None, description="male、female；有身份证号时由号码决定")
    birth_date: datetime.date | None = Field(None, description="有身份证号时由号码决定")
    special_groups: list[str] | None = Field(None, description="特殊群体代码列表（整体替换）")


class ResidentCreateIn(_ResidentFields):
    name: str = Field(max_length=50)
    id_number: str = Field("", description="18 位身份证号（校验位、出生日期、地区码都会核对）")
    phone: str = Field("", description="11 位手机号")
    make_head: bool = Field(False, description="设为户主")


class ResidentUpdateIn(_ResidentFields):
    """Only the fields sent are changed. `id_number`/`phone`: "" clears, absent keeps."""

    name: str | None = Field(None, max_length=50)
    id_number: str | None = None
    phone: str | None = None
    household_id: int | None = Field(None, description="迁入另一户（须在可编辑范围内）")
    expected_version: int | None = Field(None, description="读取时的 version；已被他人修改时返回 409")


class RevealIn(Schema):
    field: str = Field(description="id_number 或 phone")
    reason: str = Field("", max_length=200, description="查看事由（必填，至少 2 个字，记入日志）")


class RevealOut(Schema):
    field: str
    value: str


# --- Households ------------------------------------------------------------------------------------


class HouseholdOut(Schema):
    id: int
    number: str = Field(description="户号，在所属村（组）内唯一")
    address: str
    unit_code: str
    unit_name: str
    grid_code: str | None
    grid_name: str | None
    hukou_type: str
    hukou_type_label: str
    color_grade: str = Field(description="联户等级：''、yellow、orange、red")
    color_grade_label: str
    income_band: str
    contracted_land_mu: decimal.Decimal | None
    house_permit_no: str
    migrant_workers: int
    head_id: int | None = Field(description="户主；调用者无权查看户主（未成年人、敏感群体）时为空")
    head_name: str | None
    is_active: bool
    version: int = Field(description="修改时作为 expected_version 传回，防止覆盖他人的修改")
    updated_at: datetime.datetime

    @staticmethod
    def resolve_unit_code(obj: Household) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj: Household) -> str:
        return str(obj.unit)

    @staticmethod
    def resolve_grid_code(obj: Household) -> str | None:
        return obj.grid.code if obj.grid is not None else None

    @staticmethod
    def resolve_grid_name(obj: Household) -> str | None:
        return obj.grid.name if obj.grid is not None else None

    @staticmethod
    def resolve_hukou_type_label(obj: Household) -> str:
        return str(obj.get_hukou_type_display())

    @staticmethod
    def resolve_color_grade_label(obj: Household) -> str:
        return str(obj.get_color_grade_display())

    @staticmethod
    def resolve_head_id(obj: Household) -> int | None:
        return obj.head_id if getattr(obj, "head_visible", False) else None

    @staticmethod
    def resolve_head_name(obj: Household) -> str | None:
        return obj.head.name if getattr(obj, "head_visible", False) and obj.head is not None else None


class HouseholdListOut(HouseholdOut):
    member_count: int = Field(description="在册成员数")


class HouseholdDetailOut(HouseholdOut):
    facts: dict[str, Any] = Field(description="档案字段（键见 GET /people/facts）")
    members: list[ResidentOut] = Field(description="调用者可见的成员")
    hidden_members: int = Field(description="因权限未列出的在册成员数（未成年人、敏感群体）")
    created_at: datetime.datetime

    # Both set by the endpoint from selectors.household_members (never the unfiltered relation).
    @staticmethod
    def resolve_members(obj: Household) -> list[Resident]:
        return list(getattr(obj, "visible_members", []))

    @staticmethod
    def resolve_hidden_members(obj: Household) -> int:
        return int(getattr(obj, "hidden_member_count", 0))


class HouseholdFilterIn(Schema):
    unit: str | None = Field(None, description="单位代码：列出该单位及其下级的户")
    grid: str | None = Field(None, description="网格编码")
    q: str = Field("", max_length=50, description="户号、住址或成员姓名等")
    color_grade: str | None = Field(None, description="联户等级 yellow、orange、red")


class _HouseholdFields(Schema):
    grid_code: str | None = Field(None, description="所属网格编码")
    hukou_type: str | None = Field(None, description="agricultural、non_agricultural、resident、other")
    contracted_land_mu: decimal.Decimal | None = Field(None, description="承包地（亩）")
    house_permit_no: str | None = Field(None, max_length=40)
    migrant_workers: int | None = Field(None, description="外出务工人数 0–50")
    income_band: str | None = None
    color_grade: str | None = None
    facts: dict[str, Any] | None = Field(None, description="档案字段，键见 GET /people/facts")


class HouseholdCreateIn(_HouseholdFields):
    unit_code: str = Field(description="所属村（社区）或村民小组的区划代码")
    number: str = Field(description="户号")
    address: str


class HouseholdUpdateIn(_HouseholdFields):
    """Only the fields sent are changed; `grid_code: null` takes the household out of its grid;
    a fact sent as null or "" is removed."""

    number: str | None = None
    address: str | None = None
    is_active: bool | None = None
    expected_version: int | None = Field(None, description="读取时的 version；已被他人修改时返回 409")


# --- Patrols ---------------------------------------------------------------------------------------


class PatrolOut(Schema):
    id: int
    grid_code: str
    grid_name: str
    gridder: str = Field(description="登记人用户名")
    gridder_name: str
    household_id: int | None
    household_number: str | None
    visited_at: datetime.datetime
    place: str
    latitude: float | None
    longitude: float | None
    note: str
    has_photo: bool

    @staticmethod
    def resolve_grid_code(obj: PatrolVisit) -> str:
        return obj.grid.code

    @staticmethod
    def resolve_grid_name(obj: PatrolVisit) -> str:
        return obj.grid.name

    @staticmethod
    def resolve_gridder(obj: PatrolVisit) -> str:
        return obj.gridder.username

    @staticmethod
    def resolve_gridder_name(obj: PatrolVisit) -> str:
        return str(getattr(obj.gridder, "display_name", "") or obj.gridder.get_username())

    @staticmethod
    def resolve_household_number(obj: PatrolVisit) -> str | None:
        return obj.household.number if obj.household is not None else None

    @staticmethod
    def resolve_has_photo(obj: PatrolVisit) -> bool:
        return bool(obj.photo)


class PatrolFilterIn(Schema):
    grid: str | None = Field(None, description="网格编码")
    mine: bool = Field(False, description="只列调用者自己登记的")


class PatrolIn(Schema):
    grid_code: str
    place: str = Field(max_length=120)
    note: str = Field(max_length=2000)
    household_id: int | None = None
    visited_at: datetime.datetime | None = Field(None, description="走访时间，默认现在")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
