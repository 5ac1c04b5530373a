from django.urls import path

from . import views_partners as views

app_name = "api"
urlpatterns = [
    path("", views.client_list, name="client_list"),
    path("new/", views.client_create, name="client_create"),
    path("<int:client_id>/", views.client_detail, name="client_detail"),
    path("<int:client_id>/edit/", views.client_edit, name="client_edit"),
    path("<int:client_id>/tokens/", views.token_create, name="token_create"),
    path("<int:client_id>/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("<int:client_id>/subscriptions/", views.subscription_create, name="subscription_create"),
    path("<int:client_id>/subscriptions/<int:subscription_id>/ping/", views.subscription_ping,
         name="subscription_ping"),
    path("<int:client_id>/subscriptions/<int:subscription_id>/delete/", views.subscription_delete,
         name="subscription_delete"),
    path("<int:client_id>/deliveries/<int:delivery_id>/replay/", views.delivery_replay, name="delivery_replay"),
]
