"""The safety rules of the register (core/rules.py): patrols and guards, drills, fire safety, meals, pick-up, visitors.

Each names its source as far as we could check it. Where a clause number or a figure could not be read in
the document itself, `note` says so, and what the figure rests on.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.rules import BOARDING, Enforcement, Rule, SchoolKind

GBT_29315 = "GB/T 29315-2022《中小学、幼儿园安全防范要求》"
DRILL_GUIDE = "教基一厅〔2014〕2号《中小学幼儿园应急疏散演练指南》"
FIRE_61 = "公安部令第61号《机关、团体、企业、事业单位消防安全管理规定》"
FOOD_2019 = "教育部 市场监管总局 国家卫生健康委令第45号《学校食品安全与营养健康管理规定》（2019）"
SAFETY_23 = "教育部等十部门令第23号《中小学幼儿园安全管理办法》（2006）"
PIPL = "《中华人民共和国个人信息保护法》"

SCHOOLS = frozenset({SchoolKind.PRIMARY, SchoolKind.JUNIOR, SchoolKind.SENIOR, SchoolKind.NINE_YEAR,
                     SchoolKind.COMPLETE})
FIRE_KEY_UNITS = frozenset({SchoolKind.KINDERGARTEN, BOARDING})
HANDOVER = frozenset({SchoolKind.KINDERGARTEN, SchoolKind.PRIMARY, SchoolKind.NINE_YEAR})

RULES = [
    Rule(
        code="safety.patrols_a_day",
        title=_("Five patrols of the key areas a day"),
        source=GBT_29315,
        requires=_("Security staff patrol the school's key parts and areas at least 5 times every day; a day "
                   "with fewer (or none) is a day short"),
        enforcement=Enforcement.METRIC,
        metric="patrol_days_short",
        compare="<=", limit=0, unit="count",
        enforced_by="safety.duties.patrol_figures",
        note=_("Clause number not checked against the standard's text; the figure of 5 is as the standard's "
               "published summaries give it."),
    ),
    Rule(
        code="safety.guards_by_enrolment",
        title=_("Full-time guards by enrolment"),
        source=GBT_29315,
        requires=_("Fewer than 100 pupils: at least 1 guard; 100–999: at least 2; 1,000: at least 3, and one "
                   "more for each further 500"),
        enforcement=Enforcement.METRIC,
        metric="guard_shortfall",
        compare="<=", limit=0, unit="count",
        enforced_by="safety.duties.guards_required",
        note=_("The bands under 100 and from 1,000 are as the standard's published summaries give them; the "
               "100–999 band (2) is the floor of the provincial rules that preceded it (湖北省中小学幼儿园安全"
               "防范标准 第七条: 学校至少应配2名专职保安)."),
    ),
    Rule(
        code="safety.camera_retention",
        title=_("CCTV recordings kept 30 days"),
        source=GBT_29315,
        requires=_("Recordings of the school's cameras are kept at least 30 days; the bureau may require more"),
        enforcement=Enforcement.VALIDATION,
        metric="camera_retention_min_days",
        compare=">=", limit=30, unit="days",
        overridable=True, override_min=30, override_max=365,
        enforced_by="safety.services.camera_save",
        note=_("30 days is also the floor of the provinces' rules on internal security (e.g. 江苏省企业事业单位"
               "内部治安保卫条例); the standing reads the shortest retention of the registry."),
    ),
    Rule(
        code="safety.evacuation_drill_monthly",
        title=_("An evacuation drill every month"),
        source=DRILL_GUIDE,
        requires=_("Primary and secondary schools hold at least one emergency evacuation drill a month"),
        enforcement=Enforcement.TODO,
        metric="drill_periods_missing",
        compare="<=", limit=0, unit="count",
        applies_to=SCHOOLS,
        enforced_by="safety.todo (drill due this month) and safety.duties.drill_figures",
    ),
    Rule(
        code="safety.evacuation_drill_quarterly",
        title=_("An evacuation drill every quarter"),
        source=DRILL_GUIDE,
        requires=_("Kindergartens hold at least one emergency evacuation drill a quarter"),
        enforcement=Enforcement.TODO,
        metric="drill_periods_missing",
        compare="<=", limit=0, unit="count",
        applies_to=frozenset({SchoolKind.KINDERGARTEN}),
        enforced_by="safety.todo (drill due this quarter) and safety.duties.drill_figures",
    ),
    Rule(
        code="safety.evacuation_two_minutes",
        title=_("Evacuation within 2 minutes"),
        source=DRILL_GUIDE,
        requires=_("From the signal to everyone out within 2 minutes, in principle, where the buildings have "
                   "4 floors or fewer and open exits; an evacuation drill records how long it took"),
        enforcement=Enforcement.VALIDATION,
        metric="drills_over_target",
        compare="<=", limit=0, unit="count",
        enforced_by="safety.services.drill_record",
        note=_("A drill of the kind 'emergency evacuation' is refused without its time; the standing counts "
               "the term's evacuations over 2 minutes."),
    ),
    Rule(
        code="safety.fire_inspection_quarterly",
        title=_("A fire inspection every quarter"),
        source=FIRE_61,
        article="第二十六条",
        requires=_("Public institutions (schools among them) carry out a fire inspection at least once a quarter"),
        enforcement=Enforcement.TODO,
        metric="fire_inspection_quarters_missing",
        compare="<=", limit=0, unit="count",
        enforced_by="safety.todo (fire inspection due this quarter) and safety.duties.fire_inspection_figures",
    ),
    Rule(
        code="safety.fire_inspection_signed",
        title=_("Fire inspection signed by the department's head"),
        source=FIRE_61,
        article="第二十六条",
        requires=_("The inspection is written down; the inspector and the head of the inspected department sign "
                   "the record"),
        enforcement=Enforcement.VALIDATION,
        enforced_by="safety.services.fire_inspection_record",
    ),
    Rule(
        code="safety.fire_patrol_daily",
        title=_("A fire patrol every day"),
        source=FIRE_61,
        article="第二十五条",
        requires=_("Fire-safety key units patrol for fire every day (boarding schools, nurseries and "
                   "kindergartens are key units by 第十三条)"),
        enforcement=Enforcement.METRIC,
        metric="fire_patrol_days_missing",
        compare="<=", limit=0, unit="count",
        applies_to=FIRE_KEY_UNITS,
        enforced_by="safety.duties.fire_patrol_figures",
        note=_("Other schools a bureau or the fire service names as key units are not yet recorded as such."),
    ),
    Rule(
        code="safety.night_fire_patrol",
        title=_("Night fire patrols"),
        source=FIRE_61,
        article="第二十五条",
        requires=_("Boarding schools, nurseries and kindergartens step up fire patrols at night"),
        enforcement=Enforcement.METRIC,
        metric="night_fire_patrol_days_missing",
        compare="<=", limit=0, unit="count",
        applies_to=FIRE_KEY_UNITS,
        enforced_by="safety.duties.fire_patrol_figures",
        note=_("Counted as a night-shift fire patrol each night."),
    ),
    Rule(
        code="safety.meal_accompaniment",
        title=_("A leader eats with the pupils"),
        source=FOOD_2019,
        article="第四十条",
        requires=_("Schools and kindergartens that can set up accompanied meals: a school leader eats every meal "
                   "with the pupils and records it"),
        enforcement=Enforcement.METRIC,
        metric="meal_accompaniment_rate",
        compare=">=", limit=1, unit="percent",
        overridable=True, override_min=0, override_max=1,
        enforced_by="safety.duties.meal_figures",
        note=_("Counted per school day (a day with at least one accompanied meal): Houqin does not know how many "
               "meals a day a school serves."),
    ),
    Rule(
        code="safety.pupil_handover",
        title=_("Pupils handed only to authorised collectors"),
        source=SAFETY_23,
        requires=_("Primary schools and kindergartens keep a hand-over system for young pupils and children at "
                   "the end of the day and never hand one to an unrelated person"),
        enforcement=Enforcement.VALIDATION,
        applies_to=HANDOVER,
        enforced_by="safety.services.pupil_collection_record",
        note=_("Article number not checked; the sentence is the 办法's own."),
    ),
    Rule(
        code="safety.visitor_retention",
        title=_("Visitor records kept no longer than necessary"),
        source=PIPL,
        article="第十九条",
        requires=_("Personal information is kept no longer than its purpose needs: visitors' names, ID numbers "
                   "and phones are anonymised after the retention period (180 days unless the bureau sets "
                   "another), the counts kept"),
        enforcement=Enforcement.METRIC,
        metric="visitor_oldest_identified_days",
        compare="<=", limit=180, unit="days",
        overridable=True, override_min=7, override_max=730,
        enforced_by="safety.tasks.visitor_retention_purge_task",
        note=_("180 days is Houqin's default, not a figure of the law; the standing reads the age of the oldest "
               "visitor row still holding personal data (the nightly purge keeps it within the period)."),
    ),
]
