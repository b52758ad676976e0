"""Scheduled housekeeping ("sweeps"): a registry of jobs a timer runs through `manage.py sweep`.

Each module registers its own jobs here (later: SLA warnings for cases, vote deadlines…). A job
takes no arguments, is idempotent and returns a short Chinese summary line for the log.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    name: str
    label: str
    run: Callable[[], str]


_SWEEPS: dict[str, Sweep] = {}


def register(name: str, label: str) -> Callable[[Callable[[], str]], Callable[[], str]]:
    def decorator(func: Callable[[], str]) -> Callable[[], str]:
        _SWEEPS[name] = Sweep(name=name, label=label, run=func)
        return func

    return decorator


def all_sweeps() -> dict[str, Sweep]:
    return dict(_SWEEPS)


def run_sweeps(names: list[str] | None = None) -> list[tuple[str, str]]:
    """Run the named sweeps (all when None). One failing job is logged and does not stop the rest."""
    results: list[tuple[str, str]] = []
    for name, sweep in sorted(_SWEEPS.items()):
        if names and name not in names:
            continue
        try:
            results.append((name, sweep.run()))
        except Exception as exc:  # keep going: one broken job must not starve the others
            logger.exception("sweep %s failed", name)
            results.append((name, f"失败：{exc}"))
    return results


@register("audit_retention", "清理超过保留期的审计记录")
def purge_audit() -> str:
    from apps.audit.models import AuditRecord, Event

    keep_days = settings.AUDIT_RETENTION_DAYS
    cutoff = timezone.now() - datetime.timedelta(days=keep_days)
    n = AuditRecord.objects.purge_before(cutoff) + Event.objects.purge_before(cutoff)
    return f"删除 {n} 条早于 {keep_days} 天的审计记录"


@register("phone_codes", "清理过期的短信验证码")
def purge_phone_codes() -> str:
    from apps.accounts.models import PhoneLoginCode

    cutoff = timezone.now() - datetime.timedelta(days=1)
    n, _ = PhoneLoginCode.objects.filter(expires_at__lt=cutoff).delete()
    return f"删除 {n} 条过期验证码"


@register("sessions", "清理过期会话")
def purge_sessions() -> str:
    from django.contrib.sessions.models import Session

    n, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return f"删除 {n} 个过期会话"


@register("task_results", "清理 30 天前完成的后台任务记录")
def purge_task_results() -> str:
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - datetime.timedelta(days=30)
    n, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return f"删除 {n} 条后台任务记录"
