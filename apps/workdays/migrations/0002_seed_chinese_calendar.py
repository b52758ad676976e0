"""Seed the holiday schedules chinese-calendar ships (2004 to its last published year).

Years already present are left alone, so this is safe on a database where an admin entered or
corrected a year before the migration ran. Later package upgrades: `manage.py seed_calendar`.
"""

from django.db import migrations


def seed(apps, schema_editor):
    from apps.workdays.seeding import seed as seed_years

    seed_years(apps.get_model("workdays", "CalendarDay"), apps.get_model("workdays", "CalendarYear"))


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
