"""JSON API of the 阳光票决 module (mounted under /api/voting/)."""

from ninja import Router

router = Router(tags=["阳光票决"])
