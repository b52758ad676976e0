"""Scheduled job of the Open311 module (run by `manage.py sweep`): queued service requests left
behind are queued again."""

from __future__ import annotations

import datetime

from django.utils import timezone

from apps.core.sweeps import register

from .choices import SubmissionStatus
from .models import Open311Submission

STALE = datetime.timedelta(minutes=5)


@register("open311_queue", "补做排队过久的开放接口诉求")
def requeue_stale() -> str:
    """A drain normally makes a queued request's case within seconds. One still queued after
    STALE was left behind (a worker stopped mid-drain, app and worker clocks far apart): a new
    drain takes it. No worker running at all shows here too, as the same rows every time."""
    from . import tasks

    cutoff = timezone.now() - STALE
    stale = Open311Submission.objects.filter(status=SubmissionStatus.QUEUED, created_at__lt=cutoff).count()
    if stale:
        tasks.create_cases.enqueue()
    return f"{stale} 条开放接口诉求排队超过 {int(STALE.total_seconds() // 60)} 分钟，已重新排队"
