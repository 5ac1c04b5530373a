from django.utils.translation import gettext_lazy as _

NAV_ITEMS = [
    {"label": _("Asset cards"), "url": "assets:asset_list", "host": "school", "roles": None, "icon": "box-seam",
     "section": _("Assets")},
    {"label": _("Purchases"), "url": "assets:purchase_list", "host": "school", "roles": None, "icon": "cart",
     "section": _("Assets")},
    {"label": _("Consumables"), "url": "assets:consumable_list", "host": "school", "roles": None, "icon": "basket",
     "section": _("Assets")},
    {"label": _("Loans"), "url": "assets:loan_list", "host": "school", "roles": None, "icon": "arrow-left-right",
     "section": _("Assets")},
    {"label": _("Stocktakes"), "url": "assets:stocktake_list", "host": "school", "roles": None, "icon": "qr-code-scan",
     "section": _("Assets")},
]
