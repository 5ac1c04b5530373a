from django.urls import path

from . import views

app_name = "safety"
urlpatterns = [
    path("", views.board, name="board"),
    path("gate/", views.gate, name="gate"),
    path("gate/<int:pk>/out/", views.visitor_out, name="visitor_out"),
    path("health/", views.health_check, name="health_check"),
    path("hazards/<int:pk>/", views.hazard_detail, name="hazard_detail"),
    path("hazards/<int:pk>/rectify/", views.hazard_rectify, name="hazard_rectify"),
    path("hazards/<int:pk>/verify/", views.hazard_verify, name="hazard_verify"),
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
    path("l/<slug:key>/", views.ledger_list, name="ledger"),
    path("l/<slug:key>/new/", views.ledger_new, name="ledger_new"),
]
