"""Benchmark: point → grid lookup among 100,000 grid polygons.

On a fresh SQLite database (temporary directory, migrations applied first) it imports 会泽县,
bulk-creates N square grids (default 100,000, a 317 × 316 lattice of 0.002° squares over the
county), then measures:

  * the index build of `apps.territory.geo` (load the boundaries from the database, parse and
    prepare them, build the shapely STRtree), and the STRtree construction alone;
  * lookups per second of `geo.candidate_grid_ids` over 10,000 seeded random points (some fall
    outside every grid);
  * two baselines in the same run, on a seeded sample of the same points:
      - "db bbox": what a lookup costs without the in-process index — a database query for the
        grids whose bounding box holds the point, then shapely `intersects` on each candidate;
      - "list scan": a plain Python loop over all prepared polygons calling `intersects`.
    Every baseline answer is compared with the index's answer for the same point.

    .venv/bin/python bench/grid_locate.py
    .venv/bin/python bench/grid_locate.py --grids 20000 --points 2000 --baseline-points 200
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = (103.0, 26.1)  # south-west corner of the lattice, inside 会泽县
CELL = 0.002  # degrees (about 200 m): a level-3 grid's size


def _setup_django(var_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["JC_VAR_DIR"] = var_dir
    os.environ["DJANGO_DEBUG"] = "0"  # DEBUG would keep every SQL statement in memory
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _square(lng: float, lat: float) -> dict[str, Any]:
    lng, lat = round(lng, 6), round(lat, 6)
    east, north = round(lng + CELL, 6), round(lat + CELL, 6)
    return {
        "type": "Polygon",
        "coordinates": [[[lng, lat], [east, lat], [east, north], [lng, north], [lng, lat]]],
    }


def create_grids(n: int) -> tuple[int, int, float]:
    """Bulk-create n square grids on a lattice; returns (columns, rows, seconds)."""
    from apps.territory.importer import import_divisions
    from apps.territory.models import Grid, Unit

    import_divisions(["530326"])
    county = Unit.objects.get(code="530326")
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    started = time.perf_counter()
    batch: list[Grid] = []
    for i in range(n):
        col, row = i % cols, i // cols
        lng, lat = ORIGIN[0] + col * CELL, ORIGIN[1] + row * CELL
        batch.append(
            Grid(
                code=f"B{i:06d}",
                name=f"基准网格{i}",
                level=3,
                unit=county,
                boundary=_square(lng, lat),
                min_lng=lng,
                min_lat=lat,
                max_lng=lng + CELL,
                max_lat=lat + CELL,
            )
        )
        if len(batch) == 5000:
            Grid.objects.bulk_create(batch)
            batch = []
    if batch:
        Grid.objects.bulk_create(batch)
    return cols, rows, time.perf_counter() - started


def random_points(rng: random.Random, count: int, cols: int, rows: int) -> list[tuple[float, float]]:
    # A 5% margin around the lattice on every side, so some points fall outside every grid.
    width, height = cols * CELL, rows * CELL
    return [
        (
            ORIGIN[0] - 0.05 * width + rng.random() * 1.1 * width,
            ORIGIN[1] - 0.05 * height + rng.random() * 1.1 * height,
        )
        for _ in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--grids", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--baseline-points", type=int, default=300, help="sample size for the slow baselines")
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="jc-bench-grid-")
    try:
        _setup_django(var_dir)
        run(args)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    import shapely
    from django.core.cache import cache
    from shapely.geometry import Point, shape

    from apps.territory import geo
    from apps.territory.models import Grid

    print(
        f"# grid lookup benchmark — Python {platform.python_version()}, shapely {shapely.__version__}, "
        f"{os.cpu_count()} CPUs, SQLite"
    )
    cols, rows, create_s = create_grids(args.grids)
    print(
        f"created {Grid.objects.count()} grids ({cols}×{rows} lattice of {CELL}° squares) "
        f"by bulk_create in {create_s:.1f} s"
    )

    # 1. Index build: what the first lookup after a boundary change pays.
    cache.delete(geo.VERSION_KEY)
    geo._index = None
    started = time.perf_counter()
    geo.candidate_grid_ids(ORIGIN[0], ORIGIN[1])
    build_s = time.perf_counter() - started
    index = geo._index
    assert index is not None and len(index.ids) == args.grids
    started = time.perf_counter()
    shapely.STRtree(index.geoms)
    tree_s = time.perf_counter() - started
    print(f"index build (load {len(index.ids)} boundaries from DB, parse, prepare, STRtree): {build_s:.2f} s")
    print(f"  of which STRtree construction alone: {tree_s * 1000:.0f} ms")

    # 2. Lookups through the index (as the selector calls it: version check + tree query).
    rng = random.Random(args.seed)
    points = random_points(rng, args.points, cols, rows)
    started = time.perf_counter()
    answers = [sorted(geo.candidate_grid_ids(lng, lat)) for lng, lat in points]
    tree_lookup_s = time.perf_counter() - started
    tree_rate = len(points) / tree_lookup_s
    hits = sum(1 for a in answers if a)
    print(
        f"STRtree lookups: {len(points)} points in {tree_lookup_s:.2f} s → {tree_rate:,.0f} lookups/s "
        f"({hits} points inside a grid, {len(points) - hits} outside)"
    )

    sample = list(range(0, len(points), max(1, len(points) // args.baseline_points)))[: args.baseline_points]

    # 3a. Baseline: bounding-box filter in the database, then exact tests in Python.
    started = time.perf_counter()
    per_query: list[float] = []
    for i in sample:
        lng, lat = points[i]
        t0 = time.perf_counter()
        candidates = Grid.objects.filter(
            is_active=True, min_lng__lte=lng, max_lng__gte=lng, min_lat__lte=lat, max_lat__gte=lat
        ).values_list("pk", "boundary")
        point = Point(lng, lat)
        found = sorted(pk for pk, boundary in candidates if shape(boundary).intersects(point))
        per_query.append(time.perf_counter() - t0)
        assert found == answers[i], (i, found, answers[i])
    db_s = time.perf_counter() - started
    db_rate = len(sample) / db_s
    print(
        f"baseline db bbox + shapely: {len(sample)} points in {db_s:.2f} s → {db_rate:,.1f} lookups/s "
        f"(median {statistics.median(per_query) * 1000:.1f} ms/lookup); answers identical"
    )

    # 3b. Baseline: scan every prepared polygon in a Python loop.
    geoms, ids = index.geoms, index.ids
    started = time.perf_counter()
    for i in sample:
        point = Point(*points[i])
        found = sorted(ids[k] for k, g in enumerate(geoms) if g.intersects(point))
        assert found == answers[i], (i, found, answers[i])
    scan_s = time.perf_counter() - started
    scan_rate = len(sample) / scan_s
    print(
        f"baseline list scan: {len(sample)} points in {scan_s:.2f} s → {scan_rate:,.1f} lookups/s; "
        "answers identical"
    )

    print(f"ratio STRtree / db bbox: {tree_rate / db_rate:,.0f}×")
    print(f"ratio STRtree / list scan: {tree_rate / scan_rate:,.0f}×")


if __name__ == "__main__":
    main()
