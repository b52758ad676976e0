"""Finding the place of a request inside a jurisdiction: by coordinates (the grid containing the
point) or by names (a township or village named in an address, or given in columns as the 12345
hotline's export does). Read-only; shared by the Open311 endpoint and the hotline import.

Names are matched against the townships and villages of the jurisdiction (full name and short
name, e.g. "娜姑村委会" and "娜姑村"). The name index is built once per process and rebuilt when the
units of the jurisdiction change (one aggregate query, at most every RECHECK_SECONDS, tells).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

from django.db.models import Count, Max, QuerySet

from apps.territory import geo
from apps.territory.choices import Level
from apps.territory.models import Grid, Unit
from apps.territory.paths import subtree_q

# Suffixes people leave off a village or township name when they write an address.
_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "街道办事处", "街道", "办事处")
_SPACES = re.compile(r"[\s\u3000]+")


def normalise(text: str) -> str:
    return _SPACES.sub("", text or "")


def _names(unit_name: str, short_name: str) -> set[str]:
    names = {normalise(unit_name), normalise(short_name)}
    for name in list(names):
        for suffix in _SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                stem = name[: -len(suffix)]
                names.add(stem)
                # "娜姑村委会" is written "娜姑村" as often as "娜姑".
                if suffix in ("村民委员会", "村委会"):
                    names.add(stem + "村")
    return {n for n in names if len(n) >= 2}


# The index is trusted for this long before one aggregate query checks the units are unchanged:
# a renamed or added village is found at most half a minute late, and a busy API endpoint does not
# pay a query per request for names that change a few times a year.
RECHECK_SECONDS = 30.0


@dataclass
class _Index:
    version: tuple[int, str]
    checked_at: float = 0.0
    # name -> [(code, level)]
    by_name: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    names_longest_first: list[str] = field(default_factory=list)
    units: dict[str, Unit] = field(default_factory=dict)  # code -> the unit (read-only use)


_indexes: dict[str, _Index] = {}
_lock = threading.Lock()


def _units(jurisdiction: Unit) -> QuerySet[Unit]:
    return Unit.objects.filter(
        subtree_q(jurisdiction.code), level__in=(Level.TOWNSHIP, Level.VILLAGE), is_active=True
    )


def _version(jurisdiction: Unit) -> tuple[int, str]:
    agg = _units(jurisdiction).aggregate(n=Count("id"), at=Max("updated_at"))
    return int(agg["n"] or 0), str(agg["at"] or "")


def _index(jurisdiction: Unit) -> _Index:
    now = time.monotonic()
    with _lock:
        index = _indexes.get(jurisdiction.code)
    if index is not None and now - index.checked_at < RECHECK_SECONDS:
        return index
    version = _version(jurisdiction)
    if index is not None and index.version == version:
        index.checked_at = now
        return index
    index = _Index(version=version, checked_at=now)
    for unit in _units(jurisdiction):
        index.units[unit.code] = unit
        for n in _names(unit.name, unit.short_name):
            index.by_name.setdefault(n, []).append((unit.code, unit.level))
    index.names_longest_first = sorted(index.by_name, key=len, reverse=True)
    with _lock:
        _indexes[jurisdiction.code] = index
    return index


def forget() -> None:
    """Drop the cached name indexes (tests; after a bulk rename)."""
    with _lock:
        _indexes.clear()


class PlaceNotFound(Exception):
    """No township or village of the jurisdiction could be told from the input (message in Chinese)."""


def _pick(candidates: set[str], township_code: str | None, what: str) -> str:
    if township_code:
        candidates = {c for c in candidates if c.startswith(township_code)}
    if len(candidates) == 1:
        return next(iter(candidates))
    if not candidates:
        raise PlaceNotFound(f"{what}不在所填乡镇（街道）内。")
    raise PlaceNotFound(f"{what}有重名，请同时写明所属乡镇（街道）。")


def unit_by_names(jurisdiction: Unit, *, township: str = "", village: str = "") -> Unit:
    """The village (or township, when no village is named) with these names in the jurisdiction."""
    index = _index(jurisdiction)
    township, village = normalise(township), normalise(village)
    township_code: str | None = None
    if township:
        towns = {c for c, level in index.by_name.get(township, []) if level == Level.TOWNSHIP}
        if not towns:
            raise PlaceNotFound(f"乡镇（街道）“{township}”不在{jurisdiction.display_name}。")
        township_code = _pick(towns, None, f"乡镇（街道）“{township}”")
    if village:
        villages = {c for c, level in index.by_name.get(village, []) if level == Level.VILLAGE}
        if not villages:
            raise PlaceNotFound(f"村（社区）“{village}”不在{jurisdiction.display_name}。")
        code = _pick(villages, township_code, f"村（社区）“{village}”")
    elif township_code:
        code = township_code
    else:
        raise PlaceNotFound("未填写所属乡镇（街道）或村（社区）。")
    return index.units[code]


def unit_in_text(jurisdiction: Unit, text: str) -> Unit:
    """The village (else township) whose name appears in a free-text address. Longer names are
    matched first and take their characters out of the text, so "娜姑镇白雾村" finds the township
    娜姑镇 and the village 白雾村, and not also a village called "娜姑"."""
    index = _index(jurisdiction)
    rest = normalise(text)
    if not rest:
        raise PlaceNotFound("请提供地址或经纬度。")
    towns: set[str] = set()
    villages: set[str] = set()
    for name in index.names_longest_first:
        if name in rest:
            for code, level in index.by_name[name]:
                (villages if level == Level.VILLAGE else towns).add(code)
            rest = rest.replace(name, "\x00")
    if villages:
        inside = {c for c in villages if any(c.startswith(t) for t in towns)}
        villages = inside or villages
        if len(villages) == 1:
            return index.units[next(iter(villages))]
        raise PlaceNotFound("地址中的村（社区）名称有重名或有多个，请写明所属乡镇（街道）和一个村（社区）。")
    if len(towns) == 1:
        return index.units[next(iter(towns))]
    if towns:
        raise PlaceNotFound("地址中出现了多个乡镇（街道），请写明具体的村（社区）。")
    raise PlaceNotFound(f"无法从地址中确定{jurisdiction.display_name}的乡镇（街道）或村（社区）。")


def grid_at(jurisdiction: Unit, *, latitude: float, longitude: float) -> Grid | None:
    """The finest active grid of the jurisdiction containing the point, or None."""
    ids = geo.candidate_grid_ids(longitude, latitude)
    if not ids:
        return None
    return (
        Grid.objects.filter(pk__in=ids, is_active=True)
        .filter(subtree_q(jurisdiction.code, "unit__code"))
        .select_related("unit")
        .order_by("-level", "code")
        .first()
    )


def in_china(latitude: float, longitude: float) -> bool:
    return (
        geo.LAT_RANGE[0] <= latitude <= geo.LAT_RANGE[1] and geo.LNG_RANGE[0] <= longitude <= geo.LNG_RANGE[1]
    )
