"""Schemas every API router shares: the error shape and the error responses an operation documents.

Kept apart from `apps.core.api` so that app routers can import them without importing the API
root (which imports the routers).
"""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema


class ErrorOut(Schema):
    message: str = Field(description="给人看的中文说明")
    code: str = Field(description="给程序判断的错误代码，如 not_found、forbidden、duplicate_grid_code")
    extra: dict[str, Any] = Field(default_factory=dict, description="附加信息，如字段错误")


# Every authenticated operation can answer these.
_ALWAYS = (401, 422)


def error_responses(*codes: int) -> dict[int, type[ErrorOut]]:
    """`{status: ErrorOut}` for the OpenAPI document: 401 and 422 always, plus `codes`."""
    return dict.fromkeys(sorted({*_ALWAYS, *codes}), ErrorOut)
