"""Choices of the hotline import: the states of a job and the outcome of each work order."""

from django.db import models


class ImportStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "导入中"
    DONE = "done", "已完成"
    REJECTED = "rejected", "未导入（文件有误）"
    FAILED = "failed", "失败"


FINISHED_STATUSES = (ImportStatus.DONE, ImportStatus.REJECTED, ImportStatus.FAILED)


class RowOutcome(models.TextChoices):
    CREATED = "created", "已登记"
    SKIPPED = "skipped", "已存在，跳过"
    REJECTED = "rejected", "有错误，未导入"
