"""The query budget of every page and every GraphQL list field: ONE table, read by test_query_counts.py.

A page (a named URL without arguments, on the school host or the base domain) costs exactly `queries`
SQL statements for the user `as_`; when `rows` names a maker in tests/perf/rows.py, it costs the same
with 10 and with 100 rows behind it (no query per row). A GraphQL list field is keyed by its path from
the root ("bureau.schools") and fetched with every scalar field of its items and of their objects.

A list behind a URL argument (the safety ledgers, /safety/l/<key>/) is keyed in ARG_PAGES by its URL
name and argument. Entries without `rows` are forms, single records, refusals (status=403) or tables
that live in code; each list that has none says why on its line.

A new page or list field fails `test_every_*_has_a_budget` with its measured count: check that the
count does not grow with the rows (add a row maker), then add the line here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    queries: int
    rows: str | None = None  # a maker in tests/perf/rows.py: make(n, ctx) adds n rows the page lists
    as_: str | None = None  # a user of tests/conftest.py; default alice on a school, dave on the bureau
    host: str = "school"  # GraphQL only: "school" (school A) or "public" (the base domain)
    status: int = 200  # pages only: the status `as_` gets (403 pins the cost of a refusal)


# (host kind, URL name) → budget. Host kinds: "school" (config.urls_school), "public" (config.urls_public).
PAGES: dict[tuple[str, str], Budget] = {
    ("school", "home"): Budget(34),  # one or two per module card, and the to-do card's count (one per source)
    ("school", "todo"): Budget(15),  # one count and one page of rows per to-do source, whatever their number
    ("school", "jobs:list"): Budget(7),
    ("public", "jobs:list"): Budget(6),
    ("school", "notifications"): Budget(8, rows="notifications"),
    ("public", "home"): Budget(10, rows="schools"),
    ("public", "notifications"): Budget(7, rows="notifications"),
    # schools
    ("school", "schools:department_list"): Budget(8, rows="departments"),
    ("school", "schools:department_create"): Budget(7),
    ("school", "schools:building_list"): Budget(8, rows="buildings"),
    ("school", "schools:building_create"): Budget(6),
    ("school", "schools:room_list"): Budget(9, rows="rooms"),
    ("school", "schools:room_create"): Budget(9),
    ("school", "schools:unit_list"): Budget(8, rows="units"),
    ("school", "schools:unit_create"): Budget(7),
    ("school", "schools:project_list"): Budget(9, rows="projects"),
    ("school", "schools:project_create"): Budget(7),
    ("school", "schools:feedback_list"): Budget(8, rows="feedback"),
    ("school", "schools:feedback_create"): Budget(6),
    ("school", "schools:lost_item_list"): Budget(8, rows="lost_items"),
    ("school", "schools:lost_item_create"): Budget(6),
    ("school", "schools:service_list"): Budget(9, rows="services"),
    ("school", "schools:service_create"): Budget(6),
    # assets (the principal reads; writing pages refuse her: 403, pinned as such)
    ("school", "assets:reclassifications"): Budget(8),  # the report and its pending count
    ("school", "assets:asset_list"): Budget(10, rows="assets"),
    ("school", "assets:asset_create"): Budget(6, status=403),
    ("school", "assets:asset_import"): Budget(6, status=403),
    ("school", "assets:asset_import_errors"): Budget(6, status=403),
    ("school", "assets:asset_import_template"): Budget(6, status=403),
    ("school", "assets:category_list"): Budget(8, rows="categories"),
    ("school", "assets:consumable_list"): Budget(8, rows="consumables"),
    ("school", "assets:consumable_create"): Budget(6, status=403),
    ("school", "assets:disposal_list"): Budget(8, rows="disposals"),
    ("school", "assets:loan_list"): Budget(9, rows="loans"),
    ("school", "assets:purchase_list"): Budget(8, rows="purchases"),
    ("school", "assets:purchase_create"): Budget(12),
    ("school", "assets:requisition_list"): Budget(8, rows="requisitions"),
    ("school", "assets:requisition_create"): Budget(8),
    ("school", "assets:stocktake_list"): Budget(8, rows="stocktakes"),
    ("school", "assets:transfer_list"): Budget(8, rows="transfers"),
    # repairs
    ("school", "repairs:list"): Budget(8, rows="work_orders"),
    # + the term's charts: on-time by month, orders by source, and the intact rate at each month's end (the register
    # counted once, then 2 counts a month)
    ("school", "repairs:board"): Budget(23, rows="work_orders"),
    ("school", "repairs:mine"): Budget(8, rows="work_orders"),
    ("school", "repairs:labels"): Budget(7, rows="rooms"),
    ("school", "repairs:plans"): Budget(7, rows="maintenance_plans"),
    ("school", "repairs:settings"): Budget(7),
    ("school", "repairs:public_report"): Budget(5, status=302),  # a member without a label: to the members' report page
    ("school", "repairs:public_status"): Budget(6),
    ("school", "repairs:report_signed_in"): Budget(7),
    # people (forms and the first-run checklist list no rows: a fixed set of steps counted in SQL)
    ("public", "people:checklist"): Budget(5),
    ("public", "people:invitations"): Budget(6),  # my invitations: the signed-in person's own, a handful
    ("public", "people:invite"): Budget(7),
    ("public", "people:list"): Budget(11, rows="bureau_members"),  # + the pending invitations
    ("public", "people:matrix"): Budget(8, rows="bureau_members"),
    ("public", "people:password_help"): Budget(5),
    ("public", "people:preferences"): Budget(7, rows="notification_kinds"),
    ("public", "people:robots"): Budget(7, status=403),  # robots belong to a school: refused on the bureau host
    ("school", "people:checklist"): Budget(6),
    ("school", "people:invitations"): Budget(7),
    ("school", "people:invite"): Budget(6),
    ("school", "people:list"): Budget(10, rows="school_members"),  # + the pending invitations
    ("school", "people:matrix"): Budget(7, rows="school_members"),
    ("school", "people:password_help"): Budget(6),
    ("school", "people:preferences"): Budget(8, rows="notification_kinds"),
    ("school", "people:robots"): Budget(8, rows="robots"),
    ("school", "staff:checklist"): Budget(11),  # a fixed set of first-run steps, one COUNT each
    ("school", "staff:import"): Budget(6),
    ("school", "staff:import_errors"): Budget(6, status=403),
    ("school", "staff:list"): Budget(9, rows="staff"),
    ("school", "staff:template"): Budget(5),
    # platform (the operator's pages)
    ("public", "platform:bureaus"): Budget(6, rows="bureaus", as_="oscar"),
    ("public", "platform:schools"): Budget(12, rows="schools_with_principals"),  # + the pending principal invitations
    # reporting (the glossary is the metric catalogue: code, not rows)
    ("public", "reporting:award_new"): Budget(7),
    ("public", "reporting:awards"): Budget(14, rows="awards"),
    ("public", "reporting:campaign_new"): Budget(9),
    ("public", "reporting:campaigns"): Budget(11, rows="campaigns"),
    ("public", "reporting:console"): Budget(19, rows="school_metrics"),  # + the live stamp (2 aggregates)
    ("public", "reporting:glossary"): Budget(6),
    ("public", "reporting:rules"): Budget(13, rows="school_metrics"),  # + schools, their metrics, the local values
    ("public", "reporting:rankings"): Budget(16, rows="school_metrics"),  # + the live stamp
    ("public", "reporting:live"): Budget(8),
    ("public", "reporting:records"): Budget(13, rows="mirrored_records"),  # + the live stamp
    ("public", "reporting:summary"): Budget(14, rows="school_metrics"),
    ("public", "reporting:terms"): Budget(9, rows="terms"),
    ("school", "reporting_school:awards"): Budget(11, rows="awards"),
    ("school", "reporting_school:summary"): Budget(12, rows="mirrored_records"),
    ("school", "reporting_school:campus"): Budget(6),  # a form of the school's own figures
    # safety (the other ledgers are in ARG_PAGES)
    ("school", "safety:board"): Budget(20, rows="hazards"),  # + three charts, one aggregate each; + the rules card (patrols, fire inspections, meals, guards: one aggregate each)
    ("school", "safety:campaign_list"): Budget(8, rows="agreement_campaigns"),
    ("school", "safety:escort_summary"): Budget(7, rows="escort_records"),
    ("school", "safety:gate"): Budget(8, rows="gate", as_="gina"),  # the guard's phone page
    ("school", "safety:hazard_list"): Budget(10, rows="hazards"),  # + the term's 整改率 and the overdue count
    ("school", "safety:health_check"): Budget(11, rows="health_checks"),
    ("school", "safety:my_agreements"): Budget(7, rows="agreements"),
    ("school", "safety:round_list"): Budget(8, rows="inspection_rounds"),
    # partners (management pages on the base domain)
    ("public", "api:client_list"): Budget(8, rows="partner_clients"),
    ("public", "api:client_create"): Budget(8),
}

# Lists behind a URL argument, which the walk skips as detail pages: the safety ledgers (/safety/l/<key>/).
# (host kind, URL name, argument) → budget. Ledgers with a named page of their own (hazards, rounds,
# campaigns) are measured in PAGES.
ARG_PAGES: dict[tuple[str, str, str], Budget] = {
    ("school", "safety:ledger", "cameras"): Budget(8, rows="cameras"),
    ("school", "safety:ledger", "checklists"): Budget(9, rows="checklist_templates"),
    ("school", "safety:ledger", "classes"): Budget(8, rows="school_classes"),
    ("school", "safety:ledger", "disinfection"): Budget(8, rows="disinfections"),
    ("school", "safety:ledger", "drills"): Budget(8, rows="drills"),
    ("school", "safety:ledger", "education"): Budget(8, rows="education_activities"),
    ("school", "safety:ledger", "equipment"): Budget(8, rows="security_equipment"),
    ("school", "safety:ledger", "escort"): Budget(8, rows="escort_records"),
    ("school", "safety:ledger", "exits"): Budget(8, rows="staff_exits"),
    ("school", "safety:ledger", "health"): Budget(9, rows="health_checks"),
    ("school", "safety:ledger", "patrols"): Budget(8, rows="patrols"),
    ("school", "safety:ledger", "plans"): Budget(9, rows="drills"),  # plans with a drill each
    ("school", "safety:ledger", "roster"): Budget(8, rows="security_team_members"),
    ("school", "safety:ledger", "templates"): Budget(8, rows="agreement_templates"),
    ("school", "safety:ledger", "visitors"): Budget(8, rows="visitors"),
    ("school", "safety:ledger", "fire_inspections"): Budget(8, rows="fire_inspections"),
    ("school", "safety:ledger", "meals"): Budget(8, rows="meal_accompaniments"),
    ("school", "safety:ledger", "collectors"): Budget(8, rows="authorised_collectors"),
    ("school", "safety:ledger", "collections"): Budget(8, rows="pupil_collections"),
}

# Named URLs that are not pages: actions (POST), sign-in/out, the GraphQL endpoint, the admin.
NOT_PAGES = {"login", "logout", "notifications_read", "graphql", "set_language"}
NOT_PAGE_NAMESPACES = {"admin"}

# GraphQL list fields (connections and lists of objects) by path → budget.
GRAPHQL: dict[str, Budget] = {
    "bureau.schools": Budget(6, rows="schools", as_="dave", host="public"),
    "viewer.memberships": Budget(5, rows="memberships", as_="alice", host="school"),
    # schools
    "departmentList": Budget(6, rows="departments"),
    "buildingList": Budget(6, rows="buildings"),
    "buildingAppraisalList": Budget(6, rows="appraisals"),
    "roomList": Budget(6, rows="rooms"),
    "onCampusUnitList": Budget(6, rows="units"),
    "capitalProjectList": Budget(7, rows="projects"),
    "feedbackList": Budget(6, rows="feedback"),
    "lostItemList": Budget(6, rows="lost_items"),
    "convenienceServiceList": Budget(6, rows="services"),
    "convenienceServiceCounts": Budget(6, rows="services"),
    # assets
    "assetList": Budget(7, rows="assets"),
    "assetTotals": Budget(8, rows="assets"),
    "categoryList": Budget(6, rows="categories"),
    "consumableItemList": Budget(6, rows="consumables"),
    "disposalList": Budget(7, rows="disposals"),
    "loanList": Budget(8, rows="loans"),
    "loanRequestList": Budget(8, rows="loan_requests"),
    "purchaseRequestList": Budget(8, rows="purchases"),
    "acceptanceList": Budget(9, rows="acceptances"),
    "requisitionList": Budget(8, rows="requisitions"),
    "stockMovementList": Budget(8, rows="stock_movements"),
    "stocktakeList": Budget(6, rows="stocktakes"),
    "transferList": Budget(10, rows="transfers"),
    # repairs
    "workOrderList": Budget(6, rows="work_orders"),
    "myWorkOrders": Budget(6, rows="work_orders"),
    # safety
    "agreementCampaignList": Budget(7, rows="agreement_campaigns"),
    "agreementList": Budget(6, rows="agreements"),
    "agreementTemplateList": Budget(6, rows="agreement_templates"),
    "cameraList": Budget(6, rows="cameras"),
    "checklistTemplateList": Budget(6, rows="checklist_templates"),
    "disinfectionList": Budget(6, rows="disinfections"),
    "drillList": Budget(7, rows="drills"),
    "fireInspectionList": Budget(6, rows="fire_inspections"),
    "mealAccompanimentList": Budget(6, rows="meal_accompaniments"),
    "educationActivityList": Budget(7, rows="education_activities"),
    "emergencyPlanList": Budget(6, rows="emergency_plans"),
    "escortRecordList": Budget(7, rows="escort_records"),
    "hazardList": Budget(6, rows="hazards"),
    "myTodo.sections": Budget(14),  # per source, not per item
    "healthCheckList": Budget(7, rows="health_checks"),
    "inspectionRoundList": Budget(6, rows="inspection_rounds"),
    "patrolList": Budget(7, rows="patrols"),
    "safetyBoard.coverage": Budget(9, rows="agreements"),
    "schoolClassList": Budget(6, rows="school_classes"),
    "securityEquipmentList": Budget(6, rows="security_equipment"),
    "securityTeamMemberList": Budget(6, rows="security_team_members"),
    "staffExitList": Budget(6, rows="staff_exits"),
    "visitorList": Budget(6, rows="visitors"),
    # people and notifications
    "notificationList": Budget(5, rows="notifications"),
    "invitationList": Budget(5),  # the signed-in person's own invitations
    "invitationPendingList": Budget(6),  # the place's open invitations
    "notificationPreferences": Budget(5, rows="notification_kinds"),
    "personList": Budget(7, rows="school_members"),
    "robotChannelList": Budget(6, rows="robots"),
    "roleMatrix": Budget(5),  # the declarative table of tenants/roles.py: code, not rows
    "staffList": Budget(6, rows="staff"),
    # reporting
    "awardProgrammeList": Budget(6, rows="awards", as_="dave", host="public"),
    # one page of applications, their schools and their evidence prefetched (constant in the applications)
    "awardApplicationList": Budget(6, as_="dave", host="public"),
    # the summary's figures and parts are made in code from one metrics row and one saved text
    "termSummary.figures": Budget(11),
    "termSummary.sections": Budget(11),
    "awardRecordList": Budget(6, rows="awards", as_="dave", host="public"),
    "campaignList": Budget(9, rows="campaigns", as_="dave", host="public"),
    "metricDefinitions": Budget(4),  # the metric catalogue: code, not rows
    "mirroredRecordList.rows": Budget(7, rows="mirrored_records", as_="dave", host="public"),
    "reportingTerms": Budget(6, rows="terms", as_="dave", host="public"),
    "rules": Budget(6, as_="dave", host="public"),  # the register: code, not rows; + the bureau's local values
    "schoolRuleStanding": Budget(8),  # the school's SchoolMetrics row, its term and the local values
    "schoolMetricsList.rows": Budget(11, rows="school_metrics", as_="dave", host="public"),
}

# Fields only a partner token may call: their cost is measured by tests/api and bench/bench_api.py.
PARTNER_ONLY = {"partner.schools", "webhookDeliveryList"}

# How many rows a connection page asks for (the page cap).
PAGE = 100
