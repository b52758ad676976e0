"""Key rotation: values re-encrypted with the newest key stay readable and searchable."""

from __future__ import annotations

import datetime
import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from apps.accounts.choices import Role
from apps.core import crypto
from apps.people import selectors, services
from apps.people.idnumber import make
from apps.people.models import Resident

pytestmark = pytest.mark.django_db
ID = make("530326", datetime.date(1975, 5, 5), 55)


@pytest.fixture(autouse=True)
def _forget_keys():
    crypto.reset_keys()
    yield
    crypto.reset_keys()


def test_rotation_moves_every_value_to_the_new_key(tiny_county, make_staff, settings) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PII_ENCRYPTION_KEYS = [old]
    crypto.reset_keys()
    cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])
    household = services.household_create(actor=cadre, unit=tiny_county["v11"], number="9", address="九号")
    resident = services.resident_create(
        actor=cadre, household=household, name="赵六", id_number=ID, phone="13911112222"
    )
    settings.PII_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_pii_keys", stdout=io.StringIO())
    settings.PII_ENCRYPTION_KEYS = [new]  # the old key is gone
    crypto.reset_keys()
    stored = Resident.objects.get(pk=resident.pk)
    assert crypto.decrypt(stored.id_number_enc) == ID
    assert crypto.decrypt(stored.phone_enc) == "13911112222"
    assert list(selectors.resident_list(cadre, q=ID)) == [stored]


def test_rehash_after_hash_key_change(tiny_county, make_staff, settings) -> None:
    settings.PII_HASH_KEY = "first-hash-key"
    crypto.reset_keys()
    cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])
    household = services.household_create(actor=cadre, unit=tiny_county["v11"], number="9", address="九号")
    resident = services.resident_create(actor=cadre, household=household, name="赵六", id_number=ID)
    settings.PII_HASH_KEY = "second-hash-key"
    crypto.reset_keys()
    assert list(selectors.resident_list(cadre, q=ID)) == []  # stale hashes no longer match
    call_command("rotate_pii_keys", "--rehash", stdout=io.StringIO())
    assert list(selectors.resident_list(cadre, q=ID)) == [Resident.objects.get(pk=resident.pk)]
