"""Importing administrative units from the national division table shipped in `data/divisions/`.

`import_divisions(["530326"])` creates or updates 会泽县 with its ancestors (云南省, 曲靖市), its 25
townships and 381 villages; `import_divisions([], all_=True)` loads the whole country (31 provinces
down to 620k villages). The import is an idempotent upsert keyed by code: a second run changes
nothing, a unit whose official name changed gets the new name (and a new short name).

No audit record is written per unit. A bulk import of hundreds of thousands of rows would double
the database with before/after copies of public data that anyone can re-derive: the trail is the
single `territory.units_imported` event (who, when, which roots, how many created/updated) plus the
versioned source table in the repository, from which every imported value follows deterministically.
Edits made afterwards by people (a rename, a villager group) go through `services` and are audited.
"""

from __future__ import annotations

import csv
import gzip
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.audit.services import record_event
from apps.core.errors import PermissionDenied, ValidationFailed

from . import events
from .choices import CODE_LENGTH_LEVEL, Level, UnitKind
from .models import Unit
from .paths import minimal_prefixes, subtree_q

DATA_DIR = Path(__file__).resolve().parent / "data" / "divisions"
BATCH_SIZE = 5000
ROOT_CODE_LENGTHS = (2, 4, 6, 9)

# (suffix, replacement) for the committee names of villages and communities, longest first so
# that "社区居民委员会" wins over "居民委员会". The bare "xx村"/"xx社区" forms stay as they are.
_COMMITTEE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居民委员会", "社区"),
    ("居民委会", "社区"),
    ("居委会", "社区"),
    ("村民委员会", "村"),
    ("村民委会", "村"),
    ("村委会", "村"),
    ("村委员会", "村"),
    ("嘎查委员会", "嘎查"),
    ("嘎查委会", "嘎查"),
)


@dataclass
class ImportResult:
    roots: list[str]
    created: dict[int, int] = field(default_factory=dict)  # level → rows created
    updated: dict[int, int] = field(default_factory=dict)  # level → rows whose values changed
    seen: dict[int, int] = field(default_factory=dict)  # level → rows read from the table
    seconds: float = 0.0

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    @property
    def total_updated(self) -> int:
        return sum(self.updated.values())

    @property
    def total_seen(self) -> int:
        return sum(self.seen.values())

    def as_data(self) -> dict[str, Any]:
        return {
            "roots": self.roots,
            "created": {str(k): v for k, v in sorted(self.created.items())},
            "updated": {str(k): v for k, v in sorted(self.updated.items())},
            "seen": {str(k): v for k, v in sorted(self.seen.items())},
            "total_created": self.total_created,
            "total_updated": self.total_updated,
        }


# --- Names -----------------------------------------------------------------------------------------


def short_name_for(name: str, level: int) -> str:
    """The everyday name: "青云村村民委员会" → "青云村", "堂琅社区居民委员会" → "堂琅社区"."""
    if level != Level.VILLAGE:
        return name
    for suffix, replacement in _COMMITTEE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            return stem if stem.endswith(replacement) else stem + replacement
    return name


def kind_for(name: str, level: int) -> str:
    """The unit kind from the official name's suffix (the table has no kind column)."""
    if level == Level.PROVINCE:
        return UnitKind.PROVINCE
    if level == Level.CITY:
        return UnitKind.CITY
    if level == Level.COUNTY:
        if name.endswith("区"):
            return UnitKind.DISTRICT
        # 县, 自治县, 旗 and county-level cities (市) are all county-level governments.
        if name.endswith(("县", "旗", "市")):
            return UnitKind.COUNTY
        return UnitKind.OTHER
    if level == Level.TOWNSHIP:
        if name.endswith("镇"):
            return UnitKind.TOWN
        if name.endswith(("乡", "苏木")):
            return UnitKind.TOWNSHIP
        if name.endswith(("街道", "办事处", "街道办事处")):
            return UnitKind.STREET
        return UnitKind.OTHER  # 农场, 林场, 开发区 and similar
    if level == Level.VILLAGE:
        if "社区" in name or name.endswith(("居委会", "居民委员会", "居民委会")):
            return UnitKind.COMMUNITY
        if name.endswith(("村民委员会", "村委会", "村民委会", "村委员会", "村")) or "嘎查" in name:
            return UnitKind.VILLAGE
        return UnitKind.OTHER  # 生活区, 管理区 and similar
    return UnitKind.OTHER


# --- Reading the table -------------------------------------------------------------------------------


