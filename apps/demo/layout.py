"""Synthetic demo geometry: a county laid out as a rectangle, split into townships, villages, grids.

The boundaries are NOT real: real village boundaries are not public data. They only give the demo
plausible, valid, nested polygons at a county's real position, so that maps and point lookup have
something to work on. Every split edge is rounded once and shared by both neighbours and by the
children, so children tile their parent exactly and lie within it.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from typing import Any

# Real approximate centres (lat, lng) of the counties the seed articles describe; other counties
# get a point derived from a hash of their code.
KNOWN_CENTRES: dict[str, tuple[float, float]] = {
    "530326": (26.42, 103.30),  # 会泽县
    "371603": (37.70, 118.13),  # 沾化区
    "330213": (29.66, 121.41),  # 奉化区
    "330825": (29.03, 119.17),  # 龙游县
    "331102": (28.45, 119.91),  # 莲都区
}
# A box that lies inside China's land area everywhere, for hash-derived centres.
_HASH_LAT = (24.5, 37.5)
_HASH_LNG = (104.0, 117.5)
# 会泽 is about 5,900 km²: 0.8° × 0.6° at 26° N is roughly 80 km × 67 km.
_BASE_SIZE = (0.8, 0.6)  # (lng degrees, lat degrees) for a county of _BASE_VILLAGES villages
_BASE_VILLAGES = 381
DIGITS = 6


@dataclass(frozen=True)
class Rect:
    west: float
    south: float
    east: float
    north: float

    @property
    def centre(self) -> tuple[float, float]:
        """(lat, lng) of the centre, rounded like every coordinate here."""
        return round((self.south + self.north) / 2, DIGITS), round((self.west + self.east) / 2, DIGITS)

    def geojson(self) -> dict[str, Any]:
        w, s, e, n = self.west, self.south, self.east, self.north
        return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def county_centre(code: str) -> tuple[float, float]:
    """(lat, lng): the real centre for known counties, else a stable point inside China."""
    if code in KNOWN_CENTRES:
        return KNOWN_CENTRES[code]
    digest = hashlib.sha256(code.encode()).digest()
    u = int.from_bytes(digest[:4], "big") / 2**32
    v = int.from_bytes(digest[4:8], "big") / 2**32
    return (
        round(_HASH_LAT[0] + u * (_HASH_LAT[1] - _HASH_LAT[0]), 4),
        round(_HASH_LNG[0] + v * (_HASH_LNG[1] - _HASH_LNG[0]), 4),
    )


def county_rect(code: str, villages: int) -> Rect:
    lat, lng = county_centre(code)
    scale = min(1.5, max(0.3, math.sqrt(max(villages, 1) / _BASE_VILLAGES)))
    half_w, half_h = _BASE_SIZE[0] * scale / 2, _BASE_SIZE[1] * scale / 2
    return Rect(
        round(lng - half_w, DIGITS),
        round(lat - half_h, DIGITS),
        round(lng + half_w, DIGITS),
        round(lat + half_h, DIGITS),
    )


def _cuts(start: float, end: float, weights: list[float]) -> list[float]:
    """Edges splitting [start, end] in proportion to weights; ends are kept exactly."""
    total = sum(weights)
    edges = [start]
    acc = 0.0
    for w in weights[:-1]:
        acc += w
        edges.append(round(start + (end - start) * acc / total, DIGITS))
    edges.append(end)
    return edges


def split(rect: Rect, n: int, rng: random.Random) -> list[Rect]:
    """`n` rectangles tiling `rect` in rows (north to south), each row split west to east.

    Row heights and cell widths vary by ±30% (from `rng`) so the map does not look like graph
    paper; the order of the result is stable for a given rng state."""
    if n <= 0:
        return []
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    per_row = [n // rows + (1 if i < n % rows else 0) for i in range(rows)]
    row_edges = _cuts(rect.north, rect.south, [count * rng.uniform(0.7, 1.3) for count in per_row])
    cells: list[Rect] = []
    for r, count in enumerate(per_row):
        north, south = row_edges[r], row_edges[r + 1]
        col_edges = _cuts(rect.west, rect.east, [rng.uniform(0.7, 1.3) for _ in range(count)])
        for c in range(count):
            cells.append(Rect(col_edges[c], south, col_edges[c + 1], north))
    return cells
