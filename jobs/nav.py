from django.utils.translation import gettext_lazy as _

NAV_ITEMS = [
    {
        "label": _("My exports"),
        "url": "jobs:list",
        "host": "school",
        "roles": None,
        "icon": "cloud-download",
        "section": "",
    },
    {
        "label": _("My exports"),
        "url": "jobs:list",
        "host": "bureau",
        "roles": None,
        "icon": "cloud-download",
        "section": "",
    },
]
