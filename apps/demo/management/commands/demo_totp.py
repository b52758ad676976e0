"""`demo_totp USERNAME`: print the current 6-digit code of a user's TOTP device.

A development aid for the demo admin (whose key is derived and printed by `load_demo`): it
refuses unless DEBUG is on or --force is given, since on a real server it would hand out a
second factor to whoever can run commands."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User


def current_code(device: TOTPDevice, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


class Command(BaseCommand):
    help = "显示用户动态口令设备当前的 6 位口令（仅限开发环境）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--force", action="store_true", help="DEBUG 关闭时也显示")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("这是开发辅助命令：DEBUG 关闭时不显示动态口令（确需使用请加 --force）。")
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户“{options['username']}”不存在。")
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
        if device is None:
            raise CommandError(f"用户“{user.username}”没有已确认的动态口令设备。")
        step = device.step
        left = step - int(time.time() - device.t0) % step
        self.stdout.write(current_code(device))
        self.stderr.write(f"（{left} 秒后更换）")
