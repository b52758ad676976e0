"""Subtree queries on digit-only materialized paths (the division codes).

A unit's descendants are exactly the codes that start with its code. `code >= p AND code < next(p)`
expresses "starts with p" as a B-tree range on both SQLite and PostgreSQL, where a LIKE prefix
would need a special operator class or collation to use the index.
"""

from __future__ import annotations

from django.db.models import Q


def prefix_upper_bound(prefix: str) -> str:
    """Smallest digit string greater than every string starting with `prefix`."""
    if not prefix or not prefix.isdigit():
        raise ValueError(f"a path is a non-empty string of digits, got {prefix!r}")
    stripped = prefix.rstrip("9")
    if not stripped:  # "99…": nothing after it among digit strings of this family
        return prefix + ":"
    return stripped[:-1] + str(int(stripped[-1]) + 1)


def subtree_q(prefix: str, field: str = "code") -> Q:
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix_upper_bound(prefix)})


def minimal_prefixes(prefixes: list[str]) -> tuple[str, ...]:
    """Drop every prefix covered by a shorter one: {'5303', '530326'} → ('5303',)."""
    kept: list[str] = []
    for p in sorted(set(prefixes)):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return tuple(kept)
