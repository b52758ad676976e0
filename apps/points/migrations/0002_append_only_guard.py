"""Database-level guard: ledger rows (points, stock, volunteer hours) are never updated or deleted.

PostgreSQL refuses UPDATE and DELETE row by row; SQLite refuses UPDATE (Django's test flush deletes
rows there, so DELETE stays allowed on SQLite). TRUNCATE is left to database privileges, as for the
audit tables (docs/deployment.md). A correction is a reversing entry, never an edit.
"""

from django.db import migrations

TABLES = ["points_ledgerentry", "points_stockmovement", "points_hourentry"]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION points_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'points ledger rows are append-only (%.%)', TG_TABLE_NAME, OLD.id
    USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION points_append_only();"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'points ledger rows are append-only'); END;"
            )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor in {"postgresql", "sqlite"}:
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS {table}_append_only" + (f" ON {table}" if vendor == "postgresql" else "")
            )
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS points_append_only()")


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
