"""The platform operator's (and bureau's) onboarding pages, on the base domain (/platform/)."""

from django.urls import path

from . import views

app_name = "platform"
urlpatterns = [
    path("bureaus/", views.platform_bureaus, name="bureaus"),
    path("schools/", views.platform_schools, name="schools"),
    path("schools/<slug:slug>/invite/", views.platform_principal_invite, name="principal_invite"),
    path("schools/<slug:slug>/link/", views.platform_principal_link, name="principal_link"),
]
