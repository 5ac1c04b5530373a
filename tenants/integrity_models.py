"""Seals over the history tables: a per-school, per-table hash chain (see tenants/integrity.py)."""

from django.db import models
from django.utils import timezone


class HistorySeal(models.Model):
    """The hash of one history row and of the chain up to it, written when the row was sealed."""

    school = models.ForeignKey("tenants.School", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    event_table = models.CharField(max_length=100)
    pgh_id = models.BigIntegerField()
    row_hash = models.CharField(max_length=64)
    chain_hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "event_table", "pgh_id"], name="history_seal_unique"),
            models.UniqueConstraint(
                fields=["event_table", "pgh_id"], condition=models.Q(school__isnull=True), name="history_seal_public"
            ),
        ]
        indexes = [models.Index(fields=["school", "event_table", "pgh_id"])]

    def __str__(self) -> str:
        return f"{self.event_table}#{self.pgh_id}"
