"""JSON API of the 积分制 module (mounted under /api/points/)."""

from ninja import Router

router = Router(tags=["积分制"])
