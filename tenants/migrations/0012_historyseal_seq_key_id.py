"""Seals become numbered (per school and table) and keyed: the existing chain is re-linked with HMAC-SHA256.

Run with HISTORY_SEAL_KEY set as in production: the seals are re-linked with the key this process holds.
The re-linking trusts the seals as they stand; `history_verify` before upgrading says whether they did.
"""

import hashlib

from django.db import migrations, models

GENESIS = "0" * 64


def _groups(HistorySeal):
    scopes = HistorySeal.objects.values_list("school_id", "event_table").distinct()
    for school_id, table in scopes:
        yield table, list(HistorySeal.objects.filter(school_id=school_id, event_table=table).order_by("pgh_id"))


def relink_keyed(apps, schema_editor):
    HistorySeal = apps.get_model("tenants", "HistorySeal")
    if not HistorySeal.objects.exists():
        return
    from tenants.integrity import _link, seal_key  # only when there is something to re-link

    key_id, key = seal_key()
    for table, seals in _groups(HistorySeal):
        previous = GENESIS
        for seq, seal in enumerate(seals, start=1):
            previous = _link(key, key_id, table, seq, seal.pgh_id, seal.row_hash, previous)
            seal.seq, seal.key_id, seal.chain_hash = seq, key_id, previous
        HistorySeal.objects.bulk_update(seals, ["seq", "key_id", "chain_hash"], batch_size=2000)


def relink_unkeyed(apps, schema_editor):
    """The chain as it was: plain SHA-256 of (previous, pgh_id, row hash)."""
    HistorySeal = apps.get_model("tenants", "HistorySeal")
    for _table, seals in _groups(HistorySeal):
        previous = GENESIS
        for seal in seals:
            previous = hashlib.sha256(f"{previous}:{seal.pgh_id}:{seal.row_hash}".encode()).hexdigest()
            seal.chain_hash = previous
        HistorySeal.objects.bulk_update(seals, ["chain_hash"], batch_size=2000)


class Migration(migrations.Migration):

    dependencies = [
        ("tenants", "0011_invitation_created_account_backfill"),
    ]

    operations = [
        migrations.AddField(
            model_name="historyseal",
            name="key_id",
            field=models.CharField(default="", max_length=16),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historyseal",
            name="seq",
            field=models.PositiveBigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(relink_keyed, relink_unkeyed),
        migrations.AddConstraint(
            model_name="historyseal",
            constraint=models.UniqueConstraint(fields=("school", "event_table", "seq"), name="history_seal_seq_unique"),
        ),
        migrations.AddConstraint(
            model_name="historyseal",
            constraint=models.UniqueConstraint(
                condition=models.Q(("school__isnull", True)), fields=("event_table", "seq"), name="history_seal_seq_public"
            ),
        ),
    ]
