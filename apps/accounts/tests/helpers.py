"""Helpers for the accounts tests."""

from __future__ import annotations

from typing import Any


def totp_code(device: Any) -> str:
    """The code the admin's authenticator app would show now."""
    from django_otp.oath import TOTP

    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