def _read_small(path: Path) -> dict[str, str]:
    """code → name of a small plain CSV (provinces, cities, areas)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["code"]: row["name"] for row in csv.DictReader(fh)}


def _stream_gz(path: Path, prefixes: tuple[str, ...] | None) -> Iterator[tuple[str, str]]:
    """(code, name) of a large gzipped CSV, skipping rows outside `prefixes` (None: every row).

    The file is read in 1 MiB blocks and filtered as bytes before any CSV parsing: a block that
    holds no line starting with a wanted prefix is dropped with one substring search, so for one
    county 99.9% of the 620k village lines are never split or parsed."""
    wanted = tuple(p.encode() for p in prefixes) if prefixes is not None else None
    needles = tuple(b"\n" + p for p in wanted) if wanted is not None else None

    def rows(block: bytes) -> Iterator[tuple[str, str]]:
        lines = [
            line.decode("utf-8")
            for line in block.split(b"\n")
            if line and (wanted is None or line.startswith(wanted))
        ]
        for row in csv.reader(lines):
            yield row[0], row[1]

    with gzip.open(path, "rb") as fh:
        fh.readline()  # header
        tail = b"\n"  # every line start is then preceded by a newline, the first one too
        while block := fh.read(1 << 20):
            block = tail + block
            cut = block.rfind(b"\n")
            block, tail = block[:cut], block[cut:]
            if needles is not None and not any(needle in block for needle in needles):
                continue
            yield from rows(block)
        yield from rows(tail)


def _check_roots(codes: Iterable[str]) -> list[str]:
    roots: list[str] = []
    for raw in codes:
        code = str(raw).strip()
        if not code:
            continue
        if not code.isdigit() or len(code) not in ROOT_CODE_LENGTHS:
            raise ValidationFailed(
                f"未知的区划代码 {code}：须为 2 位（省）、4 位（市）、6 位（县）或 9 位（乡镇街道）数字。",
                code="unknown_division_code",
                extra={"code": code},
            )
        roots.append(code)
    return roots


def _unknown(code: str) -> ValidationFailed:
    return ValidationFailed(
        f"未知的区划代码 {code}：国家统计用区划代码表中没有该单位。",
        code="unknown_division_code",
        extra={"code": code},
    )


# --- Writing ---------------------------------------------------------------------------------------


class _LevelWriter:
    """Upserts one level's rows in batches; the parents' ids come from the previous level."""

    def __init__(self, level: int, parent_ids: dict[str, int], result: ImportResult) -> None:
        self.level = level
        self.parent_ids = parent_ids
        self.result = result
        self.parent_len = {2: 0, 4: 2, 6: 4, 9: 6, 12: 9}[len_of(level)]
        self.now = timezone.now()

    def write(self, rows: Iterable[tuple[str, str]]) -> None:
        batch: list[tuple[str, str]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH_SIZE:
                self._flush(batch)
                batch = []
        if batch:
            self._flush(batch)

    def _flush(self, batch: list[tuple[str, str]]) -> None:
        batch.sort()
        # One range scan over the batch's codes: the table is in code order, so a batch is a
        # contiguous slice and the range holds little besides it.
        # Tuples, not model instances: on a re-run nearly every row is unchanged, and building
        # 620k instances only to compare them would be most of the work.
        existing = {
            row[0]: row[1:]
            for row in Unit.objects.filter(
                level=self.level, code__gte=batch[0][0], code__lte=batch[-1][0]
            ).values_list("code", "id", "name", "short_name", "kind", "parent_id")
        }
        to_create: list[Unit] = []
        to_update: list[Unit] = []
        for code, name in batch:
            parent_id = self.parent_ids[code[: self.parent_len]] if self.parent_len else None
            kind = kind_for(name, self.level)
            current = existing.get(code)
            if current is None:
                to_create.append(
                    Unit(
                        code=code,
                        name=name,
                        short_name=short_name_for(name, self.level),
                        level=self.level,
                        kind=kind,
                        parent_id=parent_id,
                    )
                )
                continue
            pk, old_name, short_name, old_kind, old_parent_id = current
            if old_name == name and old_kind == kind and old_parent_id == parent_id:
                continue
            if old_name != name:
                # The official name changed: the short name follows it. Otherwise a short name
                # someone edited by hand is left alone.
                short_name = short_name_for(name, self.level)
            to_update.append(
                Unit(
                    pk=pk,
                    code=code,
                    name=name,
                    short_name=short_name,
                    kind=kind,
                    parent_id=parent_id,
                    updated_at=self.now,
                )
            )
        if to_create:
            Unit.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        if to_update:
            Unit.objects.bulk_update(
                to_update, ["name", "short_name", "kind", "parent", "updated_at"], batch_size=500
            )
        lvl = self.level
        self.result.seen[lvl] = self.result.seen.get(lvl, 0) + len(batch)
        self.result.created[lvl] = self.result.created.get(lvl, 0) + len(to_create)
        self.result.updated[lvl] = self.result.updated.get(lvl, 0) + len(to_update)


def len_of(level: int) -> int:
    return {Level.PROVINCE: 2, Level.CITY: 4, Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12}[
        Level(level)
    ]


def _ids(level: int, roots: tuple[str, ...] | None) -> dict[str, int]:
    """code → id of the units of one level inside the roots' subtrees or above the roots
    (None: the whole country)."""
    qs = Unit.objects.filter(level=level)
    if roots is not None:
        length = len_of(level)
        condition = Q(code__in=sorted({r[:length] for r in roots if len(r) >= length}))
        for root in roots:
            condition |= subtree_q(root)
        qs = qs.filter(condition)
    return dict(qs.values_list("code", "id"))


@transaction.atomic
def import_divisions(
    codes: list[str], *, actor: Any = None, all_: bool = False, data_dir: Path | None = None
) -> ImportResult:
    """Import the units under each root code (province 2, city 4, county 6, township 9 digits)
    and their ancestors; `all_=True` or the code "all" imports the whole country.

    `actor=None` is for trusted callers (management commands, the demo loader); a given actor
    must be a superuser for the whole country, or manage the territory over every root.
    Raises ValidationFailed("unknown_division_code") before writing anything if a root is unknown."""
    started = time.perf_counter()
    src = data_dir or DATA_DIR
    codes = list(codes)
    if any(str(c).strip().lower() == "all" for c in codes):
        all_ = True
        codes = []
    roots: list[str] = [] if all_ else list(minimal_prefixes(_check_roots(codes)))
    if not all_ and not roots:
        raise ValidationFailed("请指定要导入的区划代码。", code="no_division_code")
    if actor is not None:
        if all_ and not access.scope_of(actor, Perm.TERRITORY_MANAGE).everything:
            raise PermissionDenied("只有系统管理员可以导入全国区划。", code="forbidden")
        for root in roots:
            access.require(actor, Perm.TERRITORY_MANAGE, root)
    result = ImportResult(roots=["all"] if all_ else list(roots))

    provinces = _read_small(src / "provinces.csv")
    cities = _read_small(src / "cities.csv")
    counties = _read_small(src / "areas.csv")
    by_length = {2: provinces, 4: cities, 6: counties}

    # Townships are few (41k in the whole country): read the ones needed, then check every root
    # against the table before the first write.
    wanted: tuple[str, ...] | None = None if all_ else tuple(roots)
    township_rows = dict(_stream_gz(src / "streets.csv.gz", wanted))
    for root in roots:
        table = township_rows if len(root) == 9 else by_length[len(root)]
        if root not in table:
            raise _unknown(root)

    def selected(table: dict[str, str]) -> list[tuple[str, str]]:
        if wanted is None:
            return sorted(table.items())
        # Rows inside a root's subtree, plus the root's ancestors at this level.
        return sorted(
            (code, name)
            for code, name in table.items()
            if code.startswith(wanted) or any(r.startswith(code) for r in wanted)
        )

    parent_ids: dict[str, int] = {}
    for level, table in (
        (Level.PROVINCE, provinces),
        (Level.CITY, cities),
        (Level.COUNTY, counties),
        (Level.TOWNSHIP, township_rows),
    ):
        _LevelWriter(level, parent_ids, result).write(selected(table))
        parent_ids = _ids(level, wanted)

    # Villages are streamed: 620k rows never sit in memory at once. Under a township root the
    # village prefixes are the roots themselves.
    village_prefixes = None if all_ else tuple(roots)
    _LevelWriter(Level.VILLAGE, parent_ids, result).write(
        _stream_gz(src / "villages.csv.gz", village_prefixes)
    )

    result.seconds = time.perf_counter() - started
    if result.total_created or result.total_updated:
        root_unit = Unit.objects.filter(code=roots[0]).first() if len(roots) == 1 else None
        common = _common_prefix(roots)
        record_event(
            actor=actor,
            event_type=events.UNITS_IMPORTED,
            obj=root_unit,
            scope_code=common if CODE_LENGTH_LEVEL.get(len(common)) else "",
            data={**result.as_data(), "source": "国家统计局统计用区划代码（2023）"},
        )
    return result


def _common_prefix(codes: list[str]) -> str:
    if not codes:
        return ""
    first, last = min(codes), max(codes)
    n = 0
    while n < len(first) and n < len(last) and first[n] == last[n]:
        n += 1
    # Only a whole level boundary is a unit code.
    while n and n not in CODE_LENGTH_LEVEL:
        n -= 1
    return first[:n]
