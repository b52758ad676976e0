"""Helpers shared by the list tests and the permission-matrix rows."""

from __future__ import annotations

from apps.cases.models import Category


def ensure_default_categories() -> None:
    """The default category tree comes from a data migration; a transactional test elsewhere may
    have emptied the table (see the root conftest), so put it back when it is missing."""
    if Category.objects.filter(code="env-garbage").exists():
        return
    import importlib

    from django.apps import apps

    importlib.import_module("apps.cases.migrations.0002_default_categories").forwards(apps, None)
