"""The staff roster's pages, mounted at /staff/ on a school's host."""

from django.urls import path

from . import people_views

app_name = "staff"
urlpatterns = [
    path("", people_views.staff_list, name="list"),
    path("import/", people_views.staff_import_view, name="import"),
    path("import/errors.xlsx", people_views.staff_import_errors, name="import_errors"),
    path("import/template.xlsx", people_views.staff_template, name="template"),
    path("checklist/", people_views.checklist, name="checklist"),
    path("<int:pk>/edit/", people_views.staff_edit, name="edit"),
]
