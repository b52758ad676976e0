"""Demo data of the working calendar: the holiday schedules chinese-calendar publishes (the data
migration stored them already; this puts them back on a database that lost them). Next year is
left for the county admin to enter, so the demo shows the home-page warning and the editor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.workdays import services

if TYPE_CHECKING:
    from apps.demo.loader import DemoContext


def load(ctx: DemoContext) -> dict[str, int]:
    seeded = services.calendar_seed(actor=ctx.admin)
    return {"calendar_years": len(seeded)} if seeded else {}
