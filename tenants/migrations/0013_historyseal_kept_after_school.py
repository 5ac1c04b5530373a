"""Seals outlive a dropped school (no foreign-key constraint, nothing cascades): they are evidence."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("tenants", "0012_historyseal_seq_key_id"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historyseal",
            name="school",
            field=models.ForeignKey(
                blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+", to="tenants.school",
            ),
        ),
    ]
