"""The audit trail: object changes (before/after) and typed business events. Append-only.

The application cannot update or delete a row (save/delete/queryset guards below); PostgreSQL
refuses it too (trigger in migration 0002), except deleting rows past the retention period,
which only the `audit_purge` command does.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class AppendOnlyError(RuntimeError):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("审计记录只能追加，不能修改。")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("审计记录只能追加，不能删除。")

    def purge_before(self, cutoff: Any) -> int:
        """Remove rows older than `cutoff` (retention). Bypasses the guard on purpose."""
        qs = self.filter(at__lt=cutoff)
        return qs._raw_delete(qs.db)


class AppendOnlyModel(models.Model):
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField("操作人", max_length=80, blank=True)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    # Unit code of the object at the time of the write: scopes the log like everything else.
    scope_code = models.CharField(max_length=15, blank=True, db_index=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    ip = models.CharField(max_length=45, blank=True)
    source = models.CharField(max_length=10, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    scope_path = "scope_code"

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("审计记录只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("审计记录只能追加，不能删除。")


class ChangeAction(models.TextChoices):
    CREATE = "create", "新建"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"


class AuditRecord(AppendOnlyModel):
    """One write to one object: who, when, what changed, from which request."""

    action = models.CharField("动作", max_length=10, choices=ChangeAction.choices)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    changed_fields = models.JSONField("变更字段", default=list, blank=True)
    message = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "变更记录"
        verbose_name_plural = "变更记录"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "at"], name="audit_object"),
            models.Index(fields=["actor", "at"], name="audit_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.get_action_display()} {self.object_repr}"


class Event(AppendOnlyModel):
    """A typed business event (grid created, gridder assigned, case dispatched…)."""

    event_type = models.CharField("事件", max_length=64, db_index=True)
    data = models.JSONField("内容", default=dict, blank=True)

    class Meta:
        verbose_name = "业务事件"
        verbose_name_plural = "业务事件"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="event_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.event_type} {self.object_repr}"

    @property
    def label(self) -> str:
        from .events import label_of

        return label_of(self.event_type)
