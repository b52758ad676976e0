"""Re-encrypt every stored ID number and phone with the newest key in PII_ENCRYPTION_KEYS, and
with --rehash recompute the lookup hashes after PII_HASH_KEY changed. Safe to interrupt and re-run:
each batch is its own transaction and rotating an already-rotated value is harmless."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from apps.audit.services import record_event
from apps.core import crypto
from apps.core.context import RequestContext, context_scope, new_request_id
from apps.people import events
from apps.people.models import Resident

BATCH = 2000


class Command(BaseCommand):
    help = "用最新密钥重新加密居民身份证号和手机号（--rehash 同时重算查询哈希）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rehash", action="store_true", help="PII_HASH_KEY 更换后重算查询哈希")

    def handle(self, *args: Any, **options: Any) -> None:
        crypto.reset_keys()
        rehash = options["rehash"]
        fields = ["id_number_enc", "phone_enc"] + (["id_number_hash", "phone_hash"] if rehash else [])
        done = 0
        last_pk = 0
        with context_scope(RequestContext(request_id=new_request_id(), source="command")):
            while True:
                batch = list(
                    Resident.objects.filter(pk__gt=last_pk).order_by("pk").only("pk", *fields)[:BATCH]
                )
                if not batch:
                    break
                for resident in batch:
                    if rehash:
                        id_number = crypto.decrypt(resident.id_number_enc)
                        phone = crypto.decrypt(resident.phone_enc)
                        resident.id_number_hash = crypto.lookup_hash(id_number) if id_number else None
                        resident.phone_hash = crypto.lookup_hash(phone) if phone else ""
                    resident.id_number_enc = crypto.rotate(resident.id_number_enc)
                    resident.phone_enc = crypto.rotate(resident.phone_enc)
                with transaction.atomic():
                    Resident.objects.bulk_update(batch, fields)
                done += len(batch)
                last_pk = batch[-1].pk
                self.stdout.write(f"已处理 {done} 人")
            record_event(
                actor=None, event_type=events.KEYS_ROTATED, data={"residents": done, "rehash": rehash}
            )
        self.stdout.write(self.style.SUCCESS(f"完成：{done} 名居民的个人信息已用最新密钥加密。"))
