"""Choices of resident records (民情档案)."""

from django.db import models


class HukouType(models.TextChoices):
    AGRICULTURAL = "agricultural", "农业户口"
    NON_AGRICULTURAL = "non_agricultural", "非农业户口"
    RESIDENT = "resident", "居民户口"
    OTHER = "other", "其他"


class IncomeBand(models.TextChoices):
    UNKNOWN = "", "未填"
    LOW = "low", "低收入（年人均 < 1 万元）"
    LOWER_MIDDLE = "lower_middle", "中低收入（1–3 万元）"
    MIDDLE = "middle", "中等收入（3–6 万元）"
    HIGH = "high", "较高收入（> 6 万元）"


class ColorGrade(models.TextChoices):
    """Need level of a household for party-member pairing (党员联户): red is the most in need."""

    NONE = "", "无"
    YELLOW = "yellow", "黄色"
    ORANGE = "orange", "橙色"
    RED = "red", "红色"


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    CHILD_IN_LAW = "child_in_law", "儿媳/女婿"
    GRANDCHILD = "grandchild", "孙子女"
    PARENT = "parent", "父母"
    GRANDPARENT = "grandparent", "祖父母"
    SIBLING = "sibling", "兄弟姐妹"
    OTHER = "other", "其他"


class PoliticalStatus(models.TextChoices):
    MASSES = "masses", "群众"
    PARTY_MEMBER = "party_member", "中共党员"
    PROBATIONARY = "probationary", "中共预备党员"
    LEAGUE_MEMBER = "league_member", "共青团员"
    DEMOCRATIC_PARTY = "democratic_party", "民主党派"


class ResidentStatus(models.TextChoices):
    ACTIVE = "active", "在册"
    MOVED_OUT = "moved_out", "已迁出"
    DECEASED = "deceased", "已故"


class FactKind(models.TextChoices):
    TEXT = "text", "文本"
    INTEGER = "integer", "整数"
    DECIMAL = "decimal", "小数"
    BOOLEAN = "boolean", "是/否"
    DATE = "date", "日期"
    CHOICE = "choice", "单选"
    MULTI_CHOICE = "multi_choice", "多选"


class ImportMode(models.TextChoices):
    PARTIAL = "partial", "导入有效行，退回错误行"
    ALL_OR_NOTHING = "all_or_nothing", "有任何错误则全部不导入"


class ImportStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "导入中"
    DONE = "done", "已完成"
    REJECTED = "rejected", "未导入（有错误）"
    FAILED = "failed", "失败"
