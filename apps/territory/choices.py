"""Levels and kinds of administrative units, grids and organisations."""

from django.db import models


class Level(models.IntegerChoices):
    PROVINCE = 1, "省"
    CITY = 2, "市"
    COUNTY = 3, "县（区）"
    TOWNSHIP = 4, "乡镇（街道）"
    VILLAGE = 5, "村（社区）"
    GROUP = 6, "村民小组"


# Digits each level adds to the statistical division code (2+2+2+3+3, then 3 for groups,
# which the national table does not have and the platform numbers itself).
LEVEL_CODE_LENGTH = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
    Level.GROUP: 15,
}
CODE_LENGTH_LEVEL = {length: level for level, length in LEVEL_CODE_LENGTH.items()}


class UnitKind(models.TextChoices):
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    COUNTY = "county", "县"
    DISTRICT = "district", "区"
    TOWN = "town", "镇"
    TOWNSHIP = "township", "乡"
    STREET = "street", "街道"
    VILLAGE = "village", "村"
    COMMUNITY = "community", "社区"
    GROUP = "group", "村民小组"
    OTHER = "other", "其他"


class OrgKind(models.TextChoices):
    DEPARTMENT = "department", "职能部门"
    ENFORCEMENT = "enforcement", "执法队伍"
    STATION = "station", "站所"
    SERVICE_CENTRE = "service_centre", "便民服务中心"
    COMMITTEE = "committee", "村（社区）组织"
    OTHER = "other", "其他"
