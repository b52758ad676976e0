"""Fixtures of the resident-record tests.

The default special groups and fact definitions come from a data migration. A transactional test
(any browser test, in any app) ends by emptying every table, and with --reuse-db the next session
starts without them; so a database test here puts them back first when they are missing."""

from __future__ import annotations

import importlib
from typing import Any

import pytest


def seed_configuration() -> None:
    """Install the default groups and facts the data migration installs (idempotent)."""
    from django.apps import apps

    importlib.import_module("apps.people.migrations.0002_default_groups_and_facts").seed(apps, None)


@pytest.fixture(autouse=True)
def _people_configuration(request: Any) -> None:
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return  # pure tests (ID number properties) need no database
    transactional = marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    from apps.people.models import FactDefinition

    if not FactDefinition.objects.filter(key="house_storeys").exists():
        seed_configuration()
