"""The seal table refuses UPDATE and DELETE, like the event tables (verification does not rely on it)."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("tenants", "0013_historyseal_kept_after_school"),
    ]

    operations = [
        pgtrigger.migrations.AddTrigger(
            model_name="historyseal",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="a74b3293ebd1c04d45f3f5f7e700512919ff3beb", operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_c8866", table="tenants_historyseal", when="BEFORE",
                ),
            ),
        ),
    ]
