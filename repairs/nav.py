from django.utils.translation import gettext_lazy as _

from tenants.roles import Role

NAV_ITEMS = [
    {"label": _("Repairs board"), "url": "repairs:board", "host": "school", "roles": None, "icon": "tools",
     "section": _("Repairs")},
    {"label": _("Work orders"), "url": "repairs:list", "host": "school", "roles": None, "icon": "list-task",
     "section": _("Repairs")},
    {"label": _("My orders"), "url": "repairs:mine", "host": "school", "roles": None, "icon": "phone",
     "section": _("Repairs")},
    {"label": _("Preventive plans"), "url": "repairs:plans", "host": "school", "roles": None, "icon": "calendar-check",
     "section": _("Repairs")},
    {"label": _("Room QR labels"), "url": "repairs:labels", "host": "school",
     "roles": {Role.LOGISTICS_DIRECTOR, Role.PRINCIPAL, Role.CUSTODIAN}, "icon": "qr-code", "section": _("Repairs")},
    {"label": _("SLA presets"), "url": "repairs:settings", "host": "school",
     "roles": {Role.LOGISTICS_DIRECTOR, Role.PRINCIPAL}, "icon": "stopwatch", "section": _("Repairs")},
]
