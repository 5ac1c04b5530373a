"""URLs of the base domain: the bureau console and the platform operator's pages."""

from django.contrib import admin
from django.urls import include, path

from api.views import graphql_view
from frontend import views as frontend_views

urlpatterns = [
    path("", frontend_views.portal_home, name="home"),
    path("", include("tenants.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("graphql/", graphql_view, name="graphql"),
    path("platform/", include("tenants.platform_urls")),
    path("people/", include("tenants.people_urls")),
    path("jobs/", include("jobs.urls")),
    path("bureau/", include("reporting.urls")),
    path("partners/", include("api.urls")),
    path("admin/", admin.site.urls),
]
