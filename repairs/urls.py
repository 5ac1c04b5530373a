from django.urls import path

from . import views

app_name = "repairs"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("board/", views.board, name="board"),
    path("new/", views.report, name="report_signed_in"),
    path("report/", views.public_report, name="public_report"),
    path("status/", views.public_status, name="public_status"),
    path("mine/", views.mine, name="mine"),
    path("settings/", views.settings_edit, name="settings"),
    path("plans/", views.plan_list, name="plans"),
    path("labels/", views.room_labels, name="labels"),
    path("photo/<int:pk>/", views.photo, name="photo"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/triage/", views.triage, name="triage"),
    path("<int:pk>/start/", views.start, name="start"),
    path("<int:pk>/pause/", views.pause, name="pause"),
    path("<int:pk>/resume/", views.resume, name="resume"),
    path("<int:pk>/note/", views.note, name="note"),
    path("<int:pk>/photos/", views.photos, name="photos"),
    path("<int:pk>/part/", views.part, name="part"),
    path("<int:pk>/complete/", views.complete, name="complete"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
]
