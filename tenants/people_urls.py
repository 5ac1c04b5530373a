"""People and notification settings, on a school's host (/people/) and on the bureau host."""

from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.people_list, name="list"),
    path("invite/", views.person_invite, name="invite"),
    path("invite/<str:token>/", views.invitation_accept, name="accept"),
    path("invitations/", views.my_invitations, name="invitations"),
    path("invitations/<int:invitation_id>/resend/", views.invitation_resend, name="invitation_resend"),
    path("invitations/<int:invitation_id>/withdraw/", views.invitation_withdraw, name="invitation_withdraw"),
    path("invitations/<int:invitation_id>/link/", views.invitation_link, name="invitation_link"),
    path("password-help/", views.password_help, name="password_help"),
    path("roles/", views.role_matrix, name="matrix"),
    path("welcome/", views.checklist_fallback, name="checklist"),
    path("preferences/", views.notification_preferences, name="preferences"),
    path("robots/", views.robot_list, name="robots"),
    path("robots/<int:robot_id>/delete/", views.robot_delete, name="robot_delete"),
    path("robots/<int:robot_id>/test/", views.robot_test, name="robot_test"),
    path("<int:user_id>/", views.person_detail, name="detail"),
    path("<int:user_id>/grant/", views.person_role_grant, name="grant"),
    path("<int:user_id>/revoke/", views.person_role_revoke, name="revoke"),
    path("<int:user_id>/link/", views.person_link, name="link"),
    path("<int:user_id>/leave/", views.person_leave, name="leave"),
]
