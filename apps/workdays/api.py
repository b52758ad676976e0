"""JSON API of the 工作日历 module (mounted under /api/workdays/)."""

from ninja import Router

router = Router(tags=["工作日历"])
