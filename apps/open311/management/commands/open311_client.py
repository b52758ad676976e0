"""Issue, list and stop Open311 API keys from the shell (the page is /open311/clients/).

manage.py open311_client --create "市民服务应用" --county 530326   # prints the key once
manage.py open311_client --list
manage.py open311_client --deactivate <prefix>
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.context import RequestContext, context_scope, new_request_id
from apps.core.errors import ApplicationError
from apps.territory.models import Unit

from ...models import Open311Client
from ...services import open311_client_create, open311_client_deactivate


class Command(BaseCommand):
    help = "新建、列出或停用 Open311 开放接口客户端（api_key 明文只打印一次）。"

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--create", metavar="NAME", help="新客户端的名称")
        action.add_argument("--list", action="store_true", help="列出所有客户端")
        action.add_argument("--deactivate", metavar="PREFIX", help="停用该前缀的客户端")
        parser.add_argument("--county", help="管辖县（区）的区划代码，如 530326（--create 时必填）")

    def handle(self, *args: Any, **options: Any) -> None:
        with context_scope(
            RequestContext(request_id=new_request_id(), source="command", path="open311_client")
        ):
            if options["list"]:
                self._list()
            elif options["deactivate"]:
                self._deactivate(options["deactivate"])
            else:
                self._create(options["create"], options.get("county") or "")

    def _create(self, name: str, county_code: str) -> None:
        if not county_code:
            raise CommandError("请用 --county 指定管辖县（区）的区划代码。")
        county = Unit.objects.filter(code=county_code).first()
        if county is None:
            raise CommandError(f"区划代码 {county_code} 不存在（先运行 import_divisions）。")
        try:
            client, plaintext = open311_client_create(actor=None, name=name, jurisdiction=county)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"客户端“{client.name}”（{county.display_name}）已创建。api_key（只显示这一次）：")
        self.stdout.write(plaintext)

    def _list(self) -> None:
        for client in Open311Client.objects.select_related("jurisdiction").order_by("created_at"):
            state = "有效" if client.is_active else "已停用"
            used = client.last_used_at.isoformat(timespec="minutes") if client.last_used_at else "—"
            self.stdout.write(f"{client.prefix}\t{state}\t{client.jurisdiction.code}\t{used}\t{client.name}")

    def _deactivate(self, prefix: str) -> None:
        client = Open311Client.objects.filter(prefix=prefix.strip()).first()
        if client is None:
            raise CommandError(f"没有前缀为 {prefix} 的客户端。")
        try:
            open311_client_deactivate(actor=None, client=client)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"客户端“{client.name}”已停用。")
