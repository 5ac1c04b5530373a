from django.db import migrations


def load(apps, schema_editor):
    from assets.categories import category_rows_upsert, shipped_rows

    category_rows_upsert(shipped_rows(), model=apps.get_model("assets", "Category"))


class Migration(migrations.Migration):
    dependencies = [("assets", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
