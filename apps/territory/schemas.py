"""Input and output schemas of the territory API: one input schema per write operation, output
schemas shaped for the client (codes rather than database ids, labels next to enum values)."""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Field, Schema

from .models import Grid, Organisation, Unit

# --- Units ---------------------------------------------------------------------------------------


class UnitOut(Schema):
    code: str = Field(description="区划代码（统计用区划代码的前若干位，村民小组 15 位）")
    name: str
    short_name: str
    level: int = Field(description="层级：1 省 2 市 3 县（区）4 乡镇（街道）5 村（社区）6 村民小组")
    level_label: str
    kind: str
    kind_label: str
    parent_code: str | None
    statistical_code: str = Field(description="12 位统计用区划代码")
    latitude: float | None
    longitude: float | None
    is_active: bool

    @staticmethod
    def resolve_level_label(obj: Unit) -> str:
        return str(obj.get_level_display())

    @staticmethod
    def resolve_kind_label(obj: Unit) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_parent_code(obj: Unit) -> str | None:
        return obj.parent.code if obj.parent is not None else None


class UnitChildOut(UnitOut):
    child_count: int = Field(description="下级单位数")


class UnitFilterIn(Schema):
    level: int | None = Field(None, ge=1, le=6, description="层级 1–6")
    parent: str | None = Field(None, description="上级单位代码：只列其直接下级")
    q: str = Field("", max_length=50, description="名称关键字，或区划代码前缀（全为数字时）")


class UnitCountsOut(Schema):
    townships: int
    villages: int
    groups: int
    grids: int
    gridders: int
    cadres: int
    officers: int
    staff: int


class GroupCreateIn(Schema):
    name: str = Field(min_length=1, max_length=100, description="村民小组名称，如“第一村民小组”")
    number: int | None = Field(None, description="小组编号 1–999；不填则取下一个")


# --- Grids ---------------------------------------------------------------------------------------


class GridderOut(Schema):
    username: str
    full_name: str


class GridOut(Schema):
    code: str
    name: str
    level: int = Field(description="网格层级 1–5（1 为最粗）")
    unit_code: str
    unit_name: str
    parent_code: str | None
    households_hint: int = Field(description="户数（估）")
    is_active: bool
    has_boundary: bool

    @staticmethod
    def resolve_unit_code(obj: Grid) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj: Grid) -> str:
        return str(obj.unit)

    @staticmethod
    def resolve_parent_code(obj: Grid) -> str | None:
        return obj.parent.code if obj.parent is not None else None

    @staticmethod
    def resolve_has_boundary(obj: Grid) -> bool:
        return obj.boundary is not None


class GridListOut(GridOut):
    gridder_count: int = Field(description="在岗网格员人数")


class GridDetailOut(GridOut):
    boundary: dict[str, Any] | None = Field(
        description="边界：GeoJSON Polygon 或 MultiPolygon（WGS84 经纬度）"
    )
    bbox: list[float] | None = Field(description="外包矩形 [最小经度, 最小纬度, 最大经度, 最大纬度]")
    gridders: list[GridderOut]
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_gridders(obj: Grid) -> list[Any]:
        from .selectors import grid_gridders

        return grid_gridders(obj)

    @staticmethod
    def resolve_bbox(obj: Grid) -> list[float] | None:
        if obj.min_lng is None or obj.min_lat is None or obj.max_lng is None or obj.max_lat is None:
            return None
        return [obj.min_lng, obj.min_lat, obj.max_lng, obj.max_lat]


class GridFilterIn(Schema):
    unit: str | None = Field(None, description="单位代码：列出该单位及其下级的网格")
    level: int | None = Field(None, ge=1, le=5, description="网格层级 1–5")
    q: str = Field("", max_length=50, description="名称或编码关键字")


class LocateIn(Schema):
    lat: float = Field(ge=-90, le=90, description="纬度（WGS84）")
    lng: float = Field(ge=-180, le=180, description="经度（WGS84）")


_BOUNDARY_HELP = "GeoJSON Polygon、MultiPolygon 或包含它的 Feature，坐标顺序为 [经度, 纬度]"


class GridCreateIn(Schema):
    unit_code: str = Field(description="所属单位的区划代码")
    code: str = Field(description="网格编码：字母、数字、“-”“_”，1–32 位，全县唯一")
    name: str
    level: int = Field(1, description="网格层级 1–5")
    parent_code: str | None = Field(None, description="上级网格编码")
    boundary: dict[str, Any] | None = Field(None, description=_BOUNDARY_HELP)
    households_hint: int = Field(0, ge=0, description="户数（估）")


class GridUpdateIn(Schema):
    """Only the fields sent are changed; `parent_code: null` removes the parent grid."""

    name: str | None = None
    level: int | None = None
    parent_code: str | None = Field(None, description="上级网格编码；显式传 null 表示取消上级")
    households_hint: int | None = Field(None, ge=0)
    is_active: bool | None = None


class BoundaryIn(Schema):
    boundary: dict[str, Any] | None = Field(description=f"{_BOUNDARY_HELP}；null 表示清除边界")


class GridderAssignIn(Schema):
    username: str = Field(description="要指派为网格员的工作人员用户名")


# --- Organisations -------------------------------------------------------------------------------


class OrganisationFilterIn(Schema):
    unit: str | None = Field(None, description="单位代码：列出服务区域在该单位之内的机构")


class OrganisationOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    service_area_code: str
    service_area_name: str
    phone: str
    is_active: bool

    @staticmethod
    def resolve_kind_label(obj: Organisation) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_service_area_code(obj: Organisation) -> str:
        return obj.service_area.code

    @staticmethod
    def resolve_service_area_name(obj: Organisation) -> str:
        return str(obj.service_area)
