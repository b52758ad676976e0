from django.db import migrations


def forwards(apps, schema_editor):
    from apps.cases.defaults import DEFAULT_CATEGORIES

    Category = apps.get_model("cases", "Category")
    order = 0
    for code, name, kind, triage, reply_days, children in DEFAULT_CATEGORIES:
        order += 10
        parent, _ = Category.objects.get_or_create(
            code=code,
            defaults=dict(
                name=name,
                kind=kind,
                default_triage=triage,
                reply_days=reply_days,
                sign_days=0 if kind == "emergency" else 1,
                order=order,
            ),
        )
        for child_order, (c_code, c_name, c_kind, c_triage, c_days) in enumerate(children, start=1):
            Category.objects.get_or_create(
                code=c_code,
                defaults=dict(
                    name=c_name,
                    parent=parent,
                    kind=c_kind,
                    default_triage=c_triage,
                    reply_days=c_days,
                    sign_days=0 if c_kind == "emergency" else 1,
                    order=order + child_order,
                ),
            )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
