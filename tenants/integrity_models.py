"""Seals over the history tables: a keyed, numbered hash chain per school and table (tenants/integrity.py)."""

import pgtrigger
from django.db import models
from django.utils import timezone


class HistorySeal(models.Model):
    """The hash of one history row and the keyed link of the chain up to it, written when it was sealed."""

    # No constraint and nothing cascades: seals outlive a dropped school, as evidence does.
    school = models.ForeignKey(
        "tenants.School", on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    event_table = models.CharField(max_length=100)
    # 1, 2, 3 … per school and table: a deleted seal leaves a gap.
    seq = models.PositiveBigIntegerField()
    pgh_id = models.BigIntegerField()
    row_hash = models.CharField(max_length=64)
    # HMAC-SHA256 with the key named by key_id (never stored in the database).
    chain_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16)
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "event_table", "pgh_id"], name="history_seal_unique"),
            models.UniqueConstraint(
                fields=["event_table", "pgh_id"], condition=models.Q(school__isnull=True), name="history_seal_public"
            ),
            models.UniqueConstraint(fields=["school", "event_table", "seq"], name="history_seal_seq_unique"),
            models.UniqueConstraint(
                fields=["event_table", "seq"], condition=models.Q(school__isnull=True), name="history_seal_seq_public"
            ),
        ]
        indexes = [models.Index(fields=["school", "event_table", "pgh_id"])]
        # Append-only like the event tables. Verification does not rely on it: a DBA can switch it off.
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.event_table}#{self.pgh_id}"
