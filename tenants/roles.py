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

# --- the role matrix: who may do what (declarative; the page and the tests read this table) ------
_P, _L, _S, _C, _T, _G, _M, _U = (
    Role.PRINCIPAL, Role.LOGISTICS_DIRECTOR, Role.SAFETY_OFFICER, Role.CUSTODIAN,
    Role.TEACHER, Role.GUARD, Role.MAINTENANCE_WORKER, Role.UNIT_CONTACT,
)
ALL_SCHOOL = frozenset(SCHOOL_ROLES)

# (key, what may be done, the school roles allowed). Modules check their own rules in code; this table
# is what a principal reads, and tests keep the two in step for the people module.
SCHOOL_PERMISSIONS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("people.manage", _("Invite staff, import the staff sheet, grant and remove roles, end access"), SCHOOL_ADMIN_ROLES),
    ("people.phone", _("See staff phone numbers"), PHONE_VISIBLE_ROLES),
    ("people.robots", _("Set up group robots (DingTalk / WeCom)"), SCHOOL_ADMIN_ROLES),
    ("school.profile", _("Edit departments, buildings, rooms and on-campus units"), frozenset({_P, _L})),
    ("assets.manage", _("Register, transfer and dispose of assets; run stocktakes"), frozenset({_P, _L, _C})),
    ("assets.requisition", _("Request and borrow assets"), ALL_SCHOOL - {_U}),
    ("repairs.report", _("Report a fault"), ALL_SCHOOL),
    ("repairs.work", _("Take and close repair work orders"), frozenset({_L, _M})),
    ("safety.inspect", _("Run inspections and record hazards"), frozenset({_P, _L, _S, _G})),
    ("safety.verify", _("Verify hazard rectification"), frozenset({_P, _S})),
    ("safety.gate", _("Keep the gate and visitor log"), frozenset({_S, _G})),
    ("safety.agreements", _("Issue safety responsibility agreements"), frozenset({_P, _S})),
    ("safety.sign", _("Sign safety agreements"), ALL_SCHOOL),
    ("reporting.summary", _("Generate the term work summary"), frozenset({_P, _L})),
)
BUREAU_PERMISSIONS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("bureau.people", _("Manage bureau members"), frozenset({Role.BUREAU_LEADER})),
    ("bureau.schools", _("Create schools and invite their principals"), frozenset({Role.BUREAU_LEADER, Role.BUREAU_LOGISTICS})),
    ("bureau.read", _("Read every school of the district"), frozenset(BUREAU_ROLES)),
    ("bureau.campaigns", _("Issue campaigns and run awards"), frozenset({Role.BUREAU_LEADER, Role.BUREAU_LOGISTICS, Role.BUREAU_SAFETY})),
    ("bureau.projects", _("Approve capital projects and large purchases"), frozenset({Role.BUREAU_LEADER, Role.BUREAU_FINANCE})),
)
# Roles that manage a bureau's people and create its schools.
BUREAU_ADMIN_ROLES = frozenset({Role.BUREAU_LEADER})
BUREAU_SCHOOL_CREATORS = frozenset({Role.BUREAU_LEADER, Role.BUREAU_LOGISTICS})


def role_may(role: str, key: str) -> bool:
    """True when the role is allowed the action `key` of the matrix."""
    for table in (SCHOOL_PERMISSIONS, BUREAU_PERMISSIONS):
        for k, _label, roles in table:
            if k == key:
                return role in roles
    raise KeyError(key)


# Names people write in a sheet's "roles" column, in Chinese or English, mapped to roles.
ROLE_NAMES: dict[str, str] = {
    "校长": Role.PRINCIPAL, "principal": Role.PRINCIPAL,
    "总务主任": Role.LOGISTICS_DIRECTOR, "后勤主任": Role.LOGISTICS_DIRECTOR,
    "logistics director": Role.LOGISTICS_DIRECTOR, "logistics_director": Role.LOGISTICS_DIRECTOR,
    "安全专干": Role.SAFETY_OFFICER, "安全员": Role.SAFETY_OFFICER,
    "safety officer": Role.SAFETY_OFFICER, "safety_officer": Role.SAFETY_OFFICER,
    "保管员": Role.CUSTODIAN, "custodian": Role.CUSTODIAN,
    "教师": Role.TEACHER, "老师": Role.TEACHER, "teacher": Role.TEACHER,
    "门卫": Role.GUARD, "guard": Role.GUARD, "gate guard": Role.GUARD,
    "维修工": Role.MAINTENANCE_WORKER, "maintenance worker": Role.MAINTENANCE_WORKER,
    "maintenance_worker": Role.MAINTENANCE_WORKER,
    "校内单位联系人": Role.UNIT_CONTACT, "unit contact": Role.UNIT_CONTACT, "unit_contact": Role.UNIT_CONTACT,
    "on-campus unit contact": Role.UNIT_CONTACT,
}
# A post (岗位) implies these roles when the sheet's roles column is empty: a changed post moves the role.
POST_ROLES: dict[str, tuple[str, ...]] = {
    "校长": (Role.PRINCIPAL,),
    "副校长": (Role.PRINCIPAL,),
    "总务主任": (Role.LOGISTICS_DIRECTOR,),
    "后勤": (Role.CUSTODIAN,),
    "保管员": (Role.CUSTODIAN,),
    "安全": (Role.SAFETY_OFFICER,),
    "安全专干": (Role.SAFETY_OFFICER,),
    "门卫": (Role.GUARD,),
    "班主任": (Role.TEACHER,),
    "教师": (Role.TEACHER,),
    "安保队": (Role.TEACHER, Role.GUARD),
    "维修工": (Role.MAINTENANCE_WORKER,),
    "幼儿园负责人": (Role.UNIT_CONTACT,),
}


def role_from_name(text: str) -> str | None:
    """The role a sheet names (Chinese label, English label or code), or None if it names none."""
    key = (text or "").strip().lower()
    if key in ROLE_NAMES:
        return ROLE_NAMES[key]
    for role in Role:
        if key in (role.value, str(role.label).lower()):
            return role.value
    return None
