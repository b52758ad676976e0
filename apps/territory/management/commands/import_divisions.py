"""`import_divisions CODE [CODE ...] [--all]`: load administrative units from the shipped national
division table (apps/territory/data/divisions). Idempotent: re-running changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.context import RequestContext, context_scope, new_request_id
from apps.core.errors import ApplicationError
from apps.territory.choices import Level
from apps.territory.importer import import_divisions


class Command(BaseCommand):
    help = "从国家统计用区划代码表导入行政单位：省、市、县（区）、乡镇（街道）代码，或 --all 全国"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="*", metavar="CODE", help="区划代码，如 530326；all 表示全国")
        parser.add_argument(
            "--all", action="store_true", dest="all_", help="导入全国全部区划（约 66 万个单位）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        codes: list[str] = options["codes"]
        if not codes and not options["all_"]:
            raise CommandError("请指定区划代码（如 530326），或使用 --all 导入全国。")
        with context_scope(RequestContext(request_id=new_request_id(), source="command")):
            try:
                result = import_divisions(codes, all_=options["all_"])
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
        self.stdout.write(f"导入范围：{', '.join(result.roots)}（用时 {result.seconds:.2f} 秒）")
        for level in Level:
            if level in result.seen:
                self.stdout.write(
                    f"  {level.label}：读取 {result.seen[level]}，新建 {result.created.get(level, 0)}，"
                    f"更新 {result.updated.get(level, 0)}"
                )
        self.stdout.write(
            self.style.SUCCESS(f"合计新建 {result.total_created}，更新 {result.total_updated}。")
        )
