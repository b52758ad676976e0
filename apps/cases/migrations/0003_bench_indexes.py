"""Indexes from the 1M-case benchmarks (bench/cases_sla_sweep.py, bench/cases_inbox.py; figures in
docs/benchmarks.md). Case.Meta.indexes must say the same (see the note in the casedash report):

* case_unit_submitted (unit, submitted_at): a township's or village's dashboard walks it once per
  village for the period, instead of the whole county's period on case_submitted (16 ms against
  ~100 ms for 娜姑镇's year with 1M cases stored).
* case_status_warn (status, warn_at) replaces case_sla_warn (sla_state, warn_at): no index holds
  `sla_state` any more, the only column the SLA sweep writes besides `was_overdue`, so PostgreSQL
  updates the coloured rows in place (HOT) instead of adding an entry to each of the table's ~20
  indexes per row. The sweep's yellow scan reads (status, warn_at) and checks the colour on the row.
* case_status_closed (status, closed_at): the 已办结 box (ORDER BY closed_at DESC) of a township
  officer over ten years of history: 26 ms instead of 510 ms.
* fillfactor 90 on PostgreSQL: the room on each page those in-place updates need (and every
  transition of the state machine, which rewrites the row, benefits too). SQLite has no such knob.

Measured on 1M open cases with 15,000 turning yellow/red in one run: the sweep went from 5.8–6.5 s
to 4.2–4.6 s, its UPDATEs from 0.6–2.8 s per 5,000 rows to a few tens of milliseconds.
"""

from django.db import migrations, models


def fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE cases_case SET (fillfactor = 90)")


def fillfactor_back(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE cases_case RESET (fillfactor)")


class Migration(migrations.Migration):
    # After the other 0003 (the brief named this file before that one existed): one line of history.
    dependencies = [("cases", "0003_unique_external_id")]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["unit", "submitted_at"], name="case_unit_submitted"),
        ),
        migrations.RemoveIndex(model_name="case", name="case_sla_warn"),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["status", "warn_at"], name="case_status_warn"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["status", "closed_at"], name="case_status_closed"),
        ),
        migrations.RunPython(fillfactor, fillfactor_back),
    ]
