"""Territory API: units, grids, point lookup."""

from ninja import Router

router = Router(tags=["区划网格"])
