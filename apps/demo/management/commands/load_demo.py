"""`load_demo [--county 530326]`: load the demo county with synthetic grids, departments, staff and
resident records (households and residents in every village), then print the counts and the demo
logins. Idempotent: re-running creates nothing and prints the logins again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.context import RequestContext, context_scope, new_request_id
from apps.core.errors import ApplicationError
from apps.demo.loader import DEFAULT_COUNTY, format_logins, load_demo


class Command(BaseCommand):
    help = "加载演示数据：导入一个县的真实区划，生成示意网格、部门和各角色演示账号（可重复运行）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--county", default=DEFAULT_COUNTY, help="县（区）代码，默认 530326 会泽县")
        parser.add_argument(
            "--lite",
            action="store_true",
            help="只为演示乡镇及少数乡镇生成网格、只为演示乡镇生成居民档案（供测试用，更快）",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="在 DEBUG 关闭时也加载（演示账号的密码是公开的，切勿用于生产库）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG 已关闭，这可能是生产环境：演示账号的密码和动态口令密钥是公开的。确需加载请加 --force。"
            )
        county = str(options["county"]).strip()
        if not (county.isdigit() and len(county) == 6):
            raise CommandError(f"县（区）代码须为 6 位数字，收到“{county}”。")
        with context_scope(RequestContext(request_id=new_request_id(), source="command")):
            try:
                result = load_demo(county_code=county, lite=options["lite"])
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
        c = result.counts
        self.stdout.write(
            f"{result.county.name}（{result.county.code}）：{c['townships']} 个乡镇（街道），"
            f"{c['villages']} 个村（社区），{c['grids']} 个网格，{c['organisations']} 个机构，"
            f"{c['users']} 名工作人员。用时 {result.seconds:.1f} 秒。"
        )
        self.stdout.write(
            f"居民档案：{c['households']} 户，{c['residents']} 人（演示数据，虚构人员）；"
            f"其中本次新建 {result.created['households']} 户、{result.created['residents']} 人，"
            f"用时 {c['people_seconds']} 秒。"
        )
        created = "，".join(f"{k} {v}" for k, v in sorted(result.created.items()) if v)
        self.stdout.write(f"本次新建：{created}" if created else "本次没有新建任何对象（演示数据已存在）。")
        self.stdout.write("")
        self.stdout.write("演示账号：")
        for line in format_logins(result):
            self.stdout.write("  " + line)
        self.stdout.write("")
        self.stdout.write(f"admin 的动态口令密钥（base32，可录入验证器应用）：{result.totp_secret}")
        self.stdout.write("查看当前 6 位动态口令：.venv/bin/python manage.py demo_totp admin")
        self.stdout.write("居民可用手机号 13800000001 获取短信验证码登录（开发环境验证码打印在控制台）。")
