"""Roles a membership can carry, and which roles may do what."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLATFORM_OPERATOR = "platform_operator", _("Platform operator")
    BUREAU_LEADER = "bureau_leader", _("Bureau leader")
    BUREAU_LOGISTICS = "bureau_logistics", _("Bureau logistics section")
    BUREAU_SAFETY = "bureau_safety", _("Bureau safety section")
    BUREAU_FINANCE = "bureau_finance", _("Bureau finance section")
    PRINCIPAL = "principal", _("Principal")
    LOGISTICS_DIRECTOR = "logistics_director", _("Logistics director")
    SAFETY_OFFICER = "safety_officer", _("Safety officer")
    CUSTODIAN = "custodian", _("Custodian")
    TEACHER = "teacher", _("Teacher")
    GUARD = "guard", _("Gate guard")
    MAINTENANCE_WORKER = "maintenance_worker", _("Maintenance worker")
    UNIT_CONTACT = "unit_contact", _("On-campus unit contact")


BUREAU_ROLES = frozenset(
    {Role.BUREAU_LEADER, Role.BUREAU_LOGISTICS, Role.BUREAU_SAFETY, Role.BUREAU_FINANCE}
)
SCHOOL_ROLES = frozenset(
    {
        Role.PRINCIPAL,
        Role.LOGISTICS_DIRECTOR,
        Role.SAFETY_OFFICER,
        Role.CUSTODIAN,
        Role.TEACHER,
        Role.GUARD,
        Role.MAINTENANCE_WORKER,
        Role.UNIT_CONTACT,
    }
)
# Roles that administer a school's people and settings.
SCHOOL_ADMIN_ROLES = frozenset({Role.PRINCIPAL, Role.LOGISTICS_DIRECTOR})
# Roles that may see staff phone numbers.
PHONE_VISIBLE_ROLES = frozenset({Role.PRINCIPAL, Role.LOGISTICS_DIRECTOR, Role.SAFETY_OFFICER, Role.GUARD})
