"""Shared by the benchmark scripts: a throw-away PostgreSQL database on a given server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit


@contextmanager
def fresh_postgres(server_url: str | None, prefix: str) -> Iterator[str | None]:
    """A new, empty database on the server of `server_url` (None: yields None, for SQLite runs),
    dropped afterwards even if the benchmark fails."""
    if not server_url:
        yield None
        return
    import psycopg

    parts = urlsplit(server_url)
    name = f"{prefix}_{os.getpid()}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        if "django" in __import__("sys").modules:
            from django.db import connections

            connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
