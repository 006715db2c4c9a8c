from django.urls import path

from digests import views

app_name = "digests"

urlpatterns = [
    path("settings/", views.weekly_status_settings, name="settings"),
    path("unsubscribe/<str:unsubscribe_token>/", views.unsubscribe, name="unsubscribe"),
    path("preview/", views.preview, name="preview"),
    path("preview/html/", views.preview_html, name="preview_html"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<uuid:email_id>/send-again/", views.outbox_send_again, name="send_again"),
]
