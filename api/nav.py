from django.utils.translation import gettext_lazy as _

NAV_ITEMS = [
    {"label": _("Partners and API"), "url": "api:client_list", "host": "bureau", "roles": None, "icon": "plug",
     "section": _("Platform")},
]
