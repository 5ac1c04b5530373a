"""The property rules of the register (core/rules.py): asset kinds, the annual stocktake, acceptance."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from core.rules import Enforcement, Rule

FINANCE_RULES = "《事业单位财务规则》（财政部令第68号）"

RULES = [
    Rule(
        code="assets.fixed_threshold",
        title=_("Fixed asset threshold"),
        source=FINANCE_RULES,
        article="40",
        requires=_("A fixed asset lasts over a year and is worth at least ¥1,000 a unit (special equipment "
                   "¥1,500); below that it is a low-value durable, whatever kind is typed by hand"),
        enforcement=Enforcement.VALIDATION,
        limit=Decimal("1000.00"),
        unit="yuan",
        overridable=True,
        bureau_field="fixed_asset_threshold",
        enforced_by="assets.services.asset_kind_check",
    ),
    Rule(
        code="assets.special_threshold",
        title=_("Special equipment threshold"),
        source=FINANCE_RULES,
        article="40",
        requires=_("Special equipment is a fixed asset from ¥1,500 a unit"),
        enforcement=Enforcement.VALIDATION,
        limit=Decimal("1500.00"),
        unit="yuan",
        overridable=True,
        bureau_field="special_equipment_threshold",
        enforced_by="assets.services.asset_kind_check",
    ),
]

RULES += [
    Rule(
        code="assets.category_code",
        title=_("Category codes of GB/T 14885-2022"),
        source="GB/T 14885-2022《固定资产等资产基础分类与代码》",
        requires=_("A category code is A and eight digits in four levels of two (e.g. A02010105); the "
                   "all-digit codes of the 2010 edition are no longer accepted"),
        enforcement=Enforcement.VALIDATION,
        enforced_by="assets.models.Category.clean, assets.services.category_table_import",
    ),
]
