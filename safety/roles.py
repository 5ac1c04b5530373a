"""Who does what in safety (the role matrix the views, GraphQL and services share)."""

from __future__ import annotations

from django.db import connection

from tenants.access import school_roles
from tenants.models import School
from tenants.roles import Role

# The safety officer manages hazards, inspections and campaigns, with the principal and 总务主任.
MANAGERS = frozenset({Role.PRINCIPAL, Role.SAFETY_OFFICER, Role.LOGISTICS_DIRECTOR})
# Guards write the gate log (the safety officer may too).
GATE = frozenset({Role.GUARD, Role.SAFETY_OFFICER})
# Patrols: guards and the teachers' security team.
PATROL = frozenset({Role.GUARD, Role.TEACHER, Role.SAFETY_OFFICER})
# Class teachers record their classes' health checks; managers may record any class.
HEALTH = frozenset({Role.TEACHER}) | MANAGERS
# Rectification: managers and the maintenance workers who do the work (and the responsible person).
RECTIFY = MANAGERS | {Role.MAINTENANCE_WORKER}
# Only the principal verifies (and so closes) a major hazard.
MAJOR_VERIFIER = frozenset({Role.PRINCIPAL})
# Ledgers of education, escort, drills, disinfection: managers and teachers.
LEDGER = MANAGERS | {Role.TEACHER}
# Agreements and their scans (parents' names, classes, signatures) are need-to-know: the roles that run
# the campaigns (agreement_campaign_issue requires MANAGERS, the principal among them) read every copy;
# anyone else only their own (selectors.agreement_list_for), a parent only through their signing link.
AGREEMENT_READERS = MANAGERS
# Pick-up (接送交接): the guards at the gate, the teachers who hand their classes over, the managers. The pupils'
# collectors are personal data of the families: no one else reads them.
HANDOVER = GATE | MANAGERS | {Role.TEACHER}


def current_school() -> School | None:
    """The school whose schema is active (also under schema_context, which sets no School)."""
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, School):
        return tenant
    if connection.schema_name in ("public", None, ""):
        return None
    return School.objects.filter(schema_name=connection.schema_name).first()


def roles_of(user) -> frozenset[str]:
    """The user's roles in the school whose schema is active."""
    return school_roles(user, current_school())
