"""Which school roles may do what in the school core."""

from tenants.roles import Role

# Edit buildings, rooms, departments, on-campus units and capital projects.
EDITOR_ROLES = frozenset({Role.PRINCIPAL, Role.LOGISTICS_DIRECTOR})
# Handle services: call back feedback, return lost items, log convenience services.
SERVICE_ROLES = frozenset(
    {Role.PRINCIPAL, Role.LOGISTICS_DIRECTOR, Role.CUSTODIAN, Role.GUARD, Role.MAINTENANCE_WORKER}
)
# Submit feedback and report a found item: every member of the school.
MEMBER_ROLES = frozenset(
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
