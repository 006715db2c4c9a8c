from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("export/", views.data_export, name="export"),
    path("erase/", views.account_erase, name="erase"),
    path("security/", views.security, name="security"),
    path("sessions/end/", views.session_end, name="session_end"),
    path("email/confirm/", views.email_verification_send, name="email_verification_send"),
]
