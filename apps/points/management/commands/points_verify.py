"""`manage.py points_verify`: check every points account's cached balance against the sum of its
ledger (and its last row's running balance). Prints the mismatches and exits 1 when there are
any, so cron or monitoring can alert; a clean run prints one line and exits 0."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.points.selectors import ledger_verify


class Command(BaseCommand):
    help = "核对积分账户余额与账目合计是否一致"

    def handle(self, *args: Any, **options: Any) -> None:
        wrong = ledger_verify()
        if wrong:
            for row in wrong:
                self.stdout.write(f"账户 {row['account']}：{row}")
            raise CommandError(f"{len(wrong)} 个积分账户余额与账目不符。")
        self.stdout.write("积分账户余额与账目合计全部一致。")
