"""Input and output schemas of the points API: one input schema per write, outputs with unit
codes and labels next to enum values. Holders are named by household number and head's name only
(no ID numbers or phones leave through this API)."""

from __future__ import annotations

import datetime

from ninja import Field, Schema

from .models import Account, LedgerEntry, Redemption


class AccountOut(Schema):
    id: int
    village_code: str
    village_name: str
    household_id: int | None
    household_number: str
    resident_id: int | None
    holder: str = Field(description="户主姓名加户号，或按人记分时的姓名")
    balance: int

    @staticmethod
    def resolve_village_code(obj: Account) -> str:
        return obj.village.code

    @staticmethod
    def resolve_village_name(obj: Account) -> str:
        return obj.village.display_name

    @staticmethod
    def resolve_household_number(obj: Account) -> str:
        return obj.household.number if obj.household_id else ""  # type: ignore[union-attr]

    @staticmethod
    def resolve_holder(obj: Account) -> str:
        return obj.holder_label


class AccountFilterIn(Schema):
    q: str = Field("", description="户号、姓名、手机后四位或户卡二维码（JCHH:<户id>）")
    unit: str = Field("", description="村（社区）或乡镇代码")


class EntryOut(Schema):
    id: int
    account_id: int
    kind: str = Field(description="credit、debit、redemption、reversal、expiry、conversion")
    kind_label: str
    amount: int = Field(description="余额变动（有正负）")
    nominal: int = Field(description="细则规定的分值（减分项余额不足时与 amount 不同）")
    balance_after: int
    reason: str
    at: datetime.datetime
    idempotency_key: str
    item_code: str
    item_version: int | None
    application_id: int | None
    redemption_id: int | None
    reverses_id: int | None
    cause_type: str
    cause_id: str

    @staticmethod
    def resolve_kind_label(obj: LedgerEntry) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_item_code(obj: LedgerEntry) -> str:
        return obj.item.code if obj.item_id else ""  # type: ignore[union-attr]

    @staticmethod
    def resolve_item_version(obj: LedgerEntry) -> int | None:
        return obj.item.version.number if obj.item_id else None  # type: ignore[union-attr]


class AwardIn(Schema):
    idempotency_key: str = Field(description="同一事件的唯一键；重复提交只记一次，返回第一次的记录")
    resident_id: int | None = Field(None, description="按人记分的村：户内的哪位居民")
    item_code: str = Field("", description="现行细则中的项目代码；与 amount 二选一")
    amount: int | None = Field(None, description="直接加分（正整数），须写 reason")
    reason: str = ""
    cause_type: str = Field("", description="引起加分的对象类型，如 cases.case")
    cause_id: str = ""


class GoodsOut(Schema):
    id: int
    store_id: int
    name: str
    unit_label: str
    price: int
    stock: int
    is_active: bool


class RedemptionIn(Schema):
    household_id: int | None = None
    household_number: str = Field("", description="户号（本超市服务范围内）")
    quantity: int = 1


class RedemptionOut(Schema):
    id: int
    receipt_no: str
    store_id: int
    goods_id: int
    goods_name: str
    account_id: int
    quantity: int
    unit_price: int
    points: int
    channel: str
    status: str
    status_label: str
    created_at: datetime.datetime
    balance_after: int = Field(description="兑换后账户余额")

    @staticmethod
    def resolve_goods_name(obj: Redemption) -> str:
        return obj.goods.name

    @staticmethod
    def resolve_status_label(obj: Redemption) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_balance_after(obj: Redemption) -> int:
        return obj.account.balance
