"""Data of the Open311 module: the API clients allowed to submit service requests (one key each,
bound to a county, only a hash of the secret kept) and one submission row per request a client
created (its token, the client, the media link it sent).

The requests themselves are cases (apps.cases.models.Case, channel "api"); the service request id
is the case's tracking code.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


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
    """A service request a client POSTed: the case it became, the token the client may look it up
    by, and the media link it sent (kept here, never fetched)."""

    client = models.ForeignKey(Open311Client, on_delete=models.PROTECT, related_name="submissions")
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="open311_submission")
    token = models.CharField("令牌", max_length=32, unique=True)
    media_url = models.URLField("图片链接", max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    scope_path = "case__unit__code"

    class Meta:
        verbose_name = "开放接口提交记录"
        verbose_name_plural = "开放接口提交记录"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.client_id} → {self.case_id}"

    @property
    def scope_value(self) -> str:
        return self.case.unit.code
