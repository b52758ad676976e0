"""Choices of the 积分制 module: rule directions, application states, ledger kinds, store and
time-bank states. The state machines themselves live in `transitions.py`."""

from django.db import models


class AccountBasis(models.TextChoices):
    HOUSEHOLD = "household", "按户记分"
    PERSON = "person", "按人记分"


class Direction(models.TextChoices):
    CREDIT = "credit", "加分项"
    DEBIT = "debit", "减分项"


class LimitPeriod(models.TextChoices):
    MONTH = "month", "每月"
    QUARTER = "quarter", "每季度"
    YEAR = "year", "每年"


class Evidence(models.TextChoices):
    NONE = "none", "无需材料"
    NOTE = "note", "文字说明"
    PHOTO = "photo", "照片"
    PHOTO_NOTE = "photo_note", "照片和文字说明"


class Applicant(models.TextChoices):
    """Who may apply for an item (the rulebook says so per item)."""

    RESIDENT = "resident", "居民本人"
    GRIDDER = "gridder", "网格员"
    CADRE = "cadre", "村干部/积分管理员"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", "待审核"
    APPROVED = "approved", "待复核"
    GRANTED = "granted", "已入账"
    REJECTED = "rejected", "已驳回"
    APPEALED = "appealed", "申诉中"
    WITHDRAWN = "withdrawn", "已撤回"


class EntryKind(models.TextChoices):
    CREDIT = "credit", "加分"
    DEBIT = "debit", "扣分"
    REDEMPTION = "redemption", "兑换"
    REVERSAL = "reversal", "冲正"
    EXPIRY = "expiry", "过期清零"
    CONVERSION = "conversion", "时长折算"


class RedemptionChannel(models.TextChoices):
    COUNTER = "counter", "柜台兑换"
    PREORDER = "preorder", "手机预约"


class RedemptionStatus(models.TextChoices):
    RESERVED = "reserved", "待领取"
    COMPLETED = "completed", "已领取"
    CANCELLED = "cancelled", "已取消"


class StockKind(models.TextChoices):
    OPENING = "opening", "上架"
    RESTOCK = "restock", "补货"
    REDEMPTION = "redemption", "兑换出库"
    CANCEL = "cancel", "取消退回"
    STOCKTAKE = "stocktake", "盘点调整"


class ActivityStatus(models.TextChoices):
    OPEN = "open", "报名中"
    CLOSED = "closed", "已结束"


class HourKind(models.TextChoices):
    EARNED = "earned", "志愿服务"
    SERVICE_RECEIVED = "service_received", "接受服务"
    SERVICE_GIVEN = "service_given", "提供服务"
    CONVERTED = "converted", "折算积分"
    TRANSFER_OUT = "transfer_out", "转给家人"
    TRANSFER_IN = "transfer_in", "家人转入"
