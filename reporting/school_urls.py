"""School-host pages of reporting (the lead includes them at "awards/" in config/urls_school.py)."""

from django.urls import path

from . import school_views

app_name = "reporting_school"
urlpatterns = [
    path("", school_views.awards, name="awards"),
    path("<int:programme_id>/apply/", school_views.apply, name="apply"),
    path("summary/", school_views.summary_page, name="summary"),
    path("campus/", school_views.campus, name="campus"),
    path("applications/<int:application_id>/file/", school_views.evidence_file, name="evidence_file"),
    path("applications/<int:application_id>/evidence/<int:evidence_id>/", school_views.criterion_evidence_file,
         name="criterion_evidence_file"),
]
