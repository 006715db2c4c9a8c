from django.urls import path

from outbox import views

app_name = "outbox"

urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<uuid:email_id>/send-again/", views.outbox_send_again, name="send_again"),
]
