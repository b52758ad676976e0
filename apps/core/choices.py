"""Choices with a colour, in the NetBox manner: value, label and a badge colour for the UI."""

from __future__ import annotations

from django.db import models


class ColoredChoices(models.TextChoices):
    """TextChoices whose members may carry a colour: declare `COLORS = {value: "green"}` below."""

    @classmethod
    def color_of(cls, value: str) -> str:
        colors: dict[str, str] = getattr(cls, "_colors", {})
        return colors.get(value, "secondary")
