"""Pluggable SMS backends. Production points SMS_BACKEND at a gateway adapter; development prints."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SMSMessage:
    phone: str
    text: str


class SMSBackend(Protocol):
    def send(self, message: SMSMessage) -> None: ...


class ConsoleSMSBackend:
    """Writes the message to the log (development: the code shows in the runserver console)."""

    def send(self, message: SMSMessage) -> None:
        logger.warning("SMS to %s: %s", message.phone, message.text)


class MemorySMSBackend:
    """Keeps messages in memory for tests: `MemorySMSBackend.outbox`."""

    outbox: list[SMSMessage] = []

    def send(self, message: SMSMessage) -> None:
        MemorySMSBackend.outbox.append(message)


def send_sms(phone: str, text: str) -> None:
    backend: SMSBackend = import_string(settings.SMS_BACKEND)()
    backend.send(SMSMessage(phone=phone, text=text))
