"""Encryption of personal data at rest (PIPL): Fernet (AES-128-CBC + HMAC-SHA256) with key rotation
through MultiFernet, and a keyed hash (HMAC-SHA256) for exact lookup without decrypting.

Keys come from the environment:
- PII_ENCRYPTION_KEYS: comma-separated Fernet keys, newest first. New values are encrypted with the
  first; any listed key decrypts. Rotation: put a new key in front, run `manage.py rotate_pii_keys`,
  then drop the old key (docs/operations.md).
- PII_HASH_KEY: secret for the lookup hashes. Changing it means `rotate_pii_keys --rehash`.
Development and tests derive both from SECRET_KEY; production refuses to start without them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _derive(label: str) -> bytes:
    return hashlib.sha256(f"{label}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = list(settings.PII_ENCRYPTION_KEYS) or [
        base64.urlsafe_b64encode(_derive("pii-encryption")).decode()
    ]
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


@lru_cache(maxsize=1)
def _hash_key() -> bytes:
    return settings.PII_HASH_KEY.encode() if settings.PII_HASH_KEY else _derive("pii-hash")


def reset_keys() -> None:
    """Forget cached keys (after settings change in tests or a rotation command)."""
    _fernet.cache_clear()
    _hash_key.cache_clear()


def encrypt(value: str) -> str:
    if value == "":
        return ""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if token == "":
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("personal data could not be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt with the newest key (no-op for empty values)."""
    return _fernet().rotate(token.encode()).decode() if token else ""


def lookup_hash(value: str) -> str:
    """Keyed hash of a normalised value for exact matching (ID number, phone)."""
    return hmac.new(_hash_key(), value.strip().upper().encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """5303**********123X: first four and last four visible."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """138****0001."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
