"""Input and output schemas of the 责任清单 API: lists, items, routing advice, publishing."""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Field, Schema

from .choices import ListKind
from .models import ListItem, ResponsibilityList
from .routing import Body


class ListOut(Schema):
    id: int
    kind: str = Field(description="duty 职责任务清单 / territorial 属地责任清单 / admission 村级工作准入清单")
    kind_label: str
    unit_code: str = Field(description="发布单位区划代码（县或乡镇）")
    unit_name: str
    title: str
    version: int
    is_current: bool = Field(description="现行版本；历史版本只读")
    published_at: datetime.datetime
    withdrawn_at: datetime.datetime | None
    item_count: int
    source_filename: str

    @staticmethod
    def resolve_kind_label(obj: ResponsibilityList) -> str:
        return ListKind(obj.kind).label

    @staticmethod
    def resolve_unit_code(obj: ResponsibilityList) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj: ResponsibilityList) -> str:
        return obj.unit.name


class ItemOut(Schema):
    id: int
    number: int
    domain: str
    matter: str
    primary_label: str = Field(description="（主体）责任单位，按清单原文")
    primary_organisation_id: int | None = Field(description="责任单位为部门时的机构 id")
    primary_level: int | None = Field(description="责任单位为层级时：4 乡镇（街道），5 村（社区）")
    supporting_label: str = Field(description="配合责任单位，按清单原文")
    supporting_organisation_ids: list[int]
    supporting_levels: list[int]
    post: str
    person: str
    basis: str
    categories: list[str] = Field(description="对应诉求类别代码")

    @staticmethod
    def resolve_primary_organisation_id(obj: ListItem) -> int | None:
        return obj.primary_org_id

    @staticmethod
    def resolve_supporting_organisation_ids(obj: ListItem) -> list[int]:
        return [o.pk for o in obj.supporting_orgs.all()]

    @staticmethod
    def resolve_categories(obj: ListItem) -> list[str]:
        return [c.code for c in obj.categories.all()]


class ItemFilterIn(Schema):
    q: str = Field("", max_length=40, description="搜索事项、单位、岗位、依据、类别或序号")
    domain: str = Field("", max_length=60)


class ListFilterIn(Schema):
    kind: str = Field("", description="清单类型")
    unit: str = Field("", description="发布单位区划代码")
    include_history: bool = Field(False, description="含历史版本")


class BodyOut(Schema):
    label: str
    organisation_id: int | None
    unit_code: str | None


def body_out(body: Body | None) -> dict[str, Any] | None:
    if body is None:
        return None
    return {
        "label": body.label,
        "organisation_id": body.organisation.pk if body.organisation is not None else None,
        "unit_code": body.unit.code if body.unit is not None else None,
    }


class SuggestionOut(Schema):
    primary: BodyOut | None = Field(description="主体责任单位；无法确定时为 null")
    supporting: list[BodyOut]
    basis: str
    item_id: int | None
    kind: str


class AdmissionOut(Schema):
    applies: bool = Field(description="事发地为村（社区）或村民小组时才检查准入")
    allowed: bool
    message: str
    list_id: int | None
    item_id: int | None


class RouteOut(Schema):
    category: str
    unit: str
    suggestion: SuggestionOut | None
    admission: AdmissionOut


class RowIn(Schema):
    number: int = Field(description="序号")
    domain: str = ""
    matter: str
    primary: str = Field("", description="（主体）责任单位：机构名称或“乡镇”“村”")
    supporting: str = Field("", description="配合责任单位，多个用“、”分隔")
    post: str = ""
    person: str = ""
    categories: str = Field("", description="诉求类别代码或名称，多个用“、”分隔")
    basis: str = ""


class PublishIn(Schema):
    kind: str
    unit_code: str
    title: str = ""
    rows: list[RowIn] = Field(max_length=3000)


class WithdrawIn(Schema):
    reason: str = Field(max_length=200)
