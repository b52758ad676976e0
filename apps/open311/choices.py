"""Choices of the Open311 module: the states of a submission (its token)."""

from django.db import models


class SubmissionStatus(models.TextChoices):
    # POSTed and checked; the case is made by the task worker (apps/open311/tasks.py).
    QUEUED = "queued", "排队中"
    CREATED = "created", "已创建诉求"
    FAILED = "failed", "未能创建"
