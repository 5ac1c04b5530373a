"""URLs of a school's host (`<slug>.<base domain>`)."""

from django.urls import include, path

from api.views import graphql_view
from frontend import views as frontend_views

urlpatterns = [
    path("", frontend_views.school_home, name="home"),
    path("", include("tenants.urls")),
    path("todo/", frontend_views.my_todo, name="todo"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("graphql/", graphql_view, name="graphql"),
    path("people/", include("tenants.people_urls")),
    path("jobs/", include("jobs.urls")),
    path("school/", include("schools.urls")),
    path("staff/", include("schools.people_urls")),
    path("assets/", include("assets.urls")),
    path("repairs/", include("repairs.urls")),
    path("safety/", include("safety.urls")),
    path("awards/", include("reporting.school_urls")),
]
