"""Store the holiday schedules of the installed chinese-calendar for the years not yet entered.

The data migration does this once; run it again after upgrading the package to pick up a newly
published year. Idempotent: years already present (seeded, or entered by an admin) are untouched.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.core.context import RequestContext, context_scope, new_request_id
from apps.workdays import seeding, services


class Command(BaseCommand):
    help = "从 chinese-calendar 导入尚未录入年份的节假日与调休安排（已有年份不变）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("years", nargs="*", type=int, help="只导入这些年份（默认：包内全部年份）")

    def handle(self, *args: Any, **options: Any) -> None:
        years = options["years"] or None
        with context_scope(RequestContext(request_id=new_request_id(), source="command")):
            seeded = services.calendar_seed(actor=None, years=years)
        covered = seeding.covered_years()
        self.stdout.write(
            f"chinese-calendar {seeding.package_version()} 覆盖 {covered[0]}–{covered[-1]} 年；"
            + (
                f"新导入 {len(seeded)} 年：{', '.join(map(str, seeded))}。"
                if seeded
                else "没有需要导入的年份。"
            )
        )
