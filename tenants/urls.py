"""Sign-in and notification URLs, served on every host."""

from django.urls import path

from . import views
from .access import public_view

urlpatterns = [
    path("accounts/login/", public_view(views.LoginView.as_view()), name="login"),
    path("accounts/logout/", public_view(views.LogoutView.as_view()), name="logout"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notification_read, name="notifications_read"),
]
