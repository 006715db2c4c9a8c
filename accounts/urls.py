from django.urls import path

from accounts import views

# Namespace "accounts", mounted under /account/ (leakcase/urls.py, which adds her export and
# erasure from data_rights to it: they read every app, so they live on top).
urlpatterns = [
    path("security/", views.security, name="security"),
    # The language picker of every page (base.html); open to anyone, logged in or not.
    path("language/", views.language_set, name="language"),
    path("sessions/end/", views.session_end, name="session_end"),
    path("email/confirm/", views.email_verification_send, name="email_verification_send"),
]
