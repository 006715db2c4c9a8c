from django.urls import path

from inbound import views

# Namespace "inbound", mounted at /inbox/ (leakcase/urls.py): staff only.
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<uuid:message_id>/", views.message_detail, name="message"),
    path("<uuid:message_id>/file/", views.message_file, name="file"),
    path("<uuid:message_id>/confirm/", views.message_confirm, name="confirm"),
    path("<uuid:message_id>/message.eml", views.message_raw, name="raw"),
    path(
        "<uuid:message_id>/attachments/<uuid:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
