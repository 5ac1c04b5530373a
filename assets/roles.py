"""Who does what with a school's property."""

from tenants.roles import Role

# Custodian and logistics director manage the ledgers.
MANAGERS = frozenset({Role.LOGISTICS_DIRECTOR, Role.CUSTODIAN})
# The principal approves purchases, requisitions and disposals.
APPROVERS = frozenset({Role.PRINCIPAL, Role.LOGISTICS_DIRECTOR})
PRINCIPALS = frozenset({Role.PRINCIPAL})
# Staff who request, borrow and confirm receipt.
STAFF = frozenset(
    {
        Role.PRINCIPAL,
        Role.LOGISTICS_DIRECTOR,
        Role.CUSTODIAN,
        Role.TEACHER,
        Role.SAFETY_OFFICER,
        Role.MAINTENANCE_WORKER,
    }
)
# Bureau staff who approve purchases above the bureau's limit and early scrapping.
BUREAU_APPROVERS = frozenset({Role.BUREAU_LEADER, Role.BUREAU_LOGISTICS, Role.BUREAU_FINANCE})
