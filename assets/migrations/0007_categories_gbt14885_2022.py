"""Move the shipped category table to the GB/T 14885-2022 codes, in place.

The first shipped table (0002) used 7-digit codes on the 2010 edition's pattern. Each of those rows
is renamed to its 2022 code (same row, so every asset, consumable and purchase line keeps pointing
at it). Where several old rows became one 2022 category, the first is renamed and the others'
assets, consumables, purchase lines and child categories move to it before the emptied row goes.
A row whose 2022 code already exists (a school imported the full table) is merged into that row.
Codes that are not in the map (a school's own or imported rows) are left alone. Last, the shipped
table is upserted so names, parents, service lives and the special-equipment flag follow it.
"""

from django.db import migrations

# Which models point at a category, by (app label, model name, field).
REFERENCES = [
    ("assets", "Asset", "category"),
    ("assets", "ConsumableItem", "category"),
    ("assets", "PurchaseLine", "category"),
    ("assets", "Category", "parent"),
]


def remap(apps, schema_editor):
    from assets.categories import LEGACY_CODE_MAP, category_rows_upsert, shipped_rows

    Category = apps.get_model("assets", "Category")
    by_code = {c.code: c for c in Category.objects.all()}
    for old_code, new_code in LEGACY_CODE_MAP.items():
        old = by_code.pop(old_code, None)
        if old is None:
            continue
        target = by_code.get(new_code)
        if target is None:
            old.code = new_code
            old.save(update_fields=["code"])
            by_code[new_code] = old
            continue
        for app_label, model_name, field in REFERENCES:
            model = apps.get_model(app_label, model_name)
            model.objects.filter(**{field: old}).update(**{field: target})
        old.delete()
    category_rows_upsert(shipped_rows(), model=Category)


class Migration(migrations.Migration):
    dependencies = [("assets", "0006_purchase_requested_by_partner")]
    operations = [migrations.RunPython(remap, migrations.RunPython.noop)]
