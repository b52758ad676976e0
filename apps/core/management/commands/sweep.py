"""Run the scheduled sweeps. A systemd timer or cron calls this every 10 minutes
(docs/operations.md); `--enqueue` hands the run to the task worker instead."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.context import RequestContext, context_scope, new_request_id
from apps.core.sweeps import all_sweeps, run_sweeps


class Command(BaseCommand):
    help = "运行定时清扫任务（审计保留期、过期验证码、会话、后台任务记录……）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", nargs="+", metavar="NAME", help="只运行这些任务")
        parser.add_argument("--list", action="store_true", help="列出全部任务")
        parser.add_argument("--enqueue", action="store_true", help="交给后台任务队列执行")

    def handle(self, *args: Any, **options: Any) -> None:
        sweeps = all_sweeps()
        if options["list"]:
            for name, sweep in sorted(sweeps.items()):
                self.stdout.write(f"{name}\t{sweep.label}")
            return
        names = options["only"]
        unknown = sorted(set(names or []) - set(sweeps))
        if unknown:
            raise CommandError(f"未知的清扫任务：{', '.join(unknown)}（用 --list 查看）")
        if options["enqueue"]:
            from apps.core.tasks import run_sweeps_task

            result = run_sweeps_task.enqueue(names)
            self.stdout.write(f"已加入后台队列：{result.id}")
            return
        with context_scope(RequestContext(request_id=new_request_id(), source="command")):
            for name, summary in run_sweeps(names):
                self.stdout.write(f"{name}: {summary}")
