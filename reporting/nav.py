from django.utils.translation import gettext_lazy as _

NAV_ITEMS = [
    {"label": _("School comparison"), "url": "reporting:console", "host": "bureau", "icon": "bar-chart",
     "section": _("Bureau")},
    {"label": _("Rankings"), "url": "reporting:rankings", "host": "bureau", "icon": "trophy", "section": _("Bureau")},
    {"label": _("Lists across schools"), "url": "reporting:records", "host": "bureau", "icon": "list-ul",
     "section": _("Bureau")},
    {"label": _("Inspection campaigns"), "url": "reporting:campaigns", "host": "bureau", "icon": "clipboard-check",
     "section": _("Bureau")},
    {"label": _("Awards"), "url": "reporting:awards", "host": "bureau", "icon": "award", "section": _("Bureau")},
    {"label": _("Work summary"), "url": "reporting:summary", "host": "bureau", "icon": "file-earmark-text",
     "section": _("Bureau")},
    {"label": _("Terms"), "url": "reporting:terms", "host": "bureau", "icon": "calendar3", "section": _("Bureau")},
    {"label": _("Metrics glossary"), "url": "reporting:glossary", "host": "bureau", "icon": "book",
     "section": _("Bureau")},
    {"label": _("Rules and standing"), "url": "reporting:rules", "host": "bureau", "icon": "journal-check",
     "section": _("Bureau")},
    {"label": _("Awards and work summary"), "url": "reporting_school:awards", "host": "school", "icon": "award",
     "roles": None, "section": _("Reports")},
]
