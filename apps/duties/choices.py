"""Kinds of responsibility lists and the level words a list may name instead of a department."""

from __future__ import annotations

from django.db import models

from apps.territory.choices import Level


class ListKind(models.TextChoices):
    DUTY = "duty", "职责任务清单"
    TERRITORIAL = "territorial", "属地责任清单"
    ADMISSION = "admission", "村级工作准入清单"


class BodyLevel(models.IntegerChoices):
    """A territorial body named by its level: resolved, per place, to the place's own township or
    village (the same numbers as territory.Level, so `Unit.level` compares directly)."""

    TOWNSHIP = Level.TOWNSHIP, "乡镇（街道）"
    VILLAGE = Level.VILLAGE, "村（社区）"


# The words spreadsheets use for the territorial bodies, compared after brackets are made
# full-width (see importer.normalise).
TOWNSHIP_WORDS = (
    "乡镇",
    "乡镇（街道）",
    "乡镇街道",
    "乡镇人民政府",
    "乡镇政府",
    "乡（镇）",
    "镇",
    "乡",
    "街道",
    "街道办事处",
    "镇（街道）",
)
VILLAGE_WORDS = (
    "村",
    "村（社区）",
    "村社区",
    "社区",
    "村委会",
    "村民委员会",
    "居委会",
    "村（居）委会",
    "村（社区）两委",
    "村两委",
)
LEVEL_WORDS: dict[str, BodyLevel] = dict.fromkeys(TOWNSHIP_WORDS, BodyLevel.TOWNSHIP) | dict.fromkeys(
    VILLAGE_WORDS, BodyLevel.VILLAGE
)
