"""Subtree queries: "everything under 娜姑镇" is one query that uses the code index."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.territory.models import Grid, Unit
from apps.territory.paths import subtree_q

pytestmark = pytest.mark.django_db


def test_subtree_is_exactly_the_descendants_at_any_depth(tiny_county, django_assert_num_queries) -> None:
    Unit.objects.create(code="530326102201001", name="一组", level=6, parent=tiny_county["v11"])
    with django_assert_num_queries(1):
        codes = sorted(Unit.objects.filter(subtree_q("530326102")).values_list("code", flat=True))
    assert codes == ["530326102", "530326102201", "530326102201001", "530326102202"]
    with django_assert_num_queries(1):
        grids = sorted(
            Grid.objects.filter(subtree_q("530326102", "unit__code")).values_list("code", flat=True)
        )
    assert grids == ["NG-01", "NG-01-01"]


def test_subtree_range_uses_the_code_index(tiny_county) -> None:
    sql, params = Unit.objects.filter(subtree_q("530326102")).values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "USING" in plan and "INDEX" in plan and "code" in plan, plan
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "Index" in plan and "code" in plan, plan
