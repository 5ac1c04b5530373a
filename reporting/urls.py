from django.urls import path

from . import rule_views, views

app_name = "reporting"
urlpatterns = [
    path("", views.console, name="console"),
    path("rankings/", views.rankings, name="rankings"),
    path("schools/<int:school_id>/", views.school_detail, name="school_detail"),
    path("glossary/", views.glossary, name="glossary"),
    path("rules/", rule_views.rules, name="rules"),
    path("records/", views.records, name="records"),
    path("live/", views.live, name="live"),
    path("terms/", views.terms, name="terms"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("awards/", views.award_list, name="awards"),
    path("awards/new/", views.award_new, name="award_new"),
    path("awards/<int:programme_id>/", views.award_detail, name="award_detail"),
    path("awards/applications/<int:application_id>/", views.application_review, name="application_review"),
    path("awards/applications/<int:application_id>/file/", views.evidence_file, name="evidence_file"),
    path("awards/applications/<int:application_id>/evidence/<int:evidence_id>/", views.criterion_evidence_file,
         name="criterion_evidence_file"),
    path("summary/", views.work_summary, name="summary"),
]
