"""Rules of the register (core/rules.py) on school buildings (JGJ 125-2016, 平安校园) and hazards' 五定."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.rules import Enforcement, Rule

JGJ_125 = "JGJ 125-2016《危险房屋鉴定标准》"

RULES = [
    Rule(
        code="schools.d_building_stop_use",
        title=_("A D-grade building is not used"),
        source=JGJ_125,
        requires=_("A D-grade building is dangerous as a whole: its handling is stop using or demolish, never "
                   "continued use under observation or use after treatment; a D building still in use is flagged"),
        enforcement=Enforcement.VALIDATION,
        metric="buildings_d_in_use",
        compare="==",
        limit=0,
        unit="count",
        enforced_by="schools.services.building_appraise; metric buildings_d_in_use",
        note=_("Handling categories as in 建设部令第129号《城市危险房屋管理规定》第十条"),
    ),
    Rule(
        code="schools.weak_building_measures",
        title=_("Measures and warning signs for B/C/D buildings"),
        source=JGJ_125,
        requires=_("A B-, C- or D-grade building records the safety measures taken; a C- or D-grade one also has "
                   "warning signs posted (平安校园)"),
        enforcement=Enforcement.TODO,
        metric="buildings_unsecured",
        compare="==",
        limit=0,
        unit="count",
        enforced_by="schools.todo (logistics director); metric buildings_unsecured",
    ),
    # The hazard loop lives in safety; this one rule of it is registered here to keep safety/rules.py to its owner.
    Rule(
        code="safety.major_hazard_funds",
        title=_("Funds set aside for a major hazard"),
        source="《安全生产事故隐患排查治理暂行规定》（国家安全生产监督管理总局令第16号）",
        article="15",
        requires=_("A major hazard carries all five of the 五定, and its funds are an amount above ¥0"),
        enforcement=Enforcement.VALIDATION,
        enforced_by="safety.services._five_fixes_check",
    ),
]
