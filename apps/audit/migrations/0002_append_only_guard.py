"""Database-level guard: audit rows cannot be updated; on PostgreSQL they cannot be deleted
before the retention period either (SQLite's test flush deletes rows, so there only UPDATE is
guarded). TRUNCATE is left to database privileges: run the app as a role that does not own the
tables in production (docs/deployment.md)."""

from django.db import migrations

TABLES = ["audit_auditrecord", "audit_event"]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'audit rows are append-only (%.%)', TG_TABLE_NAME, OLD.id USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' AND OLD.at > now() - interval '180 days' THEN
    RAISE EXCEPTION 'audit rows are retained for at least 180 days (%.%)', TG_TABLE_NAME, OLD.id USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN OLD;
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
                f"FOR EACH ROW EXECUTE FUNCTION audit_append_only();"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;"
            )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor in {"postgresql", "sqlite"}:
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS {table}_append_only"
                + (f" ON {table}" if vendor == "postgresql" else "")
            )
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
