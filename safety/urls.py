from django.urls import path

from . import slip_views, views

app_name = "safety"
urlpatterns = [
    path("", views.board, name="board"),
    path("gate/", views.gate, name="gate"),
    path("gate/<int:pk>/out/", views.visitor_out, name="visitor_out"),
    path("health/", views.health_check, name="health_check"),
    path("escort/summary/", views.escort_summary, name="escort_summary"),
    path("hazards/<int:pk>/", views.hazard_detail, name="hazard_detail"),
    path("hazards/<int:pk>/rectify/", views.hazard_rectify, name="hazard_rectify"),
    path("hazards/<int:pk>/verify/", views.hazard_verify, name="hazard_verify"),
    path("hazards/<int:pk>/plan/", views.hazard_plan, name="hazard_plan"),
    path("checklists/<int:pk>/edit/", views.checklist_edit, name="checklist_edit"),
    path("gate/exits/<int:pk>/back/", views.staff_exit_back, name="staff_exit_back"),
    path("health/absences/<int:pk>/", views.absence_follow_up, name="absence_follow_up"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("templates/<int:pk>/", views.template_detail, name="template_detail"),
    path("plans/<int:pk>/document/", views.plan_document, name="plan_document"),
    path("hazards/photos/<int:pk>/", views.hazard_photo, name="hazard_photo"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/complete/", views.round_complete, name="round_complete"),
    path("rounds/items/<int:pk>/check/", views.round_item_check, name="round_item_check"),
    path("agreements/mine/", views.my_agreements, name="my_agreements"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/scan/", views.agreement_scan, name="agreement_scan"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/remind/", views.campaign_remind, name="campaign_remind"),
    path("sign/<str:token>/", views.public_sign, name="public_sign"),
    # What a slip prints under its QR code: the same page, a shorter link to type.
    path("s/<str:token>/", views.public_sign, name="public_sign_short"),
    path("campaigns/<int:pk>/classes/<int:class_pk>/slips/", slip_views.class_slips, name="class_slips"),
    path("classes/<int:pk>/roster/", slip_views.class_roster, name="class_roster"),
    path("hazards/", views.ledger_list, {"key": "hazards"}, name="hazard_list"),
    path("rounds/", views.ledger_list, {"key": "rounds"}, name="round_list"),
    path("campaigns/", views.ledger_list, {"key": "campaigns"}, name="campaign_list"),
    path("l/<slug:key>/", views.ledger_list, name="ledger"),
    path("l/<slug:key>/new/", views.ledger_new, name="ledger_new"),
]
