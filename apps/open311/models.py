"""Data of the Open311 module: the API clients allowed to submit service requests (one key each,
bound to a county, only a hash of the secret kept) and one submission row per request a client
POSTed (its token, the client, the media link it sent, and — while the case is being made in the
task worker — what the case will be made of).

The requests themselves are cases (apps.cases.models.Case, channel "api"); the service request id
is the case's tracking code.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .choices import SubmissionStatus


class Open311Client(models.Model):
    """A system that may POST service requests for one jurisdiction (a county), e.g. a city app
    or a partner platform. Its key is `o311_<prefix>_<secret>`; the plaintext is shown once."""

    name = models.CharField("名称", max_length=60)
    prefix = models.CharField("前缀", max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    jurisdiction = models.ForeignKey(
        "territory.Unit", verbose_name="管辖区域", on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    deactivated_at = models.DateTimeField("停用时间", null=True, blank=True)

    scope_path = "jurisdiction__code"
    audit_exclude = frozenset({"key_hash", "last_used_at"})

    class Meta:
        verbose_name = "开放接口客户端"
        verbose_name_plural = "开放接口客户端"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_value(self) -> str:
        return self.jurisdiction.code


class Open311Submission(models.Model):
    """A service request a client POSTed, under the token the client may look it up by.

    With OPEN311_ASYNC (the default) the POST stores only this row, `queued`, with the checked
    request in `payload`, and the task worker makes the case (`created`, `case` set) or records
    why it could not (`failed`, `error`). Without, the case is made in the request and the row
    is `created` at once. The submitter's name and phone in `payload` (the phone encrypted as the
    case keeps it) are dropped once the row leaves the queue: the case keeps them from then on."""

    client = models.ForeignKey(Open311Client, on_delete=models.PROTECT, related_name="submissions")
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="open311_submission"
    )
    token = models.CharField("令牌", max_length=32, unique=True)
    status = models.CharField(
        "状态", max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.QUEUED
    )
    payload = models.JSONField("待创建的诉求", default=dict, blank=True)
    media_url = models.URLField("图片链接", max_length=500, blank=True)
    error_code = models.CharField("错误代码", max_length=40, blank=True)
    error = models.CharField("未能创建的原因", max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField("处理时间", null=True, blank=True)

    scope_path = "client__jurisdiction__code"
    # The payload holds the submitter's name and (encrypted) phone until the case takes them.
    audit_exclude = frozenset({"payload"})

    class Meta:
        verbose_name = "开放接口提交记录"
        verbose_name_plural = "开放接口提交记录"
        ordering = ["-created_at", "-id"]
        # The drain's and the sweep's scan: only the queued rows, a handful at any time.
        indexes = [
            models.Index(fields=["id"], name="open311_submission_queued", condition=models.Q(status="queued"))
        ]

    def __str__(self) -> str:
        return f"{self.client_id} → {self.case_id or self.token[:8]}"

    @property
    def scope_value(self) -> str:
        if self.case is not None:
            return self.case.unit.code
        return self.client.jurisdiction.code
