from django.utils.translation import gettext_lazy as _

from . import roles as R

SECTION = _("Safety")

NAV_ITEMS = [
    {"label": _("Safety board"), "url": "safety:board", "host": "school", "roles": None, "icon": "shield-shaded",
     "section": SECTION},
    {"label": _("Hazards"), "url": "safety:hazard_list", "host": "school", "roles": None,
     "icon": "exclamation-triangle", "section": SECTION},
    {"label": _("Inspection rounds"), "url": "safety:round_list", "host": "school", "roles": R.MANAGERS,
     "icon": "clipboard-check", "section": SECTION},
    {"label": _("Agreement campaigns"), "url": "safety:campaign_list", "host": "school", "roles": R.MANAGERS,
     "icon": "pen", "section": SECTION},
    {"label": _("Gate"), "url": "safety:gate", "host": "school", "roles": R.GATE, "icon": "door-open",
     "section": SECTION},
    {"label": _("Class health check"), "url": "safety:health_check", "host": "school", "roles": R.HEALTH,
     "icon": "thermometer-half", "section": SECTION},
    {"label": _("My agreements"), "url": "safety:my_agreements", "host": "school", "roles": None, "icon": "pen",
     "section": SECTION},
]
