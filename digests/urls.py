from django.urls import path

from digests import views

app_name = "digests"

urlpatterns = [
    path("settings/", views.weekly_status_settings, name="settings"),
    path("settings/updates/", views.update_notice_settings, name="update_notice_settings"),
    path("unsubscribe/<str:unsubscribe_token>/", views.unsubscribe, name="unsubscribe"),
    path("preview/", views.preview, name="preview"),
    path("preview/html/", views.preview_html, name="preview_html"),
]
