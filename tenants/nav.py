"""Menu entries of the people pages and the notification centre."""

from django.utils.translation import gettext_lazy as _

from .roles import BUREAU_SCHOOL_CREATORS, SCHOOL_ADMIN_ROLES, Role

NAV_ITEMS = [
    {"label": _("People and roles"), "url": "people:list", "host": "school", "roles": None, "icon": "people",
     "section": _("People")},
    {"label": _("Staff roster"), "url": "staff:list", "host": "school", "roles": None, "icon": "person-vcard",
     "section": _("People")},
    {"label": _("Getting started"), "url": "staff:checklist", "host": "school", "roles": SCHOOL_ADMIN_ROLES,
     "icon": "list-check", "section": _("People")},
    {"label": _("Role matrix"), "url": "people:matrix", "host": "school", "roles": None, "icon": "grid-3x3",
     "section": _("People")},
    {"label": _("Group robots"), "url": "people:robots", "host": "school", "roles": SCHOOL_ADMIN_ROLES,
     "icon": "robot", "section": _("People")},
    {"label": _("Notification settings"), "url": "people:preferences", "host": "school", "roles": None,
     "icon": "bell", "section": _("People")},
    {"label": _("Bureau members"), "url": "people:list", "host": "bureau", "roles": None, "icon": "people",
     "section": _("People")},
    {"label": _("Role matrix"), "url": "people:matrix", "host": "bureau", "roles": None, "icon": "grid-3x3",
     "section": _("People")},
    {"label": _("Onboard schools"), "url": "platform:schools", "host": "bureau",
     "roles": BUREAU_SCHOOL_CREATORS | {Role.PLATFORM_OPERATOR}, "icon": "building-add", "section": _("People")},
    {"label": _("Bureaus"), "url": "platform:bureaus", "host": "bureau", "roles": {Role.PLATFORM_OPERATOR},
     "icon": "bank", "section": _("People")},
    {"label": _("Notification settings"), "url": "people:preferences", "host": "bureau", "roles": None,
     "icon": "bell", "section": _("People")},
]
