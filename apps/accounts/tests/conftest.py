"""Fixtures for the accounts tests: a resident and an empty SMS outbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def outbox() -> Iterator[list[Any]]:
    from apps.core.sms import MemorySMSBackend

    MemorySMSBackend.outbox.clear()
    yield MemorySMSBackend.outbox
    MemorySMSBackend.outbox.clear()


@pytest.fixture
def resident(db: Any) -> Any:
    from apps.accounts.choices import UserKind
    from apps.accounts.models import User

    return User.objects.create_user(
        "resident1", None, full_name="王村民", phone="13800001111", kind=UserKind.RESIDENT
    )
