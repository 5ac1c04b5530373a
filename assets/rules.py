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

RULES += [
    Rule(
        code="assets.annual_stocktake",
        title=_("Annual full stocktake"),
        source="《行政事业单位资产清查核实管理办法》（财资〔2016〕1号）; " + FINANCE_RULES,
        requires=_("At least once a year every room holding property is counted in one stocktake (清查盘点), so that "
                   "the books match the goods (账实相符), the cards and the ledger agree (账卡相符, 账账相符)"),
        enforcement=Enforcement.TODO,
        metric="assets_full_stocktake_overdue",
        compare="==",
        limit=0,
        unit="count",
        enforced_by="assets.todo (custodians: the overdue stocktake); metrics assets_full_stocktake_overdue, "
                    "assets_stocktake_discrepancies (账实)",
        note=_("账卡 and 账账 need the finance ledger, which Houqin does not hold: the stocktake's discrepancies "
               "stand for 账实相符"),
    ),
    Rule(
        code="assets.reclassification_confirmed",
        title=_("Re-classifications confirmed by the custodian"),
        source=FINANCE_RULES,
        article="40",
        requires=_("Each card whose kind was corrected to the thresholds is confirmed by the custodian"),
        enforcement=Enforcement.TODO,
        metric="assets_reclassifications_pending",
        compare="==",
        limit=0,
        unit="count",
        enforced_by="assets.todo (custodians); assets:reclassifications",
    ),
]

PROCUREMENT_205 = "《财政部关于进一步加强政府采购需求和履约验收管理的指导意见》（财库〔2016〕205号）"

RULES += [
    Rule(
        code="assets.acceptance_group",
        title=_("An acceptance group with its members"),
        source=PROCUREMENT_205,
        requires=_("The acceptance is done by a group whose members are named, the actual user among them, at least "
                   "two people; an empty member list is refused"),
        enforcement=Enforcement.VALIDATION,
        enforced_by="assets.services.acceptance_record",
    ),
    Rule(
        code="assets.acceptance_plan",
        title=_("A written acceptance plan"),
        source=PROCUREMENT_205,
        requires=_("A government-procurement acceptance follows a written plan (time, method, procedure)"),
        enforcement=Enforcement.METRIC,
        metric="assets_acceptances_without_plan",
        compare="==",
        limit=0,
        unit="count",
        enforced_by="metric assets_acceptances_without_plan; the acceptance form's plan",
    ),
    Rule(
        code="assets.staged_acceptance",
        title=_("Staged acceptance of complex goods"),
        source=PROCUREMENT_205,
        requires=_("Technically complex goods are accepted in stages (factory, arrival, installation and "
                   "commissioning, services) and booked only at installation and commissioning, after arrival"),
        enforcement=Enforcement.VALIDATION,
        enforced_by="assets.services.acceptance_record (request.staged_acceptance)",
    ),
    Rule(
        code="assets.agent_acceptance_confirmed",
        title=_("The buyer confirms an agent's acceptance in writing"),
        source=PROCUREMENT_205,
        requires=_("When a procurement agent does the acceptance, the school confirms its result in writing"),
        enforcement=Enforcement.VALIDATION,
        enforced_by="assets.services.acceptance_record",
    ),
]
