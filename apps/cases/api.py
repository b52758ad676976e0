"""JSON API of the 诉求办理 module (mounted under /api/cases/)."""

from ninja import Router

router = Router(tags=["诉求办理"])
