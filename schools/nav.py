from django.utils.translation import gettext_lazy as _

SECTION = _("School")
SERVICES = _("Services")

NAV_ITEMS = [
    {"label": _("Buildings"), "url": "schools:building_list", "host": "school", "roles": None, "icon": "buildings", "section": SECTION},
    {"label": _("Rooms"), "url": "schools:room_list", "host": "school", "roles": None, "icon": "door-open", "section": SECTION},
    {"label": _("Departments"), "url": "schools:department_list", "host": "school", "roles": None, "icon": "diagram-3", "section": SECTION},
    {"label": _("On-campus units"), "url": "schools:unit_list", "host": "school", "roles": None, "icon": "shop", "section": SECTION},
    {"label": _("Capital projects"), "url": "schools:project_list", "host": "school", "roles": None, "icon": "cone-striped", "section": SECTION},
    {"label": _("Feedback and complaints"), "url": "schools:feedback_list", "host": "school", "roles": None, "icon": "chat-dots", "section": SERVICES},
    {"label": _("Lost and found"), "url": "schools:lost_item_list", "host": "school", "roles": None, "icon": "bag", "section": SERVICES},
    {"label": _("Convenience services"), "url": "schools:service_list", "host": "school", "roles": None, "icon": "heart", "section": SERVICES},
]
