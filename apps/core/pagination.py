"""The one pagination of the JSON API: `?page=` (from 1) and `?page_size=`.

Every list endpoint answers `{"items": [...], "count": N, "page": p, "page_size": s}`. A page
number or size out of range is a 400 in the platform's error shape (not ninja's 422), because the
request is well-formed but asks for something that does not exist; a value that is not a number
at all stays a 422 like every other malformed parameter.

Usage on an operation: `@router.get(..., response=list[ItemOut])` then `@paginate(PagePagination)`.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from apps.core.errors import ValidationFailed

MAX_PAGE_SIZE = 500


def default_page_size() -> int:
    # Read at request time so a deployment (or a test) can change API_PAGE_SIZE.
    return int(getattr(settings, "API_PAGE_SIZE", 50))


class PagePagination(PaginationBase):
    class Input(Schema):
        # No ge/le here: range errors are ours to report (400); the bounds are documented only.
        page: int = Field(1, description="页码，从 1 开始", json_schema_extra={"minimum": 1})
        page_size: int | None = Field(
            None,
            description=f"每页条数，默认 {getattr(settings, 'API_PAGE_SIZE', 50)}，最多 {MAX_PAGE_SIZE}",
            json_schema_extra={"minimum": 1, "maximum": MAX_PAGE_SIZE},
        )

    class Output(Schema):
        items: list[Any]
        count: int = Field(description="符合条件的总条数")
        page: int = Field(description="当前页码")
        page_size: int = Field(description="每页条数")

    items_attribute = "items"

    def paginate_queryset(
        self, queryset: QuerySet[Any] | list[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        page, page_size = self.validated(pagination.page, pagination.page_size)
        count = self._items_count(queryset)  # type: ignore[arg-type]
        pages = max(1, math.ceil(count / page_size))
        if page > pages:
            raise ValidationFailed(
                f"页码超出范围：共 {pages} 页。",
                code="page_out_of_range",
                extra={"pages": pages, "count": count},
            )
        offset = (page - 1) * page_size
        return {
            "items": queryset[offset : offset + page_size],
            "count": count,
            "page": page,
            "page_size": page_size,
        }

    @staticmethod
    def validated(page: int, page_size: int | None) -> tuple[int, int]:
        if page < 1:
            raise ValidationFailed("页码须从 1 开始。", code="page_invalid", extra={"page": page})
        size = default_page_size() if page_size is None else page_size
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ValidationFailed(
                f"每页条数须在 1–{MAX_PAGE_SIZE} 之间。", code="page_size_invalid", extra={"page_size": size}
            )
        return page, size
