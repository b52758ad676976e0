"""`manage.py create_api_token <username> <name> [--days N]`: a bearer token for a machine client,
printed once (only its hash is stored)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.accounts import services
from apps.accounts.models import User
from apps.core.context import RequestContext, context_scope, new_request_id
from apps.core.errors import ApplicationError


class Command(BaseCommand):
    help = "为用户创建接口令牌并打印明文（只显示这一次）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="令牌所属用户的用户名")
        parser.add_argument("name", help="用途，如“12345 热线对接”")
        parser.add_argument(
            "--days", type=int, default=365, help="有效天数（1–3650），默认 365；0 表示长期有效"
        )

    def handle(self, *args: Any, username: str, name: str, days: int, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户“{username}”不存在。")
        if not user.is_active:
            raise CommandError(f"用户“{username}”已停用。")
        ctx = RequestContext(request_id=new_request_id(), source="command", path="create_api_token")
        try:
            with context_scope(ctx):
                token, plaintext = services.api_token_create(actor=user, name=name, days=days or None)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        expiry = f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "长期有效"
        self.stderr.write(
            f"已为“{user.username}”创建令牌“{token.name}”（到期：{expiry}）。明文只显示这一次："
        )
        self.stdout.write(plaintext)
