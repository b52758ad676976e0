"""Password policy beyond Django's validators: letters and digits both required."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


class CharacterClassValidator:
    def validate(self, password: str, user: Any = None) -> None:
        if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
            raise ValidationError("密码须同时包含字母和数字。", code="password_character_classes")

    def get_help_text(self) -> str:
        return "密码须同时包含字母和数字。"
