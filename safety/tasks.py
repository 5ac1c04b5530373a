"""Celery entry points of safety (thin: they call services)."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import schema_context

from tenants.models import School


@shared_task(bind=True, acks_late=True, max_retries=3)
def hazards_overdue_escalate_task(self, *, schema_name: str) -> int:
    """Escalate one school's overdue hazards and remind the owners of those due soon (idempotent: each once)."""
    from .services import hazards_escalate_overdue, hazards_remind_due_soon

    with schema_context(schema_name):
        hazards_remind_due_soon()
        return hazards_escalate_overdue()


@shared_task(bind=True, acks_late=True, max_retries=3)
def agreement_reminders_task(self, *, schema_name: str) -> int:
    """Remind the unsigned parties of this school's open campaigns (once a day each)."""
    from .models import AgreementCampaign
    from .services import agreement_campaign_remind
    from .terms import current_term, term_label

    with schema_context(schema_name):
        campaigns = AgreementCampaign.objects.filter(term=term_label(current_term()),
                                                     agreements__signed_at__isnull=True).distinct()
        # In the app only (staff, and the head teachers with their classes' slips): texting families is
        # the manager's decision on the campaign page.
        return sum(agreement_campaign_remind(campaign=c, sms=False).total for c in campaigns)


def _active_schemas() -> list[str]:
    return list(School.objects.exclude(schema_name="public").filter(status="active").values_list("schema_name", flat=True))


@shared_task(acks_late=True)
def hazards_overdue_sweep_task() -> int:
    """Beat: queue one escalation per school."""
    schemas = _active_schemas()
    for schema in schemas:
        hazards_overdue_escalate_task.delay(schema_name=schema)
    return len(schemas)


@shared_task(acks_late=True)
def agreement_reminders_sweep_task() -> int:
    """Beat: queue one reminder run per school."""
    schemas = _active_schemas()
    for schema in schemas:
        agreement_reminders_task.delay(schema_name=schema)
    return len(schemas)


@shared_task(bind=True, acks_late=True, max_retries=3)
def visitor_retention_purge_task(self, *, schema_name: str) -> int:
    """Anonymise one school's visitors older than its bureau's retention period (idempotent)."""
    from .services import visitor_retention_days, visitor_retention_purge

    school = School.objects.select_related("bureau").get(schema_name=schema_name)
    days = visitor_retention_days(bureau=school.bureau)
    with schema_context(schema_name):
        return visitor_retention_purge(days=days)


@shared_task(acks_late=True)
def visitor_retention_sweep_task() -> int:
    """Beat: queue one visitor-log purge per school (个人信息保护法 第十九条)."""
    schemas = _active_schemas()
    for schema in schemas:
        visitor_retention_purge_task.delay(schema_name=schema)
    return len(schemas)
