"""JSON API of the 责任清单 module (mounted under /api/duties/)."""

from ninja import Router

router = Router(tags=["责任清单"])
